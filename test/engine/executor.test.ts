/** The executor: FIFO order, one job per worker, autoscaler cold starts, drain on scale-down, worker-hours. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/virtual-clock.ts';
import { Executor, type ExecutorObserver } from '../../src/engine/executor.ts';
import type { WorkersSpec } from '../../src/scenario/schema.ts';

interface Trace extends ExecutorObserver {
  startedAt: Map<number, number>;
  busyNow: number;
  servingNow: number;
  maxBusy: number;
}

function trace(): Trace {
  const t: Trace = {
    startedAt: new Map(),
    busyNow: 0,
    servingNow: 0,
    maxBusy: 0,
    queueDepth() {},
    workers(_tMs, serving, busy) {
      t.servingNow = serving;
      t.busyNow = busy;
      t.maxBusy = Math.max(t.maxBusy, busy);
    },
    started(jobId, tMs) {
      t.startedAt.set(jobId, tMs);
    },
  };
  return t;
}

const autoscale = (o: Partial<Extract<WorkersSpec, { type: 'autoscale' }>>): WorkersSpec => ({
  type: 'autoscale',
  min: 1,
  max: 4,
  metric: 'utilization',
  target: 0.5,
  intervalS: 1,
  coldStartS: 30,
  cooldownS: 0,
  maxStep: 10,
  costPerHourUsd: 0,
  ...o,
});

/** Submits jobs of the given durations at the given times; records when each ended. */
function submitAll(clock: VirtualClock, ex: Executor, jobs: Array<{ atMs: number; durationMs: number }>, ended: Map<number, number>): void {
  jobs.forEach((j, id) =>
    clock.schedule(j.atMs, () =>
      ex.submit({
        id,
        arrivalMs: j.atMs,
        run: async () => {
          await clock.sleep(j.durationMs);
          ended.set(id, clock.now());
        },
      }),
    ),
  );
}

describe('executor: fixed pool', () => {
  it('runs at most `workers` jobs at once and starts them in arrival order', async () => {
    const clock = new VirtualClock();
    const t = trace();
    const ex = new Executor(clock, { type: 'fixed', workers: 2, costPerHourUsd: 0 }, t);
    const ended = new Map<number, number>();
    submitAll(
      clock,
      ex,
      [0, 1, 2, 3, 4].map((i) => ({ atMs: i, durationMs: 100 })),
      ended,
    );
    await clock.run();
    expect(t.maxBusy).toBe(2);
    expect([...t.startedAt.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s)).toEqual([0, 1, 100, 101, 200]);
    expect(ended.size).toBe(5);
  });

  it('counts worker-hours from launch to now', async () => {
    const clock = new VirtualClock();
    const ex = new Executor(clock, { type: 'fixed', workers: 3, costPerHourUsd: 0 }, trace());
    clock.schedule(1_800_000, () => undefined);
    await clock.run();
    expect(ex.workerHours()).toBe(1.5);
  });
});

describe('executor: autoscaler', () => {
  it('a job arriving when every worker is busy waits for a cold start (served only after coldStartS)', async () => {
    const clock = new VirtualClock();
    const t = trace();
    const ex = new Executor(clock, autoscale({ min: 1, max: 2, coldStartS: 30, intervalS: 1 }), t);
    const ended = new Map<number, number>();
    submitAll(
      clock,
      ex,
      [
        { atMs: 0, durationMs: 100_000 },
        { atMs: 500, durationMs: 1_000 },
      ],
      ended,
    );
    clock.schedule(200_000, () => ex.stop());
    await clock.run();
    // the first tick (1 s) sees a backlog and launches one worker, ready 30 s later
    expect(ex.scaleEvents[0]).toEqual({ tMs: 1_000, from: 1, to: 2 });
    expect(t.startedAt.get(1)).toBe(31_000);
    expect(t.startedAt.get(1)! - 500).toBeGreaterThanOrEqual(30_000);
  });

  it('scale-down drains busy workers: no job is interrupted, every job completes, the pool ends at min', async () => {
    const clock = new VirtualClock();
    const t = trace();
    const ex = new Executor(clock, autoscale({ min: 1, max: 4, metric: 'queuePerWorker', target: 1, intervalS: 10, coldStartS: 0 }), t);
    const ended = new Map<number, number>();
    const jobs = Array.from({ length: 12 }, () => ({ atMs: 0, durationMs: 100_000 }));
    submitAll(clock, ex, jobs, ended);
    let busyAfterFirstScaleDown = -1;
    let servingAtEnd = -1;
    const watch = (): void => {
      if (busyAfterFirstScaleDown < 0 && ex.scaleEvents.some((e) => e.to < e.from)) busyAfterFirstScaleDown = t.busyNow;
      if (ended.size === jobs.length) {
        servingAtEnd = t.servingNow;
        ex.stop();
      } else clock.schedule(clock.now() + 10_000, watch);
    };
    clock.schedule(10_001, watch);
    await clock.run();
    // up to 4 at the first tick; down while every worker is busy (3 queued for 4 workers, then 0)
    expect(ex.scaleEvents[0]).toEqual({ tMs: 10_000, from: 1, to: 4 });
    expect(ex.scaleEvents.find((e) => e.to < e.from)).toEqual({ tMs: 200_000, from: 4, to: 3 });
    expect(busyAfterFirstScaleDown).toBe(4);
    expect(ended.size).toBe(12);
    for (const [id, end] of ended) expect(end - t.startedAt.get(id)!).toBe(100_000);
    expect(servingAtEnd).toBe(1);
  });

  it('measures utilization time-weighted: a worker ready just before a tick does not trigger a scale-down', async () => {
    const clock = new VirtualClock();
    const ex = new Executor(clock, autoscale({ min: 1, max: 2, target: 1, coldStartS: 30, intervalS: 1 }), trace());
    const ended = new Map<number, number>();
    submitAll(
      clock,
      ex,
      [
        { atMs: 0, durationMs: 3_600_000 },
        { atMs: 500, durationMs: 1_000 },
      ],
      ended,
    );
    clock.schedule(3_600_000, () => ex.stop());
    await clock.run();
    // up at the first tick (backlog); worker 1 is ready at 31 s and runs job 1 until 32 s; the
    // tick at 33 s sees [32, 33] half busy and retires the idle worker
    expect(ex.scaleEvents).toEqual([
      { tMs: 1_000, from: 1, to: 2 },
      { tMs: 33_000, from: 2, to: 1 },
    ]);
    expect(ended.get(0)).toBe(3_600_000);
    expect(clock.now()).toBe(3_600_000);
  });

  it('counts cold time and retired workers in worker-hours', async () => {
    const clock = new VirtualClock();
    const ex = new Executor(clock, autoscale({ min: 1, max: 2, target: 1, coldStartS: 30, intervalS: 1 }), trace());
    const ended = new Map<number, number>();
    submitAll(
      clock,
      ex,
      [
        { atMs: 0, durationMs: 3_600_000 },
        { atMs: 500, durationMs: 1_000 },
      ],
      ended,
    );
    clock.schedule(3_600_000, () => ex.stop());
    await clock.run();
    // worker 0: 0 → 3,600 s; worker 1: launched at 1 s (cold for 30 s), retired at 33 s
    expect(ex.workerHours()).toBeCloseTo((3_600_000 + 32_000) / 3_600_000, 12);
  });
});
