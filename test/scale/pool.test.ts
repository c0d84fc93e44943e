/** The BullMQ worker pool follows decideScale: launches and retires `bench worker` children (faked here). */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { RETIRE_SIGNAL } from '../../src/live/protocol.ts';

const spawned: FakeProc[] = [];

class FakeProc extends EventEmitter {
  readonly stdout = new EventEmitter();
  readonly stderr = new EventEmitter();
  readonly signals: string[] = [];
  constructor(readonly pid: number) {
    super();
    // ready at once, as a worker that connected and loaded its run
    setImmediate(() => this.stdout.emit('data', Buffer.from('bench worker ready\n')));
  }
  kill(signal: string): void {
    this.signals.push(signal);
  }
}

vi.mock('../../src/live/bench-child.ts', () => ({
  spawnBenchChild: () => {
    const p = new FakeProc(1000 + spawned.length);
    spawned.push(p);
    return p;
  },
}));

const { WorkerPool } = await import('../../src/live/pool.ts');

describe('WorkerPool autoscaling', () => {
  it('adds maxStep workers for a backlog, then retires the youngest first when the queue is empty', async () => {
    const pool = new WorkerPool({
      redisUrl: 'redis://127.0.0.1:1',
      queue: 'q',
      runId: 'r',
      lockMs: 1000,
      stalledIntervalMs: 500,
      maxStalled: 1,
      timeScale: 1,
      spec: { type: 'autoscale', min: 1, max: 4, metric: 'queuePerWorker', target: 1, intervalS: 1, maxStep: 2, cooldownS: 0, coldStartS: 0 } as never,
    });
    await pool.start();
    expect(spawned).toHaveLength(1);
    // 6 waiting on 1 serving worker: desired min(4, 6) = 4, at most 2 at once
    pool.tick({ waiting: 6, active: 1, utilization: 1 });
    expect(spawned).toHaveLength(3);
    expect(pool.current).toBe(3);
    await new Promise((r) => setImmediate(r));
    expect(pool.serving).toBe(3);
    // nothing waiting: desired = min 1, two retire, the two launched last
    pool.tick({ waiting: 0, active: 0, utilization: 0 });
    expect(pool.current).toBe(1);
    expect(spawned.map((p) => p.signals)).toEqual([[], [RETIRE_SIGNAL], [RETIRE_SIGNAL]]);
  });
});
