/**
 * `bench gate` through the real CLI (node bin/bench.js) on a run whose validity records failed:
 * exit 2 with one line saying why, unless --allow-invalid lets it through.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBaseline } from '../../src/gate/baseline.ts';
import type { ResultsFile } from '../../src/results/schema.ts';
import type { ValidityRecord } from '../../src/results/validity.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BENCH = join(ROOT, 'bin', 'bench.js');
const exec = promisify(execFile);

async function bench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BENCH, ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const SEND_LAG: ValidityRecord = {
  kind: 'send-lag',
  valid: false,
  observed: 29_000,
  threshold: 5,
  unit: 'ms',
  message: 'send lag p99 29,000 ms (scenario time) against at most 5.0 ms',
};

let dir: string;
let baseline: string;
let invalid: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-gate-invalid-'));
  baseline = await writeBaseline('test/gate/fixtures/gate-scenario.ts', { out: join(dir, 'baseline.json'), replications: 3, requestsPerDay: 2500, threads: 0 });
  // the candidate: the baseline's own figures (so the gate passes), with a failed validity record on one configuration
  const results = JSON.parse(await readFile(baseline, 'utf8')) as ResultsFile;
  results.configurations[0]!.validity = [{ ...SEND_LAG, valid: true, observed: 1 }, SEND_LAG];
  invalid = join(dir, 'candidate.json');
  await writeFile(invalid, JSON.stringify(results));
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bench gate on an invalid run', () => {
  it('exits 2 with one line naming the failed check', async () => {
    const r = await bench(['gate', invalid, '--baseline', baseline]);
    expect(r.code).toBe(2);
    const name = (JSON.parse(await readFile(invalid, 'utf8')) as ResultsFile).configurations[0]!.name;
    expect(r.stderr).toBe(`bench: the candidate run is invalid (${name}: ${SEND_LAG.message}); rerun it, or pass --allow-invalid to gate it anyway\n`);
    expect(r.stdout).toBe('');
  }, 60_000);

  it('gates it anyway with --allow-invalid', async () => {
    const r = await bench(['gate', invalid, '--baseline', baseline, '--allow-invalid']);
    expect(r.stderr).not.toMatch(/invalid/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no change/);
  }, 60_000);
});
