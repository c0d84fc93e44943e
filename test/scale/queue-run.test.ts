/**
 * Live runs on BullMQ workers: every request of the run is completed by `bench worker` processes
 * (spawned by the run, `node bin/bench.js worker ...`), and a worker killed with SIGKILL in the
 * middle of a job loses nothing — the stalled check re-queues the job and the run counts it.
 * Needs Redis at REDIS_URL (skips with a warning when unreachable, unless REQUIRE_REDIS=1).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLiveConfiguration } from '../../src/live/engine.ts';
import { prepareScenario } from '../../src/sweep/prepare.ts';
import { redisRunOptions } from '../../src/cli/worker-command.ts';
import { BenchError } from '../../src/core/errors.ts';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const REQUIRE_REDIS = process.env['REQUIRE_REDIS'] === '1';
const sh = promisify(execFile);

async function redisReachable(): Promise<boolean> {
  const conn = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  try {
    await conn.connect();
    await conn.ping();
    return true;
  } catch (err) {
    const why = `Redis not reachable at ${REDIS_URL} (${(err as Error).message})`;
    if (REQUIRE_REDIS) throw new Error(`${why}, and REQUIRE_REDIS=1. Start Redis or point REDIS_URL at one.`);
    console.warn(`${why}: skipping the BullMQ worker tests`);
    return false;
  } finally {
    conn.disconnect();
  }
}

/** Child processes of this test process running `bench ... worker`. */
async function workerPids(): Promise<number[]> {
  try {
    const { stdout } = await sh('pgrep', ['-P', String(process.pid), '-f', 'bench.js worker']);
    return stdout.trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

// 40 requests in one scenario minute, played 20× faster (3 s); each holds its worker ~6.5 scenario
// seconds (an LLM call and a slow tool), so both workers are busy when one is killed.
const SCENARIO = `import { defineScenario, fixed, llm, tool, constant, uniform } from 'llm-scale-bench';
export default defineScenario({
  name: 'scale-kill',
  seed: 7,
  traffic: { requestsPerDay: 57_600, durationHours: 1 / 60 },
  requestMix: [{ name: 'q', share: 1, inputTokens: constant(80), outputTokens: constant(40), difficulty: uniform(0, 1) }],
  workflow: [llm('answer', { model: 'gpt-4o-mini' }), tool('lookup', { latencyMs: constant(6000) })],
  strategies: { workers: fixed(2) },
});
`;

const reachable = await redisReachable();

describe.skipIf(!reachable)('bench run --live --redis (BullMQ workers)', () => {
  const queueName = `bench-test-${process.pid}-${Date.now()}`;
  let dir: string;
  let file: string;

  beforeAll(() => {
    const root = join(import.meta.dirname, '..', '.tmp');
    mkdirSync(root, { recursive: true });
    dir = mkdtempSync(join(root, 'scale-'));
    file = join(dir, 'scenario.ts');
    writeFileSync(file, SCENARIO);
  });

  afterAll(async () => {
    const q = new Queue(queueName, { connection: { url: REDIS_URL } });
    await q.obliterate({ force: true }).catch(() => undefined);
    await q.close();
    rmSync(dir, { recursive: true, force: true });
    for (const pid of await workerPids()) process.kill(pid, 'SIGKILL');
  });

  it('completes every request when a worker is killed mid-job, and counts the retried job', async () => {
    const prepared = await prepareScenario(file, { live: { timeScale: 20 } });
    const config = prepared.configurations[0]!;
    const watch = new Queue(queueName, { connection: { url: REDIS_URL } });
    let killed: number | null = null;
    // once both workers hold a job, SIGKILL one of them: a running job dies with it
    const killer = (async () => {
      const deadline = Date.now() + 25_000;
      while (killed === null && Date.now() < deadline) {
        const counts = await watch.getJobCounts('active');
        const pids = await workerPids();
        if ((counts.active ?? 0) >= 2 && pids.length >= 2) {
          killed = pids[0]!;
          process.kill(killed, 'SIGKILL');
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const result = await runLiveConfiguration(prepared.scenario, prepared.catalog, config, {
      seed: prepared.seed,
      timeScale: 20,
      redis: { url: REDIS_URL, scenarioFile: file, queue: queueName, lockMs: 1500, stalledIntervalMs: 500, maxStalled: 3 },
    });
    await killer;
    await watch.close();

    expect(killed).not.toBeNull();
    expect(result.requests.total).toBe(40);
    expect(result.requests.failed).toBe(0);
    expect(result.live?.queue?.name).toBe(queueName);
    expect(result.live?.queue?.retriedJobs).toBeGreaterThanOrEqual(1);
    expect(result.live?.warnings.some((w) => /died during the run and were replaced/.test(w))).toBe(true);
    // the ledger rows came back from the workers, once per request (not again for the retried job)
    expect(result.steps['answer']?.calls).toBe(40);
    expect(result.steps['lookup']?.calls).toBe(40);
    expect(result.workers.workerHours).toBeGreaterThan(0);
    // the run stopped its workers (the replacement included) before it returned
    expect(await workerPids()).toEqual([]);
    // and left no BullMQ keys behind (they have no expiry)
    const redis = new Redis(REDIS_URL);
    const left = await redis.keys(`bull:${queueName}:*`);
    redis.disconnect();
    expect(left).toEqual([]);
  }, 60_000);
});

describe('bench run --redis flags', () => {
  const base = { scenario: 's.ts', live: true, 'spawn-workers': true };

  it('--redis without --live is a usage error', () => {
    expect(() => redisRunOptions({ ...base, live: false, redis: REDIS_URL })).toThrow(
      new BenchError('USAGE', '--redis needs --live (simulated runs have no real workers)'),
    );
  });

  it('maps the flags to LiveOptions.redis', () => {
    expect(redisRunOptions({ ...base, redis: 'redis://h:1', queue: 'q', 'lock-ms': 2000, 'spawn-workers': false })).toEqual({
      url: 'redis://h:1',
      scenarioFile: 's.ts',
      queue: 'q',
      spawnWorkers: false,
      lockMs: 2000,
    });
    expect(redisRunOptions(base)).toBeUndefined();
  });
});
