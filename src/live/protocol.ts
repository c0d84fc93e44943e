/**
 * What a run and its BullMQ workers say to each other through Redis: the run's metadata (one key
 * per run), a job per request, and what a worker returns for it. Workers are generic: one
 * `bench worker` serves any run whose jobs reach its queue, loading each run's scenario once.
 */
import type { JobOutcome } from '../metrics/recorder.ts';
import { BenchError } from '../core/errors.ts';
import type { LedgerRow } from '../metrics/ledger.ts';
import type { JobStats } from './job-stats.ts';

/** Queue a run and its workers use unless told otherwise. */
export const DEFAULT_QUEUE = 'bench';

/** How long a worker holds a job's lock before the job counts as stalled (real ms; renewed every half). */
export const DEFAULT_LOCK_MS = 10_000;

/** How often workers look for stalled jobs (real ms). */
export const DEFAULT_STALLED_INTERVAL_MS = 5_000;

/** How many times a job is re-queued after its worker died before it counts as failed. */
export const DEFAULT_MAX_STALLED = 2;

/** Run metadata lives this long in Redis (seconds) unless the run deletes it at its end. */
export const RUN_META_TTL_S = 7 * 24 * 3600;

/** Redis key of a run's metadata. */
export function runMetaKey(queue: string, runId: string): string {
  return `bench:run:${queue}:${runId}`;
}

/** BullMQ job id of a request (no `:` allowed, unique across runs sharing a queue). */
export function jobId(runId: string, requestId: number): string {
  return `${runId}-${requestId}`;
}

/** Everything a worker needs to run a run's requests, stored once per run. */
export interface RunMeta {
  runId: string;
  /** Scenario file, absolute on the machine that started the run… */
  scenarioFile: string;
  /** …and as given on its command line (tried relative to the worker's folder when the absolute path is missing). */
  scenarioFileArg: string;
  /** sha256 of the file's text, so a worker with a different copy refuses instead of measuring something else. */
  scenarioSha256: string;
  configuration: string;
  seed: number;
  /** Resolved traffic figures (the agent does not use them; kept so the scenario resolves the same). */
  requestsPerDay: number;
  durationHours: number;
  /** OpenAI-compatible base URL with /v1 the workers call (the key comes from each worker's environment). */
  baseUrl: string;
  timeScale: number;
}

/** One job: one request of one run. */
export interface JobData {
  runId: string;
  id: number;
  arrivalMs: number;
  /**
   * Scenario time 0 as epoch ms (`epochNowMs()` of the run). With the job, not the metadata: the
   * metadata is written, and workers load the scenario, before the run's clock starts.
   */
  originEpochMs: number;
}

/** What a worker returns for a job (with the routing and cache counters the job moved). */
export interface JobResult extends JobStats {
  outcome: JobOutcome;
  /** Scenario ms on the run's clock: when the worker took the job and when it finished. */
  pickedUpMs: number;
  endMs: number;
  rows: LedgerRow[];
  /** BullMQ's count of starts: above 1 when the job was re-queued after its worker died. */
  attemptsStarted: number;
  /** `host:pid` of the worker. */
  worker: string;
}

/** Scenario time on the run's clock, from the shared epoch origin. */
export function epochNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Fails fast with a clear message when Redis is not there (BullMQ itself would retry forever). */
export async function checkRedis(url: string, flag: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const conn = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  let cause: Error | undefined;
  conn.on('error', (err: Error) => (cause ??= err));
  try {
    await conn.connect();
    await conn.ping();
  } catch (err) {
    throw new BenchError('USAGE', `${flag} ${url}: cannot reach Redis (${(cause ?? (err as Error)).message}); start Redis or fix the URL`);
  } finally {
    conn.disconnect();
  }
}

/** The signal a run sends a worker it started to make it finish its job and leave (SIGINT/SIGTERM stop it at once). */
export const RETIRE_SIGNAL = 'SIGUSR2';
