/**
 * One agent run: the workflow's steps in order, each call going through the configured
 * strategies (caches, compression, routing, streaming) to the LLM client, every call written
 * to the ledger. It sees a clock, a client and the ledger — nothing of the simulator — so the
 * same code runs on the virtual clock and live.
 */
import type { Catalog } from '../provider/catalog.ts';
import type { Clock } from '../core/clock.ts';
import type { ChatCall, ChatResult, LlmClient } from '../llm/client.ts';
import type { Ledger, LedgerRow } from '../metrics/ledger.ts';
import type { JobOutcome } from '../metrics/recorder.ts';
import { hashString, mix32, Rng } from '../core/random.ts';
import type { RoutingStats } from '../results/schema.ts';
import type { EmbeddingStep, LlmStep, Scenario, Step, Strategies, ToolStep } from '../scenario/schema.ts';
import { nearestAnswer, StepCache, StoreFactory, type AnswerValue, type EmbeddingValue, type ToolValue } from '../strategies/caches.ts';
import { effectiveRag, ragRecall } from '../strategies/compression.ts';
import { createRouter, type RouteContext, type Router } from '../strategies/routing.ts';
import { countRoute, newRoutingCounters, routingStats } from '../strategies/run-stats.ts';
import { sample, sampleTokens } from '../workload/distribution.ts';
import { PromptSpace } from '../workload/prompt-space.ts';
import type { AgentRequest } from '../workload/requests.ts';
import { Zipf } from '../workload/zipf.ts';

/** What an agent run needs. */
export interface AgentContext {
  clock: Clock;
  client: LlmClient;
  ledger: Ledger;
  catalog: Catalog;
  scenario: Scenario;
  strategies: Strategies;
  /** Seed of the configuration's run. */
  seed: number;
  /** Namespaces Redis keys of this run. */
  cacheNamespace: string;
}

interface JobState {
  req: AgentRequest;
  callIndex: number;
  outputs: Map<string, number>;
  correct: boolean;
  failed: boolean;
  firstTokenAtMs: number | null;
  calls: number;
}

/** Runs agent requests through the workflow and strategies; keeps routing and cache statistics. */
export class Agent {
  private readonly router: Router;
  private readonly stores: StoreFactory;
  private readonly exact = new Map<string, StepCache<AnswerValue>>();
  private readonly semantic = new Map<string, StepCache<AnswerValue>>();
  private readonly embeddingCaches = new Map<string, StepCache<EmbeddingValue>>();
  private readonly toolCaches = new Map<string, StepCache<ToolValue>>();
  private readonly streamed: Set<string>;
  private readonly qualityStep: string | null;
  private readonly stepHash = new Map<string, number>();
  private readonly chunkZipf = new Map<string, Zipf>();
  private readonly promptSpace: PromptSpace;
  readonly routing = newRoutingCounters();

  readonly clock: Clock;

  constructor(private readonly ctx: AgentContext) {
    this.clock = ctx.clock;
    const st = ctx.strategies;
    this.router = createRouter(st.routing);
    this.stores = new StoreFactory(ctx.cacheNamespace);
    st.caches.forEach((spec, i) => {
      const name = `${spec.type}:${spec.step}:${i}`;
      if (spec.type === 'exact') this.exact.set(spec.step, new StepCache(spec, this.stores.open(spec, name)));
      if (spec.type === 'semantic') this.semantic.set(spec.step, new StepCache(spec, this.stores.open(spec, name)));
      if (spec.type === 'embedding') this.embeddingCaches.set(spec.step, new StepCache(spec, this.stores.open(spec, name)));
      if (spec.type === 'tool') this.toolCaches.set(spec.step, new StepCache(spec, this.stores.open(spec, name)));
    });
    this.streamed = new Set(st.streaming.steps);
    this.qualityStep = lastLlmStep(ctx.scenario.workflow);
    this.promptSpace = new PromptSpace(ctx.seed);
  }

