/**
 * The worker processes a BullMQ run starts for itself: `bench worker` children, a fixed number
 * or following the scenario's autoscaler (the same rule as the in-process executor: desired =
 * ceil(current × metric / target), min/max, step limit, cooldown on the way down). A scaled-down
 * worker gets RETIRE_SIGNAL and finishes its job before it leaves; a worker that dies is replaced.
 * Worker-hours count each process from launch to exit, on the run's (scaled) timeline.
 */
import type { ChildProcess } from 'node:child_process';
import { decideScale } from '../engine/autoscaler.ts';
import type { WorkersSpec } from '../scenario/schema.ts';
import { spawnBenchChild } from './bench-child.ts';
import { epochNowMs, RETIRE_SIGNAL } from './protocol.ts';

/** How long a worker process may take to start and load its run (real ms). */
const WORKER_READY_TIMEOUT_MS = 90_000;

/** How the pool's children are started. */
export interface PoolOptions {
  redisUrl: string;
  queue: string;
  /** Run the children preload. */
  runId: string;
  lockMs: number;
  stalledIntervalMs: number;
  maxStalled: number;
  spec: WorkersSpec;
  timeScale: number;
}

interface Child {
  proc: ChildProcess;
  launchedEpochMs: number;
  exitedEpochMs: number | null;
  ready: boolean;
  retiring: boolean;
  stderr: string;
}

/** What the autoscaler reads at a tick. */
export interface QueueLoad {
  waiting: number;
  active: number;
  /** Busy share of serving workers, averaged since the last tick. */
  utilization: number;
}

/** The run's own worker processes. */
export class WorkerPool {
  private readonly children = new Set<Child>();
  private readonly gone: Child[] = [];
  private stopped = false;
  private originEpochMs = epochNowMs();
  private lastScaleEpochMs = -Infinity;
  /** Workers that exited without being asked to. */
  crashes = 0;
  /** Reasons children died, for the run's warnings. */
  readonly problems: string[] = [];

  constructor(private readonly options: PoolOptions) {}

  /** Launches the initial workers and waits until each is ready (connected, run loaded). */
  async start(): Promise<void> {
    const spec = this.options.spec;
    const initial = spec.type === 'fixed' ? spec.workers : spec.min;
    await Promise.all(Array.from({ length: initial }, () => this.launch()));
  }

  /** The run's clock started: worker-hours count from here (initial workers as if launched now). */
  startClock(originEpochMs: number): void {
    this.originEpochMs = originEpochMs;
  }

  /** Workers able to take jobs now. */
  get serving(): number {
    let n = 0;
    for (const c of this.children) if (c.ready && !c.retiring) n++;
    return n;
  }

  /** Workers launched and not yet asked to leave. */
  get current(): number {
    let n = 0;
    for (const c of this.children) if (!c.retiring) n++;
    return n;
  }

  /** Worker-hours on the run's timeline, up to now for the running ones. */
  workerHours(): number {
    const now = epochNowMs();
    let ms = 0;
    for (const c of [...this.gone, ...this.children]) ms += Math.max(0, (c.exitedEpochMs ?? now) - Math.max(c.launchedEpochMs, this.originEpochMs));
    return (ms * this.options.timeScale) / 3_600_000;
  }

  /** One autoscaler decision (a no-op for a fixed pool). */
  tick(load: QueueLoad): void {
    const spec = this.options.spec;
    if (this.stopped || spec.type !== 'autoscale') return;
    const now = epochNowMs();
    const { delta } = decideScale(
      {
        current: this.current,
        serving: this.serving,
        busy: load.active,
        queued: load.waiting,
        utilization: load.utilization,
        sinceLastScaleMs: (now - this.lastScaleEpochMs) * this.options.timeScale,
      },
      spec,
    );
    if (delta > 0) {
      for (let i = 0; i < delta; i++) void this.launch().catch(() => undefined);
      this.lastScaleEpochMs = now;
    } else if (delta < 0) {
      const remove = -delta;
      this.lastScaleEpochMs = now;
      // the youngest go first (they are the likeliest still starting or idle); each drains its job
      const order = [...this.children].filter((c) => !c.retiring).sort((a, b) => b.launchedEpochMs - a.launchedEpochMs);
      for (const c of order.slice(0, remove)) this.retire(c);
    }
  }

  /** Asks every worker to finish its job and leave; resolves when all have (SIGKILL after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    const exits = [...this.children].map((c) => {
      this.retire(c);
      return new Promise<void>((resolve) => {
        if (c.exitedEpochMs !== null) return resolve();
        const timer = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
        c.proc.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    });
    await Promise.all(exits);
  }

  private retire(c: Child): void {
    if (c.retiring) return;
    c.retiring = true;
    if (c.exitedEpochMs === null) c.proc.kill(RETIRE_SIGNAL);
  }

  private launch(): Promise<void> {
    const o = this.options;
    const args = [
      'worker',
      '--redis',
      o.redisUrl,
      '--queue',
      o.queue,
      '--run',
      o.runId,
      '--lock-ms',
      String(o.lockMs),
      '--stalled-interval-ms',
      String(o.stalledIntervalMs),
      '--max-stalled',
      String(o.maxStalled),
    ];
    const proc = spawnBenchChild(args);
    const child: Child = { proc, launchedEpochMs: epochNowMs(), exitedEpochMs: null, ready: false, retiring: false, stderr: '' };
    this.children.add(child);
    return new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => {
        reject(new Error(`bench worker (pid ${proc.pid}) not ready after ${WORKER_READY_TIMEOUT_MS} ms: ${child.stderr.slice(-500)}`));
        this.retire(child);
      }, WORKER_READY_TIMEOUT_MS);
      proc.stdout!.on('data', (d: Buffer) => {
        if (child.ready) return;
        out += d.toString();
        if (/bench worker ready/.test(out)) {
          child.ready = true;
          clearTimeout(timer);
          resolve();
        }
      });
      proc.stderr!.on('data', (d: Buffer) => {
        child.stderr = (child.stderr + d.toString()).slice(-4000);
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        child.exitedEpochMs = epochNowMs();
        this.children.delete(child);
        this.gone.push(child);
        if (!child.ready) reject(new Error(`bench worker exited (${signal ?? code}) before it was ready: ${child.stderr.slice(-500)}`));
        if (!child.retiring && !this.stopped) {
          // died on its own (OOM, a kill, a crash): its job is re-queued by the stalled check; replace the worker
          this.crashes++;
          this.problems.push(`worker pid ${proc.pid} exited (${signal ?? code})${child.stderr ? `: ${child.stderr.trim().split('\n').slice(-1)[0]}` : ''}`);
          if (child.ready) void this.launch().catch(() => undefined);
        }
      });
    });
  }
}
