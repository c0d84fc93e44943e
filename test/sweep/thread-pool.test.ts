/**
 * Sweep threads' failures: an error on this thread names its configuration as a worker's does, and
 * a worker thread that ends by itself (process.exit in a scenario, a crash: no 'error' event) fails
 * the sweep with a clear message instead of leaving it waiting forever for the unit it held.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BenchError } from '../../src/core/errors.ts';
import { prepareScenario } from '../../src/sweep/prepare.ts';
import { describeRunSize, estimateRunSize } from '../../src/sweep/run-size.ts';
import { ThreadPool } from '../../src/sweep/thread-pool.ts';

/** What this thread's simulateReplication does (the worker threads run the real one). */
const here = vi.hoisted(() => ({ mode: 'real' as 'real' | 'throw' | 'never' }));
vi.mock('../../src/sweep/replicate.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/sweep/replicate.ts')>();
  return {
    ...real,
    simulateReplication: (...args: Parameters<typeof real.simulateReplication>) => {
      if (here.mode === 'throw') throw new BenchError('USAGE', 'model "x" has no price');
      if (here.mode === 'never') return new Promise(() => {}); // this thread stays busy: the worker must finish the sweep
      return real.simulateReplication(...args);
    },
  };
});

const FIXTURE = 'test/reliability/fixtures/six-configs.ts';
// inside the repository, where a scenario's `import … from 'llm-scale-bench'` resolves
mkdirSync(join(import.meta.dirname, '..', '.tmp'), { recursive: true });
const dir = mkdtempSync(join(import.meta.dirname, '..', '.tmp', 'pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LISTENER = { progress: () => {}, finished: () => {} };

describe('sweep thread pool', () => {
  it("an error on this thread names its configuration, as a worker's error does, and keeps its exit code", async () => {
    here.mode = 'throw';
    const prepared = await prepareScenario(FIXTURE, { requestsPerDay: 300 });
    const err = await new ThreadPool(prepared, { requestsPerDay: 300 }, LISTENER).run(1).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(BenchError);
    expect((err as BenchError).code).toBe('USAGE');
    expect((err as Error).message).toBe(`configuration "${prepared.configurations[0]!.name}" failed: model "x" has no price`);
  });

  it('a worker thread that exits by itself fails the sweep with a message naming what it was running (it hung)', async () => {
    here.mode = 'never';
    const file = join(dir, 'exits.ts');
    // the sweep's workers get the scenario file as workerData: only they exit, once they hold a replication
    writeFileSync(
      file,
      `import { workerData, parentPort } from 'node:worker_threads';\n` +
        `if (workerData?.file !== undefined) parentPort.on('message', () => setImmediate(() => process.exit(3)));\n` +
        readFileSync(FIXTURE, 'utf8'),
    );
    const prepared = await prepareScenario(file, { requestsPerDay: 300 });
    const err = await new ThreadPool(prepared, { requestsPerDay: 300 }, LISTENER).run(2).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    // named the replication it held (unless it exited between two: it may finish one before its exit runs)
    const m = /^a sweep worker thread exited \(code 3\) before the sweep finished(?: while running configuration "(.+)" \(seed 1\))?$/.exec(
      (err as Error).message,
    );
    expect(m).not.toBeNull();
    if (m![1] !== undefined) expect(prepared.configurations.slice(1).map((c) => c.name)).toContain(m![1]);
  }, 30_000);

  it('a run of 1 configuration × 5 seeds is announced and estimated on the threads its replications keep busy', async () => {
    const prepared = await prepareScenario(FIXTURE, { requestsPerDay: 300, replications: 5, only: 'mini' });
    const one = estimateRunSize(prepared, 1);
    const four = estimateRunSize(prepared, 4);
    expect(prepared.configurations.length * prepared.replications).toBe(15);
    expect(describeRunSize(four, 4)).toContain('on 4 thread(s)');
    expect(describeRunSize(four, 99)).toContain('on 15 thread(s)');
    expect(four.timeMs).toBeCloseTo(one.timeMs / 4);
  });
});
