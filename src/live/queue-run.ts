/**
 * A live run whose jobs go through a BullMQ queue on Redis to `bench worker` processes instead
 * of the in-process executor. The run stores its metadata in Redis, starts its own workers (a
 * fixed pool or the autoscaler; others may join with `bench worker`), then — once its clock runs —
 * adds one job per request at the request's intended time (open loop) and records each
 * completion: the worker's pick-up and end times on the run's timeline, and the job's ledger rows.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { Clock } from '../core/clock.ts';
import type { Job } from '../engine/executor.ts';
import type { RemoteContext, RemoteJobs } from '../engine/simulate.ts';
import type { Configuration } from '../scenario/configurations.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { AgentRequest } from '../workload/requests.ts';
import { JobStatsTotals } from './job-stats.ts';
import { WorkerPool } from './pool.ts';
import {
  DEFAULT_LOCK_MS,
  DEFAULT_MAX_STALLED,
  DEFAULT_QUEUE,
  DEFAULT_STALLED_INTERVAL_MS,
  checkRedis,
  epochNowMs,
  jobId,
  RUN_META_TTL_S,
  runMetaKey,
  type JobData,
  type JobResult,
  type RunMeta,
} from './protocol.ts';

/** Live mode on BullMQ: where the queue is and who works it. */
export interface RedisRunOptions {
  /** Redis URL, e.g. redis://127.0.0.1:6379. */
  url: string;
  /** The scenario file, as given on the command line (workers load it). */
  scenarioFile: string;
  /** @default DEFAULT_QUEUE */
  queue?: string;
  /** Start the scenario's workers as child processes; false: only `bench worker` processes started elsewhere. @default true */
  spawnWorkers?: boolean;
  /** Job lock of the run's workers (real ms). @default DEFAULT_LOCK_MS */
  lockMs?: number;
  /** @default DEFAULT_STALLED_INTERVAL_MS */
  stalledIntervalMs?: number;
  /** @default DEFAULT_MAX_STALLED */
  maxStalled?: number;
}

/** How often the run polls the queue for its depth, busy workers and the autoscaler (real ms, at most). */
const POLL_MS = 250;

/** What a queue run adds to the live results. */
export interface QueueRunFacts {
  queue: string;
  /** Jobs run more than once because their worker died (or lost its lock) mid-job. */
  retriedJobs: number;
  warnings: string[];
}

interface Pending {
  req: AgentRequest;
  resolve: (r: JobResult) => void;
  reject: (err: Error) => void;
}

