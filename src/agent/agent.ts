/**
 * One agent run: the workflow's steps in order, each call going through the configured
 * strategies (caches, compression, routing, streaming) to the LLM client, every call written
 * to the ledger. It sees a clock, a client and the ledger — nothing of the simulator — so the
 * same code runs on the virtual clock and live: a run is a task (src/core/task.ts), driven by
 * clock events in the executor, or through promises by `run`.
 */
import { getModel, type Catalog } from '../provider/catalog.ts';
import { answerSeed } from '../provider/quality.ts';
import type { Clock } from '../core/clock.ts';
import { runTask, sleep, type Task } from '../core/task.ts';
import { chatTask, embedTask, type ChatCall, type ChatResult, type LlmClient } from '../llm/client.ts';
import type { Ledger, LedgerRow } from '../metrics/ledger.ts';
import type { JobOutcome } from '../metrics/recorder.ts';
import { hashString, mix32, Rng } from '../core/random.ts';
import type { RoutingStats } from '../results/schema.ts';
import type { LlmStep, Scenario, Step, Strategies } from '../scenario/schema.ts';
import {
  cachedAnswerCorrect,
  nearestAnswer,
  nearestAnswerSync,
  storedVector,
  StepCache,
  StoreFactory,
  ToolData,
  type AnswerValue,
  type EmbeddingValue,
  type ToolValue,
} from '../strategies/caches.ts';
import { effectiveRag, ragRecall } from '../strategies/compression.ts';
import { createRouter, type Router } from '../strategies/routing.ts';
import { countRoute, newRoutingCounters, routingStats } from '../strategies/run-stats.ts';
import { sampleTokens } from '../workload/distribution.ts';
import { PromptSpace } from '../workload/prompt-space.ts';
import type { AgentRequest } from '../workload/requests.ts';
import { embeddingStep, toolStep, type StepHost } from './data-steps.ts';
import { awaitCache, lastLlmStep, LlmCall, syncCache, type CallShape, type ChatMaker, type JobState } from './llm-call.ts';
import { RequestKeys, type WordingKeys } from './request-keys.ts';
import { cacheRow, chatRow, embedRow } from './rows.ts';
import { ToolCalling } from './tool-calling.ts';

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

/** Runs agent requests through the workflow and strategies; keeps routing and cache statistics. */
export class Agent implements StepHost, ChatMaker {
  private readonly router: Router;
  private readonly stores: StoreFactory;
  private readonly exact = new Map<string, StepCache<AnswerValue>>();
  private readonly semantic = new Map<string, StepCache<AnswerValue>>();
  private readonly embeddingCaches = new Map<string, StepCache<EmbeddingValue>>();
  private readonly toolCaches = new Map<string, StepCache<ToolValue>>();
  private readonly streamed: Set<string>;
  private readonly qualityStep: string | null;
  private readonly stepHash = new Map<string, number>();
  private readonly promptSpace: PromptSpace;
  readonly toolCalling: ToolCalling | undefined;
  readonly routing = newRoutingCounters();
  private readonly keys = new RequestKeys();

  readonly clock: Clock;
  readonly client: LlmClient;

