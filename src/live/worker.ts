/**
 * A BullMQ worker process's job loop: one job (one agent run) at a time. For each run it sees it
 * loads the scenario once (the same file and seed as the run), builds an `Agent` with the HTTP
 * client and a clock aligned to the run's, and for each job rebuilds the request from its id and
 * arrival time, runs it and returns the outcome with the ledger rows of its calls. A worker that
 * dies mid-job loses nothing: its lock expires and another worker's stalled check re-queues the job.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { Agent } from '../agent/agent.ts';
import { HttpLlmClient } from '../llm/http-client.ts';
import { Ledger, type LedgerRow } from '../metrics/ledger.ts';
import type { Catalog } from '../provider/catalog.ts';
import type { Configuration } from '../scenario/configurations.ts';
import type { Scenario } from '../scenario/schema.ts';
import { RequestFactory } from '../workload/requests.ts';
import { EpochClock } from './epoch-clock.ts';
import { meterJob } from './job-stats.ts';
import {
  DEFAULT_LOCK_MS,
  DEFAULT_MAX_STALLED,
  DEFAULT_QUEUE,
  DEFAULT_STALLED_INTERVAL_MS,
  checkRedis,
  runMetaKey,
  type JobData,
  type JobResult,
  type RunMeta,
} from './protocol.ts';

/**
 * Loads a scenario file with a run's overrides exactly as `bench run` did (the CLI passes sweep's
 * prepareScenario: src/live sits below src/sweep and does not import it).
 */
type PrepareRun = (
  file: string,
  overrides: { seed: number; requestsPerDay: number; durationHours: number },
) => Promise<{ scenario: Scenario; catalog: Catalog; configurations: Configuration[] }>;

/** Options of a worker. */
export interface BenchWorkerOptions {
  redisUrl: string;
  /** How to load a run's scenario. */
  prepare: PrepareRun;
  /** @default DEFAULT_QUEUE */
  queue?: string;
  /** Job lock, real ms: a dead worker's job is re-queued this long after it died (plus a stalled interval). @default DEFAULT_LOCK_MS */
  lockMs?: number;
  /** @default DEFAULT_STALLED_INTERVAL_MS */
  stalledIntervalMs?: number;
  /** @default DEFAULT_MAX_STALLED */
  maxStalled?: number;
  /** Bearer token for the target. */
  apiKey?: string;
  /** Load this run before taking jobs (a worker the run started for itself). */
  preloadRun?: string;
}

/** A running worker. */
export interface BenchWorker {
  /** Jobs finished so far. */
  readonly processed: number;
  /** Stops taking jobs, lets the running one finish, disconnects. */
  /** Stops taking jobs; waits for the running one unless `force` (BullMQ then re-queues it once its lock expires). */
  close(force?: boolean): Promise<void>;
}

/** Runs loaded by this worker, kept while jobs may still come (the most recent few). */
const MAX_RUNS = 4;

interface LoadedRun {
  meta: RunMeta;
  agent: Agent;
  clock: EpochClock;
  factory: RequestFactory;
  /** Ledger rows of the job running now (one job at a time). */
  rows: LedgerRow[];
}

/** Starts a worker on `queue`; resolves once it is connected and (if asked) has loaded its run. */
export async function startBenchWorker(options: BenchWorkerOptions): Promise<BenchWorker> {
  const queue = options.queue ?? DEFAULT_QUEUE;
  await checkRedis(options.redisUrl, '--redis');
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
  await redis.connect();
  const runs = new RunCache(redis, queue, options);
  if (options.preloadRun !== undefined) await runs.load(options.preloadRun);
  const name = `${hostname()}:${process.pid}`;
  let processed = 0;
  const worker = new Worker<JobData, JobResult>(
    queue,
    async (job: Job<JobData, JobResult>) => {
      const result = await runJob(await runs.load(job.data.runId), job, name);
      processed++;
      return result;
    },
    {
      connection: { url: options.redisUrl, maxRetriesPerRequest: null },
      concurrency: 1,
      lockDuration: options.lockMs ?? DEFAULT_LOCK_MS,
      stalledInterval: options.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
      maxStalledCount: options.maxStalled ?? DEFAULT_MAX_STALLED,
    },
  );
  // errors of the connection are retried by BullMQ; keep them from crashing the process
  worker.on('error', (err) => process.stderr.write(`bench worker: ${err.message}\n`));
  await worker.waitUntilReady();
  return {
    get processed() {
      return processed;
    },
    async close(force = false) {
      await worker.close(force);
      await runs.closeAll();
      redis.disconnect();
    },
  };
}

