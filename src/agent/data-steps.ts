/**
 * The agent's embedding and tool steps: each served from its cache when it can, otherwise a paid
 * call, with its ledger row.
 */
import type { Clock } from '../core/clock.ts';
import type { Rng } from '../core/random.ts';
import { sleep, type Task } from '../core/task.ts';
import { embedTask, type LlmClient } from '../llm/client.ts';
import type { LedgerRow } from '../metrics/ledger.ts';
import type { EmbeddingStep, ToolStep } from '../scenario/schema.ts';
import type { EmbeddingValue, StepCache, ToolValue } from '../strategies/caches.ts';
import { sample } from '../workload/distribution.ts';
import { Zipf } from '../workload/zipf.ts';
import { awaitCache, syncCache, type JobState } from './llm-call.ts';
import type { WordingKeys } from './request-keys.ts';
import type { ToolCalling } from './tool-calling.ts';
import { cacheRow, embedRow, toolRow } from './rows.ts';

/** What these steps need from the agent. */
export interface StepHost {
  readonly clock: Clock;
  readonly client: LlmClient;
  /** Tool calling, when the scenario uses it (tool-calling.ts). */
  readonly toolCalling: ToolCalling | undefined;
  /** The keys of the job's wording (request-keys.ts). */
  keysOf(job: JobState): WordingKeys;
  /** The generator of one step of one request. */
  rng(job: JobState, stepName: string, iteration: number): Rng;
  /** Writes a call's ledger row for the job. */
  record(job: JobState, row: LedgerRow): void;
}

interface Text {
  /** The embedding cache's key: `<model>|<text's key>`. */
  key: string;
  tokens: number;
}

/** An embedding step's Zipf over its chunk corpus and its chunks' cache keys, each made once. */
interface EmbeddingPlan {
  zipf: Zipf;
  chunkKeys: Map<number, string>;
}

const plans = new WeakMap<EmbeddingStep, EmbeddingPlan>();

function planOf(step: EmbeddingStep, c: NonNullable<EmbeddingStep['chunks']>): EmbeddingPlan {
  let plan = plans.get(step);
  if (plan === undefined) plans.set(step, (plan = { zipf: new Zipf(c.corpus, c.zipf), chunkKeys: new Map() }));
  return plan;
}

/** The texts an embedding step embeds: the query, or the request's distinct retrieved chunks. */
function embeddingTexts(host: StepHost, step: EmbeddingStep, job: JobState, iteration: number): Text[] {
  const req = job.req;
  if (step.input === 'query' || step.chunks === undefined) return [{ key: host.keysOf(job).embedding(step.model), tokens: req.inputTokens }];
  const c = step.chunks;
  const plan = planOf(step, c);
  const z = plan.zipf;
  const rng = host.rng(job, step.name, iteration);
  // the chunks a request needs are distinct (a retrieval returns a set): redraw repeats
  const chunks: number[] = [];
  const want = Math.min(c.perRequest, c.corpus);
  while (chunks.length < want) {
    const k = z.sample(rng);
    if (!chunks.includes(k)) chunks.push(k);
  }
  const texts: Text[] = [];
  for (const k of chunks) {
    let key = plan.chunkKeys.get(k);
    if (key === undefined) plan.chunkKeys.set(k, (key = `${step.model}|chunk/${k}`));
    texts.push({ key, tokens: c.tokens });
  }
  return texts;
}

/** The step's texts the cache does not hold (hits and misses counted). */
function* cacheMisses(host: StepHost, step: EmbeddingStep, cache: StepCache<EmbeddingValue>, job: JobState, iteration: number): Task<Text[]> {
  const missed: Text[] = [];
  for (const t of embeddingTexts(host, step, job, iteration)) {
    const key = t.key;
    const now = host.clock.now();
    const memory = syncCache(job, cache, now);
    const hit = memory !== undefined ? memory.getSync(key, now) : yield* awaitCache(job, () => cache.get(key, now));
    if (hit !== undefined) cache.counter.hit(hit.value.costUsd);
    else {
      cache.counter.miss();
      missed.push(t);
    }
  }
  return missed;
}