  constructor(private readonly ctx: AgentContext) {
    this.clock = ctx.clock;
    this.client = ctx.client;
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

  /** Runs one request to its end, from promise-based code (live mode's queue workers). */
  run(req: AgentRequest): Promise<JobOutcome> {
    return runTask(this.clock, this.task(req));
  }

  /**
   * One request's run as a task (the executor drives it); `ended` sees the outcome as the run
   * returns it (a caller that only records it needs no task of its own around this one).
   */
  *task(req: AgentRequest, ended?: (outcome: JobOutcome) => void): Task<JobOutcome> {
    const job: JobState = {
      req,
      data: new ToolData(),
      callIndex: 0,
      outputs: new Map(),
      correct: true,
      failed: false,
      firstTokenAtMs: null,
      calls: 0,
      startedAtMs: this.ctx.clock.now(),
      awaited: false,
      keys: undefined,
    };
    yield* this.steps(this.ctx.scenario.workflow, job, 0);
    const outcome: JobOutcome = { ok: !job.failed, correct: !job.failed && job.correct, firstTokenAtMs: job.firstTokenAtMs, calls: job.calls };
    ended?.(outcome);
    return outcome;
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

  private *steps(steps: Step[], job: JobState, iteration: number): Task<void> {
    for (const step of steps) {
      if (job.failed) return;
      switch (step.type) {
        case 'llm':
          yield* this.llm(step, job, iteration);
          break;
        case 'embedding':
          yield* embeddingStep(this, step, this.embeddingCaches.get(step.name), job, iteration);
          break;
        case 'tool':
          yield* toolStep(this, step, this.toolCaches.get(step.name), job, iteration);
          break;
        case 'loop': {
          const rng = this.rng(job, step.name, iteration);
          for (let it = 0; it < step.maxIterations; it++) {
            yield* this.steps(step.steps, job, iteration * 16 + it);
            if (job.failed || !(rng.next() < step.repeatProbability)) break;
          }
          break;
        }
      }
    }
  }

  /** The keys of the job's wording (request-keys.ts), looked up on first use. */
  keysOf(job: JobState): WordingKeys {
    return (job.keys ??= this.keys.of(job.req));
  }

  rng(job: JobState, stepName: string, iteration: number): Rng {
    return new Rng(this.stepSeed(job, stepName, iteration));
  }

  /** The seed of one step of one request (its draws, and the quality verdict's `answerSeed`). */
  private stepSeed(job: JobState, stepName: string, iteration: number): number {
    let h = this.stepHash.get(stepName);
    if (h === undefined) this.stepHash.set(stepName, (h = hashString(stepName)));
    return mix32(job.req.seed ^ mix32(h + iteration * 0x632be5ab));
  }

  /** Writes a call's ledger row for the job. */
  record(job: JobState, row: LedgerRow): void {
    job.calls++;
    row.job = job.req.id;
    this.ctx.ledger.record(row);
  }

  /**
   * One LLM step: its call's shape, then the exact cache, the semantic cache, and otherwise a real
   * call (routed or to the step's model), whose answer the caches then keep.
   */
  private *llm(step: LlmStep, job: JobState, iteration: number): Task<void> {
    const run = this.llmCall(step, job, iteration);
    const exact = this.exact.get(step.name);
    const exactKey = exact === undefined ? '' : this.keysOf(job).exact(step.name, run.modelSig, iteration, run.shape.inputTokens);
    if (exact !== undefined && (yield* this.fromExactCache(run, exact, exactKey))) return;
    const semantic = this.semantic.get(step.name);
    let vector: Float64Array | undefined;
    let bucket = '';
    if (semantic !== undefined) {
      bucket = this.keysOf(job).topic;
      vector = yield* this.embedPrompt(run, semantic);
      if (yield* this.fromSemanticCache(run, semantic, vector, bucket)) return;
    }
    const value = yield* this.answer(run);
    if (value === undefined) return;
    const now = this.ctx.clock.now();
    if (exact !== undefined) {
      if (syncCache(job, exact, now) !== undefined) exact.setSync(exactKey, value, now);
      else yield* awaitCache(job, () => exact.set(exactKey, value, now));
    }
    if (semantic !== undefined && vector !== undefined) {
      const key = `${step.name}|${this.keysOf(job).prompt}|${iteration}`;
      const stored = { ...value, vector: storedVector(semantic, vector) };
      if (syncCache(job, semantic, now) !== undefined) semantic.setSync(key, stored, now, bucket);
      else yield* awaitCache(job, () => semantic.set(key, stored, now, bucket));
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
    const seed = this.stepSeed(job, step.name, iteration);
    const rng = new Rng(seed);
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
      seed,
    };
    this.toolCalling?.shape(step.name, job, shape);
    return new LlmCall(this, job, step.name, fixedModel, shape);
  }

  /** Serves the step from the exact cache when it holds this prompt; false on a miss. */
  private *fromExactCache(run: LlmCall, exact: StepCache<AnswerValue>, key: string): Task<boolean> {
    const now = this.ctx.clock.now();
    const memory = syncCache(run.job, exact, now);
    const hit = memory !== undefined ? memory.getSync(key, now) : yield* awaitCache(run.job, () => exact.get(key, now));
    if (hit === undefined) {
      exact.counter.miss();
      return false;
    }
    yield* this.serveFromCache(run, 'exact', exact, hit.value, false);
    return true;
  }

  /** The semantic cache's lookup embeds the prompt first (a paid call). */
  private *embedPrompt(run: LlmCall, semantic: StepCache<AnswerValue>): Task<Float64Array> {
    const { clock, client } = this.ctx;
    const req = run.job.req;
    const spec = semantic.spec;
    const t0 = clock.now();
    const e = yield* embedTask(client, {
      model: spec.type === 'semantic' ? spec.embeddingModel : '',
      step: run.step,
      jobId: req.id,
      jobSeed: req.seed,
      callIndex: run.job.callIndex++,
      inputTokens: req.inputTokens,
      texts: 1,
    });
    this.record(run.job, embedRow(t0, run.step, e));
    // the wording's vector, kept with its keys (one lookup for both)
    return (this.keysOf(run.job).vector ??= this.promptSpace.vector(req));
  }

  /** Serves the step with the most similar stored answer above the threshold; false on a miss. */
  private *fromSemanticCache(run: LlmCall, semantic: StepCache<AnswerValue>, vector: Float64Array, bucket: string): Task<boolean> {
    const now = this.ctx.clock.now();
    const near =
      syncCache(run.job, semantic, now) !== undefined
        ? nearestAnswerSync(semantic, vector, bucket, now)
        : yield* awaitCache(run.job, () => nearestAnswer(semantic, vector, bucket, now));
    if (near === undefined) {
      semantic.counter.miss();
      return false;
    }
    yield* this.serveFromCache(run, 'semantic', semantic, near.entry.value, near.entry.value.intentKey !== this.keysOf(run.job).intent);
    return true;
  }

  /** A real call, routed or to the step's model; the answer to keep in the caches, or undefined when it failed. */
  private *answer(run: LlmCall): Task<AnswerValue | undefined> {
    let answer: ChatResult;
    let releasedAtEnd = false;
    if (run.fixedModel !== undefined) {
      answer = yield* run.call(run.fixedModel);
    } else {
      const routed = yield* this.router.route(run);
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
      // the wording's string when a cache has looked it up (no lookup for a run without caches)
      intentKey: run.job.keys?.intent ?? run.job.req.intentKey,
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
  private *serveFromCache(run: LlmCall, kind: 'exact' | 'semantic', cache: StepCache<AnswerValue>, value: AnswerValue, falseHit: boolean): Task<void> {
    const { clock, catalog } = this.ctx;
    const t0 = clock.now();
    yield sleep(cache.spec.latencyMs);
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
  *chat(run: LlmCall, model: string, outputTokens: number, timeoutMs: number | undefined): Task<ChatResult> {
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
    const r = yield* chatTask(client, call);
    if (run.shape.tools !== undefined) this.toolCalling!.answered(job, run.shape.tools, r);
    run.spentUsd += r.costUsd;
    this.record(job, chatRow(t0, run.step, model, r));
    return r;
  }
}