  /** Runs one request to its end. */
  async run(req: AgentRequest): Promise<JobOutcome> {
    const job: JobState = { req, callIndex: 0, outputs: new Map(), correct: true, failed: false, firstTokenAtMs: null, calls: 0 };
    await this.steps(this.ctx.scenario.workflow, job, 0);
    return { ok: !job.failed, correct: !job.failed && job.correct, firstTokenAtMs: job.firstTokenAtMs, calls: job.calls };
  }

  /** Routing statistics so far. */
  routingStats(): RoutingStats | null {
    return routingStats(this.routing, this.ctx.strategies.routing, this.router);
  }

  /** Every cache's statistics, by cache name. */
  cacheStats() {
    const out: Record<string, ReturnType<StepCache<unknown>['counter']['finish']>> = {};
    for (const m of [this.exact, this.semantic, this.embeddingCaches, this.toolCaches] as Array<Map<string, StepCache<unknown>>>) {
      for (const c of m.values()) out[`${c.spec.type}:${c.spec.step}`] = c.counter.finish();
    }
    return out;
  }

  /** Releases cache connections. */
  close(): Promise<void> {
    return this.stores.close();
  }

  private async steps(steps: Step[], job: JobState, iteration: number): Promise<void> {
    for (const step of steps) {
      if (job.failed) return;
      switch (step.type) {
        case 'llm':
          await this.llm(step, job, iteration);
          break;
        case 'embedding':
          await this.embedding(step, job, iteration);
          break;
        case 'tool':
          await this.tool(step, job, iteration);
          break;
        case 'loop': {
          const rng = this.rng(job, step.name, iteration);
          for (let it = 0; it < step.maxIterations; it++) {
            await this.steps(step.steps, job, iteration * 16 + it);
            if (job.failed || !(rng.next() < step.repeatProbability)) break;
          }
          break;
        }
      }
    }
  }

  private rng(job: JobState, stepName: string, iteration: number): Rng {
    let h = this.stepHash.get(stepName);
    if (h === undefined) this.stepHash.set(stepName, (h = hashString(stepName)));
    return new Rng(mix32(job.req.seed ^ mix32(h + iteration * 0x632be5ab)));
  }

  private record(job: JobState, row: LedgerRow): void {
    job.calls++;
    row.job = job.req.id;
    this.ctx.ledger.record(row);
  }

