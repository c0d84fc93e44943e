/**
 * `bench worker`: a BullMQ worker process that runs the agent jobs of live runs started with
 * `bench run --live --redis <url>`, on this machine or another. Also the `--redis` flags of
 * `bench run` (described here once; `run` spreads them into its table).
 */
import { BenchError } from '../core/errors.ts';
import type { FlagSpec } from './flags.ts';
import { DEFAULT_LOCK_MS, DEFAULT_MAX_STALLED, DEFAULT_QUEUE, DEFAULT_STALLED_INTERVAL_MS, RETIRE_SIGNAL } from '../live/protocol.ts';
import type { RedisRunOptions } from '../live/queue-run.ts';
import { prepareScenario } from '../sweep/prepare.ts';
import { watchInterrupts } from './interrupt.ts';

const lockFlags = {
  'lock-ms': {
    type: 'number',
    range: { integer: true, min: 1 },
    describe: `Job lock (real ms): a dead worker's job is re-queued after about this long [default: ${DEFAULT_LOCK_MS}]`,
  },
  'stalled-interval-ms': {
    type: 'number',
    range: { integer: true, min: 1 },
    describe: `How often workers look for stalled jobs (real ms) [default: ${DEFAULT_STALLED_INTERVAL_MS}]`,
  },
  'max-stalled': {
    type: 'number',
    range: { integer: true, min: 1 },
    describe: `Re-queues of a job whose worker died before it fails [default: ${DEFAULT_MAX_STALLED}]`,
  },
} as const satisfies Record<string, FlagSpec>;

/** Flags of `bench worker`. */
export const WORKER_FLAGS = {
  redis: { type: 'string', demandOption: true, describe: 'Redis URL, e.g. redis://127.0.0.1:6379' },
  queue: { type: 'string', describe: `BullMQ queue to work [default: ${DEFAULT_QUEUE}]` },
  run: { type: 'string', describe: 'Load this run before taking jobs (set by `bench run` for the workers it starts)' },
  ...lockFlags,
} as const satisfies Record<string, FlagSpec>;

/** Flags `bench run` adds for BullMQ workers (spread into RUN_FLAGS). */
export const RUN_REDIS_FLAGS = {
  redis: { type: 'string', describe: 'Live: run the jobs on BullMQ workers through this Redis (the run starts its workers; `bench worker` adds more)' },
  queue: { type: 'string', describe: `Live with --redis: BullMQ queue [default: ${DEFAULT_QUEUE}]` },
  'spawn-workers': {
    type: 'boolean',
    default: true,
    describe: "Live with --redis: start the scenario's workers as child processes (--no-spawn-workers: only external `bench worker`s)",
  },
  ...lockFlags,
} as const satisfies Record<string, FlagSpec>;

/** Parsed `bench worker` arguments. */
export interface WorkerArgs {
  redis: string;
  queue?: string;
  run?: string;
  'lock-ms'?: number;
  'stalled-interval-ms'?: number;
  'max-stalled'?: number;
}

/** Parsed RUN_REDIS_FLAGS, as `bench run` receives them. */
export interface RunRedisArgs {
  scenario: string;
  live: boolean;
  redis?: string;
  queue?: string;
  'spawn-workers': boolean;
  'lock-ms'?: number;
  'stalled-interval-ms'?: number;
  'max-stalled'?: number;
}

/** `bench run`'s `--redis` flags → `LiveOptions.redis` (undefined without --redis; a usage error without --live). */
export function redisRunOptions(args: RunRedisArgs): RedisRunOptions | undefined {
  if (args.redis === undefined) {
    if (args.queue !== undefined) throw new BenchError('USAGE', '--queue needs --redis');
    return undefined;
  }
  if (!args.live) throw new BenchError('USAGE', '--redis needs --live (simulated runs have no real workers)');
  return {
    url: args.redis,
    scenarioFile: args.scenario,
    spawnWorkers: args['spawn-workers'],
    ...(args.queue !== undefined ? { queue: args.queue } : {}),
    ...lockOptions(args),
  };
}

function lockOptions(args: { 'lock-ms'?: number; 'stalled-interval-ms'?: number; 'max-stalled'?: number }) {
  return {
    ...(args['lock-ms'] !== undefined ? { lockMs: args['lock-ms'] } : {}),
    ...(args['stalled-interval-ms'] !== undefined ? { stalledIntervalMs: args['stalled-interval-ms'] } : {}),
    ...(args['max-stalled'] !== undefined ? { maxStalled: args['max-stalled'] } : {}),
  };
}

/**
 * Works the queue until stopped. SIGUSR2 (how `bench run` retires a worker it started) finishes
 * the running job and exits 0; SIGINT/SIGTERM leave at once (exit 130/143), the running job going
 * back to the queue for another worker once its lock expires.
 */
export async function workerCommand(args: WorkerArgs): Promise<number> {
  const apiKey = process.env.BENCH_API_KEY ?? process.env.OPENAI_API_KEY;
  const queue = args.queue ?? DEFAULT_QUEUE;
  const interruption = watchInterrupts();
  const retire = new Promise<void>((resolve) => process.once(RETIRE_SIGNAL, () => resolve()));
  try {
    // loaded here, not at start-up: BullMQ and ioredis are ~300 modules every other command would load for nothing
    const { startBenchWorker } = await import('../live/worker.ts');
    const worker = await startBenchWorker({
      redisUrl: args.redis,
      prepare: prepareScenario,
      queue,
      ...(args.run !== undefined ? { preloadRun: args.run } : {}),
      ...(apiKey ? { apiKey } : {}),
      ...lockOptions(args),
    });
    // `bench run` waits for this line before its clock starts
    process.stdout.write(`bench worker ready (queue ${queue}, pid ${process.pid})\n`);
    await Promise.race([retire, new Promise((resolve) => interruption.signal.addEventListener('abort', resolve, { once: true }))]);
    const stoppedBy = interruption.received();
    await worker.close(stoppedBy !== null);
    process.stderr.write(
      stoppedBy === null
        ? `bench worker: ${worker.processed} job(s) done\n`
        : `bench worker: interrupted by ${stoppedBy} after ${worker.processed} job(s); nothing kept here (results go to the run that queued each job; an unfinished job is re-queued once its lock expires)\n`,
    );
    return interruption.exitCode(0);
  } finally {
    interruption.dispose();
  }
}
