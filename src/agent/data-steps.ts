/**
 * The agent's embedding and tool steps: each served from its cache when it can, otherwise a paid
 * call, with its ledger row.
 */
import type { Clock } from '../core/clock.ts';
import type { Rng } from '../core/random.ts';
import { sleep, wait, type Task } from '../core/task.ts';
import { embedTask, type LlmClient } from '../llm/client.ts';
import type { LedgerRow } from '../metrics/ledger.ts';
import type { EmbeddingStep, ToolStep } from '../scenario/schema.ts';
import type { EmbeddingValue, StepCache, ToolValue } from '../strategies/caches.ts';
import { sample } from '../workload/distribution.ts';
import { Zipf } from '../workload/zipf.ts';
import type { JobState } from './llm-call.ts';
import type { ToolCalling } from './tool-calling.ts';
import { cacheRow, embedRow, toolRow } from './rows.ts';

/** What these steps need from the agent. */
export interface StepHost {
  readonly clock: Clock;
  readonly client: LlmClient;
  /** Tool calling, when the scenario uses it (tool-calling.ts). */
  readonly toolCalling: ToolCalling | undefined;
  /** The generator of one step of one request. */
  rng(job: JobState, stepName: string, iteration: number): Rng;
  /** Writes a call's ledger row for the job. */
  record(job: JobState, row: LedgerRow): void;
}

interface Text {
  key: string;
  tokens: number;
}

const chunkZipfs = new WeakMap<EmbeddingStep, Zipf>();

/** The texts an embedding step embeds: the query, or the request's distinct retrieved chunks. */
function embeddingTexts(host: StepHost, step: EmbeddingStep, job: JobState, iteration: number): Text[] {
  const req = job.req;
  if (step.input === 'query' || step.chunks === undefined) return [{ key: req.promptKey, tokens: req.inputTokens }];
  const c = step.chunks;
  let z = chunkZipfs.get(step);
  if (z === undefined) chunkZipfs.set(step, (z = new Zipf(c.corpus, c.zipf)));
  const rng = host.rng(job, step.name, iteration);
  // the chunks a request needs are distinct (a retrieval returns a set): redraw repeats
  const chunks = new Set<number>();
  const want = Math.min(c.perRequest, c.corpus);
  while (chunks.size < want) chunks.add(z.sample(rng));
  const texts: Text[] = [];
  for (const k of chunks) texts.push({ key: `chunk/${k}`, tokens: c.tokens });
  return texts;
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
  const texts = embeddingTexts(host, step, job, iteration);
  const t0 = clock.now();
  let missTokens = 0;
  const missed: Text[] = [];
  for (const t of texts) {
    const hit = cache === undefined ? undefined : yield* wait(() => cache.get(`${step.model}|${t.key}`, clock.now()));
    if (hit !== undefined) {
      cache!.counter.hit(hit.value.costUsd);
    } else {
      cache?.counter.miss();
      missTokens += t.tokens;
      missed.push(t);
    }
  }
  if (missed.length === 0) {
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
    texts: missed.length,
  });
  host.record(job, embedRow(t0, step.name, e));
  if (e.outcome !== 'ok') {
    job.failed = true;
    return;
  }
  if (cache !== undefined) {
    const perToken = missTokens === 0 ? 0 : e.costUsd / missTokens;
    for (const t of missed) yield* wait(() => cache.set(`${step.model}|${t.key}`, { costUsd: perToken * t.tokens }, clock.now()));
  }
}

/**
 * A tool step: a cached result (stale once its source has changed: the answer built on it is
 * wrong with the step's `staleImpact`) or a paid call. Either way the job remembers when the
 * data it now holds next changes, so an answer cached from it can go stale too.
 */
export function* toolStep(host: StepHost, step: ToolStep, cache: StepCache<ToolValue> | undefined, job: JobState, iteration: number): Task<void> {
  const { clock } = host;
  const req = job.req;
  const rng = host.rng(job, step.name, iteration);
  const key = step.keyBy === 'prompt' ? req.promptKey : step.keyBy === 'intent' ? req.intentKey : `${req.kind}/topic/${req.topic}`;
  host.toolCalling?.ran(step, job, key);
  const t0 = clock.now();
  if (cache !== undefined) {
    const hit = yield* wait(() => cache.get(key, t0));
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
  if (cache !== undefined) yield* wait(() => cache.set(key, { costUsd: step.costUsd, changesAtMs }, clock.now()));
}
