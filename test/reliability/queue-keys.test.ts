/**
 * A live run on BullMQ leaves no queue keys in Redis (they have no expiry): its own test, without
 * worker processes to spawn or kill (the worker-kill test in test/scale times out on a loaded
 * machine). One in-process `bench worker` takes the jobs of a short run; afterwards no
 * `bull:<queue>:*` key and no run metadata is left. A second queue with a job of another run
 * stays (a queue is shared by name, and only an idle one is removed). Loopback Redis only.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { runLiveConfiguration } from '../../src/live/engine.ts';
import { startBenchWorker } from '../../src/live/worker.ts';
import { prepareScenario } from '../../src/sweep/prepare.ts';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function redisUp(): Promise<boolean> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    if (process.env['REQUIRE_REDIS'] === '1') throw new Error(`Redis not reachable at ${REDIS_URL}, and REQUIRE_REDIS=1`);
    return false;
  } finally {
    r.disconnect();
  }
}

// 12 requests in 6 scenario seconds, played 20× faster: a run of well under a second of wall time
const SCENARIO = `import { defineScenario, fixed, llm, constant } from 'llm-scale-bench';
export default defineScenario({
  name: 'queue-keys',
  seed: 3,
  traffic: { requestsPerDay: 172_800, durationHours: 6 / 3600 },
  requestMix: [{ name: 'q', share: 1, inputTokens: constant(40), outputTokens: constant(8), difficulty: 0.3 }],
  workflow: [llm('answer', { model: 'gpt-4o-mini' })],
  strategies: { workers: fixed(1) },
});
`;

const reachable = await redisUp();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!reachable)('BullMQ queue keys after a live run', () => {
  it('removes every key of the run’s queue, and leaves a queue another run still uses', async () => {
    const root = join(import.meta.dirname, '..', '.tmp');
    mkdirSync(root, { recursive: true });
    const dir = mkdtempSync(join(root, 'queue-keys-'));
    dirs.push(dir);
    const file = join(dir, 'scenario.ts');
    writeFileSync(file, SCENARIO);
    const queue = `bench-keys-test-${process.pid}-${Date.now()}`;
    const redis = new Redis(REDIS_URL);
    const prepared = await prepareScenario(file, { live: { timeScale: 20 } });
    const worker = await startBenchWorker({ redisUrl: REDIS_URL, prepare: prepareScenario, queue, lockMs: 2000, stalledIntervalMs: 1000 });
    try {
      const result = await runLiveConfiguration(prepared.scenario, prepared.catalog, prepared.configurations[0]!, {
        seed: prepared.seed,
        timeScale: 20,
        redis: { url: REDIS_URL, scenarioFile: file, queue, spawnWorkers: false },
      });
      expect(result.requests.total).toBeGreaterThan(0);
      expect(result.requests.failed).toBe(0);
      expect(worker.processed).toBe(result.requests.total);
      // the run wrote keys while it ran, and left none
      expect(await redis.keys(`bull:${queue}:*`)).toEqual([]);
      expect(await redis.keys(`*${queue}*`)).toEqual([]);
    } finally {
      await worker.close(true);
    }

    // a queue that still holds another run's job is not the run's to remove
    const shared = `${queue}-shared`;
    const other = new Queue(shared, { connection: { url: REDIS_URL } });
    await other.add('request', { runId: 'another-run' }, { jobId: 'another-run-1', delay: 60_000 });
    const sharedWorker = await startBenchWorker({ redisUrl: REDIS_URL, prepare: prepareScenario, queue: shared });
    try {
      await runLiveConfiguration(prepared.scenario, prepared.catalog, prepared.configurations[0]!, {
        seed: prepared.seed,
        timeScale: 20,
        redis: { url: REDIS_URL, scenarioFile: file, queue: shared, spawnWorkers: false },
      });
      expect(await other.getJobCounts('delayed')).toMatchObject({ delayed: 1 });
      expect((await redis.keys(`bull:${shared}:*`)).length).toBeGreaterThan(0);
    } finally {
      await sharedWorker.close(true);
      await other.obliterate({ force: true });
      await other.close();
      redis.disconnect();
    }
  }, 60_000);
});