/** A run's queue, workers and bookkeeping, from before its clock starts until it is shut down. */
export class QueueRun {
  readonly runId = `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
  readonly queueName: string;
  private readonly queue: Queue<JobData, JobResult>;
  private readonly events: QueueEvents;
  private readonly redis: Redis;
  private readonly pool: WorkerPool | null;
  private readonly pending = new Map<string, Pending>();
  private readonly totals: JobStatsTotals;
  private retried = 0;
  private readonly warnings = new Set<string>();
  private poller: NodeJS.Timeout | null = null;
  private failWith!: (err: Error) => void;
  /** Rejects when the run cannot go on (a worker cannot load the scenario, jobs vanish). */
  readonly failed: Promise<never>;

  private constructor(
    options: RedisRunOptions,
    private readonly meta: RunMeta,
    private readonly config: Configuration,
  ) {
    this.queueName = options.queue ?? DEFAULT_QUEUE;
    const connection = { url: options.url, maxRetriesPerRequest: null };
    this.queue = new Queue<JobData, JobResult>(this.queueName, { connection });
    this.events = new QueueEvents(this.queueName, { connection });
    this.redis = new Redis(options.url, { maxRetriesPerRequest: 2, lazyConnect: true });
    // connection trouble mid-run: BullMQ reconnects; say so in the results instead of crashing
    const note = (err: Error) => this.warn(`Redis: ${err.message}`);
    this.queue.on('error', note);
    this.events.on('error', note);
    this.redis.on('error', note);
    this.totals = new JobStatsTotals(config.strategies.routing);
    this.pool =
      options.spawnWorkers === false
        ? null
        : new WorkerPool({
            redisUrl: options.url,
            queue: this.queueName,
            runId: this.runId,
            lockMs: options.lockMs ?? DEFAULT_LOCK_MS,
            stalledIntervalMs: options.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
            maxStalled: options.maxStalled ?? DEFAULT_MAX_STALLED,
            spec: config.strategies.workers,
            timeScale: meta.timeScale,
          });
    this.failed = new Promise<never>((_, reject) => (this.failWith = reject));
    this.failed.catch(() => undefined);
  }

  /**
   * Connects, stores the run's metadata and starts its workers; resolves when they are ready
   * (before the run's clock starts, so neither start-up nor scenario loading is measured).
   */
  static async start(args: {
    options: RedisRunOptions;
    scenario: Scenario;
    config: Configuration;
    seed: number;
    baseUrl: string;
    timeScale: number;
  }): Promise<QueueRun> {
    const { options, scenario, config } = args;
    await checkRedis(options.url, '--redis');
    const abs = resolve(options.scenarioFile);
    const meta: Omit<RunMeta, 'runId'> = {
      scenarioFile: abs,
      scenarioFileArg: options.scenarioFile,
      scenarioSha256: createHash('sha256').update(readFileSync(abs)).digest('hex'),
      configuration: config.name,
      seed: args.seed,
      requestsPerDay: scenario.traffic.requestsPerDay,
      durationHours: scenario.traffic.durationHours,
      baseUrl: args.baseUrl,
      timeScale: args.timeScale,
    };
    const run = new QueueRun(options, { ...meta, runId: '' }, config);
    run.meta.runId = run.runId;
    await run.redis.connect();
    await run.redis.set(runMetaKey(run.queueName, run.runId), JSON.stringify(run.meta), 'EX', RUN_META_TTL_S);
    run.listen();
    await Promise.all([run.events.waitUntilReady(), run.queue.waitUntilReady()]);
    try {
      await run.pool?.start();
    } catch (err) {
      await run.shutdown();
      throw err;
    }
    return run;
  }

  /** Jobs retried and warnings so far. */
  facts(): QueueRunFacts {
    const warnings = [...this.warnings, ...(this.pool?.problems ?? [])];
    if (this.pool !== null && this.pool.crashes > 0) warnings.unshift(`${this.pool.crashes} worker process(es) died during the run and were replaced`);
    return { queue: this.queueName, retriedJobs: this.retried, warnings };
  }

  /**
   * The executor of `executeConfiguration` for this run, on `clock` (whose time 0 is the epoch
   * instant `originEpochMs`).
   */
  executor(clock: Clock, originEpochMs: number): (ctx: RemoteContext) => RemoteJobs {
    return (ctx) => {
      this.pool?.startClock(originEpochMs);
      this.startPolling(clock, ctx);
      const run = this;
      return {
        submit(job: Job): void {
          clock.spawn(() => job.run());
        },
        stop(): void {
          run.stopPolling();
        },
        workerHours: () => this.pool?.workerHours() ?? 0,
        run: async (req) => {
          const id = jobId(this.runId, req.id);
          const result = await new Promise<JobResult>((resolve, reject) => {
            this.pending.set(id, { req, resolve, reject });
            this.queue
              .add(
                'request',
                { runId: this.runId, id: req.id, arrivalMs: req.arrivalMs, originEpochMs },
                { jobId: id, removeOnComplete: true, removeOnFail: true },
              )
              .catch((err: Error) => {
                this.pending.delete(id);
                reject(err);
              });
          });
          for (const row of result.rows) ctx.ledger.record(row);
          ctx.observer.started(req.id, result.pickedUpMs);
          this.totals.add(result);
          return { outcome: result.outcome, endMs: result.endMs };
        },
        routingStats: () => this.totals.routingStats(),
        cacheStats: () => this.totals.cacheStats(),
        close: async () => undefined,
      };
    };
  }

  /** Stops the workers, deletes the run's metadata and jobs left over, disconnects. */
  async shutdown(): Promise<void> {
    this.stopPolling();
    await this.pool?.stop();
    for (const [id, p] of this.pending) {
      p.reject(new Error(`job ${id} still pending at shutdown`));
      await this.queue.remove(id).catch(() => undefined);
    }
    this.pending.clear();
    if (this.redis.status === 'ready') await this.redis.del(runMetaKey(this.queueName, this.runId)).catch(() => undefined);
    await this.removeQueueIfIdle();
    this.redis.disconnect();
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }

  /**
   * Deletes the queue's keys from Redis (they have no expiry) unless another run still has jobs
   * in it: a queue is shared by name, so only an idle one is removed.
   */
  private async removeQueueIfIdle(): Promise<void> {
    try {
      const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      if (Object.values(counts).some((n) => n > 0)) return;
      await this.queue.obliterate();
    } catch {
      // Redis gone or a job arrived meanwhile: the keys stay, as before
    }
  }

  private listen(): void {
    this.events.on('completed', ({ jobId: id, returnvalue }) => {
      const p = this.pending.get(id);
      if (p === undefined) return;
      this.pending.delete(id);
      const result = returnvalue as unknown as JobResult;
      if (result.attemptsStarted > 1) this.retried++;
      p.resolve(result);
    });
    this.events.on('failed', ({ jobId: id, failedReason }) => {
      const p = this.pending.get(id);
      if (p === undefined) return;
      this.pending.delete(id);
      if (/stalled more than allowable limit/.test(failedReason)) {
        // its workers kept dying: a failed request, not a broken run
        this.retried++;
        this.warn(`request ${p.req.id}: ${failedReason}`);
        p.resolve({
          outcome: { ok: false, correct: false, firstTokenAtMs: null, calls: 0 },
          pickedUpMs: p.req.arrivalMs,
          endMs: p.req.arrivalMs,
          rows: [],
          routing: null,
          caches: {},
          attemptsStarted: 0,
          worker: '',
        });
        return;
      }
      const err = new Error(`a worker failed request ${p.req.id} of run ${this.runId}: ${failedReason}`);
      p.reject(err);
      this.failWith(err);
    });
  }

  private startPolling(clock: Clock, ctx: RemoteContext): void {
    let busySum = 0;
    let servingSum = 0;
    let idleSince: number | null = null;
    const spec = this.config.strategies.workers;
    const intervalMs = spec.type === 'autoscale' ? (spec.intervalS * 1000) / this.meta.timeScale : Infinity;
    let lastTick = epochNowMs();
    const poll = async (): Promise<void> => {
      const counts = await this.queue.getJobCounts('waiting', 'active', 'prioritized', 'delayed');
      const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
      const active = counts.active ?? 0;
      const serving = this.pool?.serving ?? (await this.queue.getWorkersCount());
      const now = clock.now();
      ctx.observer.queueDepth(now, waiting);
      ctx.observer.workers(now, serving, Math.min(active, serving));
      busySum += Math.min(active, serving);
      servingSum += serving;
      if (epochNowMs() - lastTick >= intervalMs) {
        this.pool?.tick({ waiting, active, utilization: servingSum === 0 ? 1 : busySum / servingSum });
        busySum = servingSum = 0;
        lastTick = epochNowMs();
      }
      // jobs this run waits for, and none in the queue: their results were lost (a guard, not a path)
      if (this.pending.size > 0 && waiting + active === 0) {
        idleSince ??= epochNowMs();
        if (epochNowMs() - idleSince > 5_000)
          this.failWith(new Error(`${this.pending.size} job(s) of run ${this.runId} vanished from queue ${this.queueName}`));
      } else idleSince = null;
    };
    const period = Math.min(POLL_MS, intervalMs / 4);
    this.poller = setInterval(() => {
      poll().catch((err: Error) => this.warn(`queue poll failed: ${err.message}`));
    }, period);
  }

  /** Keeps a warning once (a flapping connection would repeat it every poll), at most a few dozen. */
  private warn(text: string): void {
    if (this.warnings.size < 50) this.warnings.add(text);
  }

  private stopPolling(): void {
    if (this.poller !== null) clearInterval(this.poller);
    this.poller = null;
  }
}