  private async llm(step: LlmStep, job: JobState, iteration: number): Promise<void> {
    const { clock, strategies, scenario } = this.ctx;
    const req = job.req;
    const comp = strategies.compression;
    const ft = comp.fineTuned?.steps.includes(step.name) ? comp.fineTuned : null;
    const systemTokens = ft !== null ? ft.systemPromptTokens : Math.round(step.systemPromptTokens * comp.systemPromptScale);
    let inputTokens = systemTokens + (step.includePrompt ? req.inputTokens : 0);
    for (const from of step.contextFrom) inputTokens += job.outputs.get(from) ?? 0;
    const rng = this.rng(job, step.name, iteration);
    let difficulty = req.difficulty;
    if (step.rag !== undefined) {
      const rag = effectiveRag(step.rag, comp);
      inputTokens += rag.topK * rag.chunkTokens;
      // whether the chunk holding the answer made it into the context
      if (!(rng.next() < ragRecall(rag))) difficulty = Math.min(1, difficulty + step.rag.missDifficulty);
    }
    const kind = scenario.requestMix[req.kindIndex]!;
    const logged = req.logged?.outputTokens;
    const outputTokens = step.outputTokens === undefined && logged !== undefined ? logged : sampleTokens(step.outputTokens ?? kind.outputTokens, rng);
    const countsQuality = step.quality ?? step.name === this.qualityStep;
    const streamed = this.streamed.has(step.name);
    // a model the trace (or the task kind) names answers routed steps without the router
    const fixedModel = ft !== null ? ft.model : step.model !== 'routed' ? step.model : req.logged?.model;
    const modelSig = fixedModel ?? this.router.label;
    const run = new LlmCall(this, job, step.name, {
      inputTokens,
      prefixTokens: systemTokens,
      outputTokens,
      difficulty,
      streamed,
      countsQuality,
      kind: req.kind,
      rng,
    });

    // exact request cache
    const exact = this.exact.get(step.name);
    const exactKey = exact === undefined ? '' : `${step.name}|${modelSig}|${req.promptKey}|${iteration}|${inputTokens}`;
    if (exact !== undefined) {
      const hit = await exact.get(exactKey, clock.now());
      if (hit !== undefined) {
        await this.serveFromCache(run, 'exact', exact, hit.value, hit.value.correct);
        return;
      }
      exact.counter.miss();
    }
    // semantic cache: embed the prompt (paid), then look for a similar stored prompt
    const semantic = this.semantic.get(step.name);
    let vector: Float64Array | undefined;
    const bucket = semantic === undefined ? '' : `${req.kind}/topic/${req.topic}`;
    if (semantic !== undefined && semantic.spec.type === 'semantic') {
      const t0 = clock.now();
      const e = await this.ctx.client.embed({
        model: semantic.spec.embeddingModel,
        step: step.name,
        jobId: req.id,
        jobSeed: req.seed,
        callIndex: job.callIndex++,
        inputTokens: req.inputTokens,
        texts: 1,
      });
      this.record(job, embedRow(t0, step.name, e));
      vector = this.promptSpace.vector(req);
      const near = await nearestAnswer(semantic, vector, bucket, clock.now());
      if (near !== undefined) {
        const falseHit = near.entry.value.intentKey !== req.intentKey;
        await this.serveFromCache(run, 'semantic', semantic, near.entry.value, near.entry.value.correct && !falseHit, falseHit);
        return;
      }
      semantic.counter.miss();
    }

    // a real call, routed or to the step's model
    let answer: ChatResult;
    let releasedAtEnd = false;
    if (fixedModel !== undefined) {
      answer = await run.call(fixedModel);
    } else {
      const routed = await this.router.route(run);
      countRoute(this.routing, routed.answer.model, routed);
      answer = routed.answer;
      releasedAtEnd = routed.releasedAtEnd === true;
    }
    if (answer.outcome !== 'ok') {
      job.failed = true;
      return;
    }
    run.served(answer.correct, answer.outputTokens, run.answerStartMs + (releasedAtEnd ? answer.latencyMs : answer.ttftMs));
    const value: AnswerValue = {
      model: answer.model,
      outputTokens: answer.outputTokens,
      correct: answer.correct,
      intentKey: req.intentKey,
      // every call the step made (a cascade's escalation pays two): what a later hit saves
      costUsd: run.spentUsd,
    };
    if (exact !== undefined) await exact.set(exactKey, value, clock.now());
    if (semantic !== undefined && vector !== undefined) {
      await semantic.set(`${step.name}|${req.promptKey}|${iteration}`, { ...value, vector: Array.from(vector) }, clock.now(), bucket);
    }
  }

  private async serveFromCache(
    run: LlmCall,
    kind: 'exact' | 'semantic',
    cache: StepCache<AnswerValue>,
    value: AnswerValue,
    correct: boolean,
    falseHit = false,
  ): Promise<void> {
    const t0 = this.ctx.clock.now();
    await this.ctx.clock.sleep(cache.spec.latencyMs);
    cache.counter.hit(value.costUsd, { false: falseHit });
    this.record(run.job, cacheRow(t0, run.step, value.model, 'llm', kind, this.ctx.clock.now() - t0, value.outputTokens));
    run.served(correct, value.outputTokens, this.ctx.clock.now());
  }