/** An embedding step: texts the cache holds cost nothing; the rest go in one paid call. */
export function* embeddingStep(
  host: StepHost,
  step: EmbeddingStep,
  cache: StepCache<EmbeddingValue> | undefined,
  job: JobState,
  iteration: number,
): Task<void> {
  const { clock, client } = host;
  const t0 = clock.now();
  let missed: Text[] = [];
  let missTokens = 0;
  let missCount: number;
  if (cache === undefined) {
    // every text is embedded: without a cache, which chunks they are changes nothing (none is drawn)
    const c = step.chunks;
    const query = step.input === 'query' || c === undefined;
    missCount = query ? 1 : Math.min(c.perRequest, c.corpus);
    missTokens = query ? job.req.inputTokens : missCount * c.tokens;
  } else {
    missed = yield* cacheMisses(host, step, cache, job, iteration);
    for (const t of missed) missTokens += t.tokens;
    missCount = missed.length;
  }
  if (missCount === 0) {
    yield sleep(cache!.spec.latencyMs);
    host.record(job, cacheRow(t0, step.name, step.model, 'embedding', 'embedding', clock.now() - t0, 0));
    return;
  }
  const req = job.req;
  const e = yield* embedTask(client, {
    model: step.model,
    step: step.name,
    jobId: req.id,
    jobSeed: req.seed,
    callIndex: job.callIndex++,
    inputTokens: missTokens,
    texts: missCount,
  });
  host.record(job, embedRow(t0, step.name, e));
  if (e.outcome !== 'ok') {
    job.failed = true;
    return;
  }
  if (cache !== undefined) {
    const perToken = missTokens === 0 ? 0 : e.costUsd / missTokens;
    for (const t of missed) {
      const key = t.key;
      const value = { costUsd: perToken * t.tokens };
      const now = clock.now();
      if (syncCache(job, cache, now) !== undefined) cache.setSync(key, value, now);
      else yield* awaitCache(job, () => cache.set(key, value, now));
    }
  }
}

/**
 * A tool step: a cached result (stale once its source has changed: the answer built on it is
 * wrong with the step's `staleImpact`) or a paid call. Either way the job remembers when the
 * data it now holds next changes, so an answer cached from it can go stale too.
 */
export function* toolStep(host: StepHost, step: ToolStep, cache: StepCache<ToolValue> | undefined, job: JobState, iteration: number): Task<void> {
  const { clock } = host;
  const rng = host.rng(job, step.name, iteration);
  const keys = host.keysOf(job);
  const key = step.keyBy === 'prompt' ? keys.prompt : step.keyBy === 'intent' ? keys.intent : keys.topic;
  host.toolCalling?.ran(step, job, key);
  const t0 = clock.now();
  if (cache !== undefined) {
    const memory = syncCache(job, cache, t0);
    const hit = memory !== undefined ? memory.getSync(key, t0) : yield* awaitCache(job, () => cache.get(key, t0));
    if (hit !== undefined) {
      yield sleep(cache.spec.latencyMs);
      // stale: the source changed after the value was fetched
      const changesAtMs = hit.value.changesAtMs;
      const stale = changesAtMs !== null && clock.now() >= changesAtMs;
      cache.counter.hit(hit.value.costUsd, { stale });
      if (stale && rng.next() < step.staleImpact) job.correct = false;
      // an answer written from this value is stale once the source changes (already, if stale)
      job.data.uses(changesAtMs, step.staleImpact);
      host.record(job, cacheRow(t0, step.name, `tool:${step.name}`, 'tool', 'tool', clock.now() - t0, 0));
      return;
    }
    cache.counter.miss();
  }
  yield sleep(sample(step.latencyMs, rng));
  host.record(job, toolRow(t0, step.name, step.costUsd, clock.now() - t0));
  // the source's next change: a Poisson process of `changesPerHour` (memoryless, so drawn from now)
  const changesAtMs = step.changesPerHour > 0 ? clock.now() + rng.exponential(3_600_000 / step.changesPerHour) : null;
  job.data.uses(changesAtMs, step.staleImpact);
  if (cache !== undefined) {
    const value = { costUsd: step.costUsd, changesAtMs };
    const now = clock.now();
    if (syncCache(job, cache, now) !== undefined) cache.setSync(key, value, now);
    else yield* awaitCache(job, () => cache.set(key, value, now));
  }
}
