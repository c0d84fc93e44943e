/**
 * Absurd sizes: a run is estimated before it starts and refused beyond the documented limit with one
 * line naming the override flag (`requestsPerDay: 1e12` ended in "RangeError: Invalid typed array
 * length", exit 1; 1e8 ran silently into gigabytes of memory).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { prepareScenario } from '../../src/sweep/prepare.ts';
import { DEFAULT_MAX_REQUESTS, estimateRunSize } from '../../src/sweep/run-size.ts';

const FIXTURE = 'test/reliability/fixtures/six-configs.ts';
// inside the repository, where a scenario's `import … from 'llm-scale-bench'` resolves
mkdirSync(join(import.meta.dirname, '..', '.tmp'), { recursive: true });
const dir = mkdtempSync(join(import.meta.dirname, '..', '.tmp', 'size-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Runs the CLI in this process; resolves with its exit code and what it wrote to stderr. */
async function bench(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const code = await main(argv);
  return { code, stderr };
}

function scenarioWithRequestsPerDay(n: string): string {
  const file = join(dir, `size-${n}.ts`);
  writeFileSync(file, readFileSync(FIXTURE, 'utf8').replace('requestsPerDay: 30_000', `requestsPerDay: ${n}`));
  return file;
}

describe('run size limits', () => {
  for (const [what, argv] of [
    ['--requests-per-day 1e12', () => ['run', FIXTURE, '--requests-per-day', '1e12', '--out', join(dir, 'a')]],
    ['requestsPerDay: 1e12 in the scenario', () => ['run', scenarioWithRequestsPerDay('1e12'), '--out', join(dir, 'b')]],
    ['requestsPerDay: 1e8 in the scenario', () => ['run', scenarioWithRequestsPerDay('1e8'), '--out', join(dir, 'c')]],
  ] as const) {
    it(`${what}: refused before it starts, one line naming --max-requests, exit 2`, async () => {
      const r = await bench(argv());
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(
        /requests per configuration \(about .+ of memory and .+ per configuration\); the limit is 10,000,000: .*raise the limit with --max-requests <n>/,
      );
      expect(r.stderr).not.toContain('RangeError');
    });
  }

  it('--max-requests raises the limit; the estimate grows with the requests', async () => {
    const file = scenarioWithRequestsPerDay('1e8');
    await expect(prepareScenario(file, { maxRequests: 1e8 })).resolves.toBeDefined();
    const small = estimateRunSize(await prepareScenario(FIXTURE, {}), 2);
    const large = estimateRunSize(await prepareScenario(file, { maxRequests: 1e8 }), 2);
    expect(large.requestsPerConfiguration).toBe(1e8);
    expect(large.memoryBytes).toBeGreaterThan(small.memoryBytes * 100);
    expect(large.timeMs).toBeGreaterThan(small.timeMs * 1000);
    expect(DEFAULT_MAX_REQUESTS).toBe(10_000_000);
  });

  it('a run says what it will simulate, and roughly its cost, before the first configuration finishes', async () => {
    const r = await bench(['run', FIXTURE, '--only', 'routing=mini workers=8', '--requests-per-day', '3000', '--out', join(dir, 'd')]);
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^simulating 1 configuration × 1 seed, 3,000 requests each, on 1 thread\(s\): about .+ and .+ at most$/);
    expect(lines.findIndex((l) => l.startsWith('done: '))).toBeGreaterThan(0);
  });
});