  /** Makes one chat call for a step and writes its ledger row. */
  async chat(run: LlmCall, model: string, outputTokens: number, timeoutMs: number | undefined): Promise<ChatResult> {
    const { clock, client } = this.ctx;
    const job = run.job;
    const t0 = clock.now();
    run.answerStartMs = t0;
    const call: ChatCall = {
      model,
      step: run.step,
      jobId: job.req.id,
      jobSeed: job.req.seed,
      callIndex: job.callIndex++,
      inputTokens: run.shape.inputTokens,
      prefixTokens: run.shape.prefixTokens,
      outputTokens,
      difficulty: run.shape.difficulty,
      stream: run.shape.streamed,
      wordingId: job.req.wordingId,
    };
    const blocks = job.req.logged?.prefixBlocks;
    if (blocks !== undefined) call.prefixBlocks = blocks;
    if (timeoutMs !== undefined) call.timeoutMs = timeoutMs;
    const r = await client.chat(call);
    run.spentUsd += r.costUsd;
    this.record(job, {
      job: -1,
      tMs: t0,
      step: run.step,
      model,
      kind: 'llm',
      inputTokens: r.inputTokens,
      cachedInputTokens: r.cachedInputTokens,
      outputTokens: r.outputTokens,
      costUsd: r.costUsd,
      latencyMs: r.latencyMs,
      ttftMs: r.ttftMs,
      cache: null,
      retries: 0,
      outcome: r.outcome,
    });
    return r;
  }

  private async embedding(step: EmbeddingStep, job: JobState, iteration: number): Promise<void> {
    const { clock, client } = this.ctx;
    const req = job.req;
    const cache = this.embeddingCaches.get(step.name);
    const texts: Array<{ key: string; tokens: number }> = [];
    if (step.input === 'query' || step.chunks === undefined) {
      texts.push({ key: req.promptKey, tokens: req.inputTokens });
    } else {
      const c = step.chunks;
      let z = this.chunkZipf.get(step.name);
      if (z === undefined) this.chunkZipf.set(step.name, (z = new Zipf(c.corpus, c.zipf)));
      const rng = this.rng(job, step.name, iteration);
      // the chunks a request needs are distinct (a retrieval returns a set): redraw repeats
      const chunks = new Set<number>();
      const want = Math.min(c.perRequest, c.corpus);
      while (chunks.size < want) chunks.add(z.sample(rng));
      for (const k of chunks) texts.push({ key: `chunk/${k}`, tokens: c.tokens });
    }
    const t0 = clock.now();
    let missTokens = 0;
    let misses = 0;
    const missed: Array<{ key: string; tokens: number }> = [];
    for (const t of texts) {
      if (cache === undefined) {
        missTokens += t.tokens;
        misses++;
        continue;
      }
      const hit = await cache.get(`${step.model}|${t.key}`, clock.now());
      if (hit !== undefined) {
        cache.counter.hit(hit.value.costUsd);
      } else {
        cache.counter.miss();
        missTokens += t.tokens;
        misses++;
        missed.push(t);
      }
    }
    if (misses === 0) {
      await clock.sleep(cache!.spec.latencyMs);
      this.record(job, cacheRow(t0, step.name, step.model, 'embedding', 'embedding', clock.now() - t0, 0));
      return;
    }
    const e = await client.embed({
      model: step.model,
      step: step.name,
      jobId: req.id,
      jobSeed: req.seed,
      callIndex: job.callIndex++,
      inputTokens: missTokens,
      texts: misses,
    });
    this.record(job, embedRow(t0, step.name, e));
    if (e.outcome !== 'ok') {
      job.failed = true;
      return;
    }
    if (cache !== undefined) {
      const perToken = missTokens === 0 ? 0 : e.costUsd / missTokens;
      for (const t of missed) await cache.set(`${step.model}|${t.key}`, { costUsd: perToken * t.tokens }, clock.now());
    }
  }