/** Runs one job (one agent run) of a loaded run and returns its outcome and ledger rows. */
async function runJob(run: LoadedRun, job: Job<JobData, JobResult>, worker: string): Promise<JobResult> {
  run.clock.originEpochMs = job.data.originEpochMs;
  const pickedUpMs = run.clock.now();
  const req = run.factory.make(job.data.id, job.data.arrivalMs);
  const moved = meterJob(run.agent);
  run.rows = [];
  const outcome = await run.agent.run(req);
  const endMs = run.clock.now();
  return { outcome, pickedUpMs, endMs, rows: run.rows, ...moved(), attemptsStarted: job.attemptsStarted, worker };
}

/** The runs this worker has loaded, by run id: the most recent MAX_RUNS, each loaded once. */
class RunCache {
  private readonly runs = new Map<string, Promise<LoadedRun>>();

  constructor(
    private readonly redis: Redis,
    private readonly queue: string,
    private readonly options: BenchWorkerOptions,
  ) {}

  load(runId: string): Promise<LoadedRun> {
    let p = this.runs.get(runId);
    if (p !== undefined) return p;
    p = loadRun(this.redis, this.queue, runId, this.options);
    this.runs.set(runId, p);
    p.catch(() => this.runs.delete(runId));
    if (this.runs.size > MAX_RUNS) {
      const [oldest, old] = this.runs.entries().next().value!;
      this.runs.delete(oldest);
      void closeRun(old);
    }
    return p;
  }

  async closeAll(): Promise<void> {
    for (const p of this.runs.values()) await closeRun(p);
  }
}

/** Closes a run's agent (its connections), if it loaded. */
function closeRun(run: Promise<LoadedRun>): Promise<void> {
  return run.then(
    (r) => r.agent.close(),
    () => undefined,
  );
}

/** Loads a run's scenario and builds its agent. */
async function loadRun(redis: Redis, queue: string, runId: string, options: BenchWorkerOptions): Promise<LoadedRun> {
  const apiKey = options.apiKey;
  const text = await redis.get(runMetaKey(queue, runId));
  if (text === null) throw new Error(`run ${runId}: no metadata at ${runMetaKey(queue, runId)} (the run ended, or uses another Redis or queue)`);
  const meta = JSON.parse(text) as RunMeta;
  const file = existsSync(meta.scenarioFile) ? meta.scenarioFile : resolve(meta.scenarioFileArg);
  if (!existsSync(file)) throw new Error(`run ${runId}: scenario file not found here (${meta.scenarioFile}, or ${meta.scenarioFileArg} from ${process.cwd()})`);
  const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
  if (sha !== meta.scenarioSha256) {
    throw new Error(
      `run ${runId}: ${file} differs from the run's scenario file (sha256 ${sha.slice(0, 12)} ≠ ${meta.scenarioSha256.slice(0, 12)}); check out the same version`,
    );
  }
  const prepared = await options.prepare(file, { seed: meta.seed, requestsPerDay: meta.requestsPerDay, durationHours: meta.durationHours });
  const config = prepared.configurations.find((c) => c.name === meta.configuration);
  if (config === undefined) throw new Error(`run ${runId}: ${file} has no configuration "${meta.configuration}"`);
  const clock = new EpochClock(0, meta.timeScale);
  const client = new HttpLlmClient({ baseUrl: meta.baseUrl, catalog: prepared.catalog, clock, timeScale: meta.timeScale, ...(apiKey ? { apiKey } : {}) });
  const loaded: LoadedRun = {
    meta,
    clock,
    factory: new RequestFactory(prepared.scenario, meta.seed),
    rows: [],
    agent: undefined as unknown as Agent,
  };
  loaded.agent = new Agent({
    clock,
    client,
    ledger: new Ledger((row) => loaded.rows.push(row)),
    catalog: prepared.catalog,
    scenario: prepared.scenario,
    strategies: config.strategies,
    seed: meta.seed,
    // the same namespace in every worker of the run: Redis-backed caches are shared between them
    cacheNamespace: `bench:${prepared.scenario.name}:${config.name}:${meta.seed}:${runId}`,
  });
  return loaded;
}
