/**
 * The executor: a FIFO queue of jobs (agent runs) and a pool of workers, one job per worker at a
 * time — the mission's model of horizontal scaling. Workers are a fixed pool or follow an
 * autoscaler (cold starts, cooldown, min/max, a step limit; scale-down drains running jobs).
 * Runs on any `Clock`: the virtual one in simulation, the real one live.
 */
import type { WorkersSpec } from '../scenario/schema.ts';
import type { Clock } from '../core/clock.ts';
import { startTask, wait, type Task } from '../core/task.ts';
import { decideScale } from './autoscaler.ts';

/** What the executor reports as it runs (the recorder listens). */
export interface ExecutorObserver {
  queueDepth(tMs: number, depth: number): void;
  /** Workers able to serve, and of them busy. */
  workers(tMs: number, serving: number, busy: number): void;
  started(jobId: number, tMs: number): void;
}

interface Worker {
  id: number;
  launchedAtMs: number;
  state: 'cold' | 'idle' | 'busy';
  retiring: boolean;
}

/** A job the executor runs: its arrival time and the work. */
export interface Job {
  id: number;
  arrivalMs: number;
  run(): Promise<void>;
  /** The work as a task (src/core/task.ts), run without a promise per step; else `run` is awaited. */
  task?(): Task<unknown>;
}

/** Queue + worker pool (+ autoscaler). */
export class Executor {
  private readonly queue: Job[] = [];
  private head = 0;
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private nextWorkerId = 0;
  private busy = 0;
  private serving = 0;
  /** Worker-milliseconds of every retired worker (launch to retirement). */
  private retiredWorkerMs = 0;
  private lastScaleMs = -Infinity;
  private busyIntegralMs = 0;
  private busySince = 0;
  private busyAtLastTick = 0;
  /** Serving-worker-milliseconds, the utilization metric's denominator (time-weighted like busy). */
  private servingIntegralMs = 0;
  private servingSince = 0;
  private servingAtLastTick = 0;
  private stopped = false;
  /** Decisions the autoscaler took: time, from, to. */
  readonly scaleEvents: Array<{ tMs: number; from: number; to: number }> = [];

  constructor(
    private readonly clock: Clock,
    private readonly spec: WorkersSpec,
    private readonly observer: ExecutorObserver,
  ) {
    const initial = spec.type === 'fixed' ? spec.workers : spec.min;
    for (let i = 0; i < initial; i++) this.launch(true);
    this.report();
    if (spec.type === 'autoscale') this.clock.schedule(spec.intervalS * 1000, () => this.tick());
  }

  /** Adds a job to the queue (call at its arrival time). */
  submit(job: Job): void {
    const w = this.idle.pop();
    if (w !== undefined) {
      this.assign(w, job);
      return;
    }
    this.queue.push(job);
    this.observer.queueDepth(this.clock.now(), this.queueLength);
  }

  get queueLength(): number {
    return this.queue.length - this.head;
  }

  /** Stops the autoscaler's ticks (after the last job has finished). */
  stop(): void {
    this.stopped = true;
  }

  /** Worker-hours used up to now (running workers counted up to now). */
  workerHours(): number {
    const now = this.clock.now();
    let ms = this.retiredWorkerMs;
    for (const w of this.all) ms += now - w.launchedAtMs;
    return ms / 3_600_000;
  }

  private launch(warm: boolean): void {
    const w: Worker = { id: this.nextWorkerId++, launchedAtMs: this.clock.now(), state: 'cold', retiring: false };
    this.all.add(w);
    if (warm) this.ready(w);
    else if (this.spec.type === 'autoscale') this.clock.schedule(this.clock.now() + this.spec.coldStartS * 1000, () => this.ready(w));
  }

  private ready(w: Worker): void {
    if (w.retiring) return this.retire(w);
    this.setServing(this.serving + 1);
    this.free(w);
  }

  /** A worker with nothing to do takes the next job or goes idle. */
  private free(w: Worker): void {
    if (w.retiring) return this.retire(w);
    const job = this.take();
    if (job !== undefined) this.assign(w, job);
    else {
      w.state = 'idle';
      this.idle.push(w);
      this.report();
    }
  }

  private take(): Job | undefined {
    if (this.head >= this.queue.length) return undefined;
    const job = this.queue[this.head++]!;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.observer.queueDepth(this.clock.now(), this.queueLength);
    return job;
  }

  private assign(w: Worker, job: Job): void {
    w.state = 'busy';
    this.setBusy(this.busy + 1);
    this.observer.started(job.id, this.clock.now());
    this.report();
    startTask(this.clock, job.task !== undefined ? job.task() : wait(() => job.run()), () => {
      // the job has ended (or thrown): the worker takes the next one
      this.setBusy(this.busy - 1);
      this.free(w);
      this.report();
    });
  }

  private retire(w: Worker): void {
    if (w.state !== 'cold') this.setServing(this.serving - 1);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    this.all.delete(w);
    this.retiredWorkerMs += this.clock.now() - w.launchedAtMs;
    this.report();
  }

  private setBusy(n: number): void {
    const now = this.clock.now();
    this.busyIntegralMs += this.busy * (now - this.busySince);
    this.busySince = now;
    this.busy = n;
  }

  private setServing(n: number): void {
    const now = this.clock.now();
    this.servingIntegralMs += this.serving * (now - this.servingSince);
    this.servingSince = now;
    this.serving = n;
  }

  private report(): void {
    this.observer.workers(this.clock.now(), this.serving, this.busy);
  }

  /** One autoscaler decision (Kubernetes HPA rule: desired = ceil(current × metric / target)). */
  private tick(): void {
    if (this.stopped || this.spec.type !== 'autoscale') return;
    const spec = this.spec;
    const now = this.clock.now();
    this.setBusy(this.busy);
    this.setServing(this.serving);
    const active = [...this.all].filter((w) => !w.retiring);
    const current = active.length;
    // busy share of the serving capacity over the interval, both time-weighted (a worker that
    // became ready just before the tick must not count as idle for the whole interval)
    const busyMs = this.busyIntegralMs - this.busyAtLastTick;
    const servingMs = this.servingIntegralMs - this.servingAtLastTick;
    this.busyAtLastTick = this.busyIntegralMs;
    this.servingAtLastTick = this.servingIntegralMs;
    const { delta } = decideScale(
      {
        current,
        serving: this.serving,
        busy: this.busy,
        queued: this.queueLength,
        utilization: servingMs <= 0 ? 1 : busyMs / servingMs,
        sinceLastScaleMs: now - this.lastScaleMs,
      },
      spec,
    );
    if (delta > 0) {
      for (let i = 0; i < delta; i++) this.launch(false);
      this.scaleEvents.push({ tMs: now, from: current, to: current + delta });
      this.lastScaleMs = now;
    } else if (delta < 0) {
      let remove = -delta;
      this.scaleEvents.push({ tMs: now, from: current, to: current - remove });
      this.lastScaleMs = now;
      // idle workers go first, then cold ones, then busy ones drain (finish their job, then leave)
      const order = [...active].sort((a, b) => rank(a) - rank(b));
      for (const w of order) {
        if (remove === 0) break;
        remove--;
        w.retiring = true;
        if (w.state === 'idle') this.retire(w);
      }
    }
    this.clock.schedule(now + spec.intervalS * 1000, () => this.tick());
  }
}

function rank(w: Worker): number {
  return w.state === 'idle' ? 0 : w.state === 'cold' ? 1 : 2;
}
