/**
 * One agent run: the workflow's steps in order, each call going through the configured
 * strategies (caches, compression, routing, streaming) to the LLM client, every call written
 * to the ledger. It sees a clock, a client and the ledger — nothing of the simulator — so the
 * same code runs on the virtual clock and live.
 */
import { getModel, type Catalog } from '../provider/catalog.ts';
import { answerSeed } from '../provider/quality.ts';
import type { Clock } from '../core/clock.ts';
import type { ChatCall, ChatResult, LlmClient } from '../llm/client.ts';
import type { Ledger, LedgerRow } from '../metrics/ledger.ts';
import type { JobOutcome } from '../metrics/recorder.ts';
import { hashString, mix32, Rng } from '../core/random.ts';
import type { RoutingStats } from '../results/schema.ts';
import type { EmbeddingStep, LlmStep, Scenario, Step, Strategies, ToolStep } from '../scenario/schema.ts';
import {
  cachedAnswerCorrect,
  nearestAnswer,
  StepCache,
  StoreFactory,
  ToolData,
  type AnswerValue,
  type EmbeddingValue,
  type ToolValue,
} from '../strategies/caches.ts';
import { effectiveRag, ragRecall } from '../strategies/compression.ts';
import { createRouter, type RouteContext, type Router } from '../strategies/routing.ts';
import { countRoute, newRoutingCounters, routingStats } from '../strategies/run-stats.ts';
import { sample, sampleTokens } from '../workload/distribution.ts';
import { PromptSpace } from '../workload/prompt-space.ts';
import type { AgentRequest } from '../workload/requests.ts';
import { Zipf } from '../workload/zipf.ts';
import { ToolCalling, type ToolJobState } from './tool-calling.ts';
import type { ToolTurn } from '../llm/tool-wire.ts';

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
  /** The tool data the job's answers are written from. */
  data: ToolData;
  callIndex: number;
  outputs: Map<string, number>;
  correct: boolean;
  failed: boolean;
  firstTokenAtMs: number | null;
  calls: number;
  /** Tool calling's state (tool-calling.ts). */
  tools?: ToolJobState;
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
  private readonly toolCalling: ToolCalling | undefined;
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
    this.toolCalling = ToolCalling.of(ctx.scenario);
  }

  /** Runs one request to its end. */
  async run(req: AgentRequest): Promise<JobOutcome> {
    const job: JobState = { req, data: new ToolData(), callIndex: 0, outputs: new Map(), correct: true, failed: false, firstTokenAtMs: null, calls: 0 };
    await this.steps(this.ctx.scenario.workflow, job, 0);
    return { ok: !job.failed, correct: !job.failed && job.correct, firstTokenAtMs: job.firstTokenAtMs, calls: job.calls };
  }

  /** The router's label (part of an exact-cache key: another router may answer differently). */
  get routerLabel(): string {
    return this.router.label;
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
    return new Rng(this.stepSeed(job, stepName, iteration));
  }

  /** The seed of one step of one request (its draws, and the quality verdict's `answerSeed`). */
  private stepSeed(job: JobState, stepName: string, iteration: number): number {
    let h = this.stepHash.get(stepName);
    if (h === undefined) this.stepHash.set(stepName, (h = hashString(stepName)));
    return mix32(job.req.seed ^ mix32(h + iteration * 0x632be5ab));
  }

  private record(job: JobState, row: LedgerRow): void {
    job.calls++;
    row.job = job.req.id;
    this.ctx.ledger.record(row);
  }

  /**
   * One LLM step: its call's shape, then the exact cache, the semantic cache, and otherwise a real
   * call (routed or to the step's model), whose answer the caches then keep.
   */
  private async llm(step: LlmStep, job: JobState, iteration: number): Promise<void> {
    const run = this.llmCall(step, job, iteration);
    const exact = this.exact.get(step.name);
    const exactKey = exact === undefined ? '' : `${step.name}|${run.modelSig}|${job.req.promptKey}|${iteration}|${run.shape.inputTokens}`;
    if (exact !== undefined && (await this.fromExactCache(run, exact, exactKey))) return;
    const semantic = this.semantic.get(step.name);
    const bucket = `${job.req.kind}/topic/${job.req.topic}`;
    let vector: Float64Array | undefined;
    if (semantic !== undefined) {
      vector = await this.embedPrompt(run, semantic);
      if (await this.fromSemanticCache(run, semantic, vector, bucket)) return;
    }
    const value = await this.answer(run);
    if (value === undefined) return;
    const now = this.ctx.clock.now();
    if (exact !== undefined) await exact.set(exactKey, value, now);
    if (semantic !== undefined && vector !== undefined) {
      await semantic.set(`${step.name}|${job.req.promptKey}|${iteration}`, { ...value, vector: Array.from(vector) }, now, bucket);
    }
  }

  /** The step's call for this request: prompt length (system, user, context, RAG), answer length, difficulty, model. */
  private llmCall(step: LlmStep, job: JobState, iteration: number): LlmCall {
    const { strategies, scenario } = this.ctx;
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
    // a model the trace (or the task kind) names answers routed steps without the router
    const fixedModel = ft !== null ? ft.model : step.model !== 'routed' ? step.model : req.logged?.model;
    const shape: CallShape = {
      inputTokens,
      prefixTokens: systemTokens,
      outputTokens,
      difficulty,
      streamed: this.streamed.has(step.name),
      countsQuality: step.quality ?? step.name === this.qualityStep,
      kind: req.kind,
      rng,
      seed: this.stepSeed(job, step.name, iteration),
    };
    this.toolCalling?.shape(step.name, job, shape);
    return new LlmCall(this, job, step.name, fixedModel, shape);
  }

  /** Serves the step from the exact cache when it holds this prompt; false on a miss. */
  private async fromExactCache(run: LlmCall, exact: StepCache<AnswerValue>, key: string): Promise<boolean> {
    const hit = await exact.get(key, this.ctx.clock.now());
    if (hit === undefined) {
      exact.counter.miss();
      return false;
    }
    await this.serveFromCache(run, 'exact', exact, hit.value, false);
    return true;
  }

  /** The semantic cache's lookup embeds the prompt first (a paid call). */
  private async embedPrompt(run: LlmCall, semantic: StepCache<AnswerValue>): Promise<Float64Array> {
    const { clock, client } = this.ctx;
    const req = run.job.req;
    const spec = semantic.spec;
    const t0 = clock.now();
    const e = await client.embed({
      model: spec.type === 'semantic' ? spec.embeddingModel : '',
      step: run.step,
      jobId: req.id,
      jobSeed: req.seed,
      callIndex: run.job.callIndex++,
      inputTokens: req.inputTokens,
      texts: 1,
    });
    this.record(run.job, embedRow(t0, run.step, e));
    return this.promptSpace.vector(req);
  }

  /** Serves the step with the most similar stored answer above the threshold; false on a miss. */
  private async fromSemanticCache(run: LlmCall, semantic: StepCache<AnswerValue>, vector: Float64Array, bucket: string): Promise<boolean> {
    const near = await nearestAnswer(semantic, vector, bucket, this.ctx.clock.now());
    if (near === undefined) {
      semantic.counter.miss();
      return false;
    }
    await this.serveFromCache(run, 'semantic', semantic, near.entry.value, near.entry.value.intentKey !== run.job.req.intentKey);
    return true;
  }

  /** A real call, routed or to the step's model; the answer to keep in the caches, or undefined when it failed. */
  private async answer(run: LlmCall): Promise<AnswerValue | undefined> {
    let answer: ChatResult;
    let releasedAtEnd = false;
    if (run.fixedModel !== undefined) {
      answer = await run.call(run.fixedModel);
    } else {
      const routed = await this.router.route(run);
      countRoute(this.routing, routed.answer.model, routed);
      answer = routed.answer;
      releasedAtEnd = routed.releasedAtEnd === true;
    }
    if (answer.outcome !== 'ok') {
      run.job.failed = true;
      return undefined;
    }
    run.served(answer.correct, answer.outputTokens, run.answerStartMs + (releasedAtEnd ? answer.latencyMs : answer.ttftMs));
    const data = run.job.data;
    return {
      model: answer.model,
      outputTokens: answer.outputTokens,
      correct: answer.correct,
      intentKey: run.job.req.intentKey,
      // every call the step made (a cascade's escalation pays two): what a later hit saves
      costUsd: run.spentUsd,
      // the tool data the answer was written from: when it changes, the answer is stale
      dataChangesAtMs: data.changesAtMs === Infinity ? null : data.changesAtMs,
      staleImpact: data.staleImpact,
    };
  }

  /**
   * Serves a stored answer (see `cachedAnswerCorrect` for its quality): waits the cache's
   * latency, counts the hit (false, stale) and writes the hit's ledger row.
   */
  private async serveFromCache(run: LlmCall, kind: 'exact' | 'semantic', cache: StepCache<AnswerValue>, value: AnswerValue, falseHit: boolean): Promise<void> {
    const { clock, catalog } = this.ctx;
    const t0 = clock.now();
    await clock.sleep(cache.spec.latencyMs);
    const now = clock.now();
    const stale = value.dataChangesAtMs !== null && now >= value.dataChangesAtMs;
    const correct = cachedAnswerCorrect({
      falseHit,
      stale,
      staleImpact: value.staleImpact,
      capability: getModel(catalog, value.model).capability,
      difficulty: run.shape.difficulty,
      seed: answerSeed(run.shape.seed, value.model),
      rng: run.rng,
    });
    cache.counter.hit(value.costUsd, { false: falseHit, stale });
    this.record(run.job, cacheRow(t0, run.step, value.model, 'llm', kind, now - t0, value.outputTokens));
    run.served(correct, value.outputTokens, now);
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
      stepSeed: run.shape.seed,
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
    if (run.shape.tools !== undefined) call.tools = run.shape.tools;
    const r = await client.chat(call);
    if (run.shape.tools !== undefined) this.toolCalling!.answered(job, run.shape.tools, r);
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

  /**
   * A tool step: a cached result (stale once its source has changed: the answer built on it is
   * wrong with the step's `staleImpact`) or a paid call. Either way the job remembers when the
   * data it now holds next changes, so an answer cached from it can go stale too.
   */
  private async tool(step: ToolStep, job: JobState, iteration: number): Promise<void> {
    const { clock } = this.ctx;
    const req = job.req;
    const rng = this.rng(job, step.name, iteration);
    const key = step.keyBy === 'prompt' ? req.promptKey : step.keyBy === 'intent' ? req.intentKey : `${req.kind}/topic/${req.topic}`;
    this.toolCalling?.ran(step, job, key);
    const cache = this.toolCaches.get(step.name);
    const t0 = clock.now();
    if (cache !== undefined) {
      const hit = await cache.get(key, t0);
      if (hit !== undefined) {
        await clock.sleep(cache.spec.latencyMs);
        // stale: the source changed after the value was fetched
        const changesAtMs = hit.value.changesAtMs;
        const stale = changesAtMs !== null && clock.now() >= changesAtMs;
        cache.counter.hit(hit.value.costUsd, { stale });
        if (stale && rng.next() < step.staleImpact) job.correct = false;
        // an answer written from this value is stale once the source changes (already, if stale)
        job.data.uses(changesAtMs, step.staleImpact);
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
    // the source's next change: a Poisson process of `changesPerHour` (memoryless, so drawn from now)
    const changesAtMs = step.changesPerHour > 0 ? clock.now() + rng.exponential(3_600_000 / step.changesPerHour) : null;
    job.data.uses(changesAtMs, step.staleImpact);
    if (cache !== undefined) await cache.set(key, { costUsd: step.costUsd, changesAtMs }, clock.now());
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
  /** The step's seed: with the model, it fixes the answer's quality verdict. */
  seed: number;
  /** Tool calling (tool-calling.ts): tools offered, an earlier call and its result sent back. */
  tools?: ToolTurn;
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
    /** The model the step always uses (its own, the trace's, a fine-tune); undefined: routed. */
    readonly fixedModel: string | undefined,
    readonly shape: CallShape,
  ) {
    this.clock = agent.clock;
    this.kind = shape.kind;
    this.difficulty = shape.difficulty;
    this.rng = shape.rng;
  }

  /** Names the model choice in exact-cache keys: the fixed model, or the router. */
  get modelSig(): string {
    return this.fixedModel ?? this.agent.routerLabel;
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