  private async tool(step: ToolStep, job: JobState, iteration: number): Promise<void> {
    const { clock } = this.ctx;
    const req = job.req;
    const rng = this.rng(job, step.name, iteration);
    const key = step.keyBy === 'prompt' ? req.promptKey : step.keyBy === 'intent' ? req.intentKey : `${req.kind}/topic/${req.topic}`;
    const cache = this.toolCaches.get(step.name);
    const t0 = clock.now();
    if (cache !== undefined) {
      const hit = await cache.get(key, t0);
      if (hit !== undefined) {
        await clock.sleep(cache.spec.latencyMs);
        // stale: the source changed after the value was fetched
        const stale = clock.now() >= hit.value.changesAtMs;
        cache.counter.hit(hit.value.costUsd, { stale });
        if (stale && rng.next() < step.staleImpact) job.correct = false;
        this.record(job, cacheRow(t0, step.name, `tool:${step.name}`, 'tool', 'tool', clock.now() - t0, 0));
        return;
      }
      cache.counter.miss();
    }
    await clock.sleep(sample(step.latencyMs, rng));
    this.record(job, {
      job: -1,
      tMs: t0,
      step: step.name,
      model: `tool:${step.name}`,
      kind: 'tool',
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
      costUsd: step.costUsd,
      latencyMs: clock.now() - t0,
      ttftMs: 0,
      cache: null,
      retries: 0,
      outcome: 'ok',
    });
    if (cache !== undefined) {
      const changesAtMs = step.changesPerHour > 0 ? clock.now() + rng.exponential(3_600_000 / step.changesPerHour) : Infinity;
      await cache.set(key, { costUsd: step.costUsd, changesAtMs }, clock.now());
    }
  }
}

function embedRow(
  t0: number,
  step: string,
  e: { model: string; inputTokens: number; costUsd: number; latencyMs: number; outcome: LedgerRow['outcome'] },
): LedgerRow {
  return {
    job: -1,
    tMs: t0,
    step,
    model: e.model,
    kind: 'embedding',
    inputTokens: e.inputTokens,
    cachedInputTokens: 0,
    outputTokens: 0,
    costUsd: e.costUsd,
    latencyMs: e.latencyMs,
    ttftMs: e.latencyMs,
    cache: null,
    retries: 0,
    outcome: e.outcome,
  };
}

function cacheRow(
  t0: number,
  step: string,
  model: string,
  kind: LedgerRow['kind'],
  cache: NonNullable<LedgerRow['cache']>,
  latencyMs: number,
  outputTokens: number,
): LedgerRow {
  return {
    job: -1,
    tMs: t0,
    step,
    model,
    kind,
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens,
    costUsd: 0,
    latencyMs,
    ttftMs: latencyMs,
    cache,
    retries: 0,
    outcome: 'cache_hit',
  };
}

/** The shape of one LLM step's call for one request, fixed before any model is chosen. */
interface CallShape {
  inputTokens: number;
  prefixTokens: number;
  outputTokens: number;
  difficulty: number;
  streamed: boolean;
  countsQuality: boolean;
  kind: string;
  rng: Rng;
}

/** One LLM step of one request: what routers see (`RouteContext`) and where its answer lands. */
class LlmCall implements RouteContext {
  answerStartMs = 0;
  /** Dollars spent by this step's calls so far. */
  spentUsd = 0;
  readonly clock: Clock;
  readonly kind: string;
  readonly difficulty: number;
  readonly rng: Rng;

  constructor(
    private readonly agent: Agent,
    readonly job: JobState,
    readonly step: string,
    readonly shape: CallShape,
  ) {
    this.clock = agent.clock;
    this.kind = shape.kind;
    this.difficulty = shape.difficulty;
    this.rng = shape.rng;
  }

  call(model: string, options?: { outputTokens?: number; timeoutMs?: number }): Promise<ChatResult> {
    return this.agent.chat(this, model, options?.outputTokens ?? this.shape.outputTokens, options?.timeoutMs);
  }

  /** The step's answer reached the agent (and, if streamed, its first token reached the user). */
  served(correct: boolean, outputTokens: number, firstTokenAtMs: number): void {
    const job = this.job;
    job.outputs.set(this.step, outputTokens);
    if (this.shape.countsQuality && !correct) job.correct = false;
    if (this.shape.streamed && job.firstTokenAtMs === null) job.firstTokenAtMs = firstTokenAtMs;
  }
}

/**
 * The step whose answer is the agent's answer when no step says `quality: true`: the last LLM
 * step (loops included) that does not opt out with `quality: false`.
 */
function lastLlmStep(steps: Step[]): string | null {
  let last: string | null = null;
  for (const s of steps) {
    if (s.type === 'llm' && s.quality !== false) last = s.name;
    if (s.type === 'loop') last = lastLlmStep(s.steps) ?? last;
  }
  return last;
}
