import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RunSummaryJson } from '../../src/cli/summary.ts';
import type { ResultsFile } from '../../src/results/schema.ts';
import { prepareScenario } from '../../src/sweep/prepare.ts';
import { type ConfigDoneEvent, Sweep } from '../../src/sweep/sweep.ts';

const run = promisify(execFile);
const BENCH = join(import.meta.dirname, '..', '..', 'bin', 'bench.js');

async function bench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BENCH, ...args], { cwd: join(import.meta.dirname, '..', '..') });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Scenario files live inside the repository so that `import … from 'llm-scale-bench'` resolves. */
function scenarioFile(body: string): string {
  const root = join(import.meta.dirname, '..', '.tmp');
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(join(root, 'cli-'));
  const file = join(dir, 'scenario.ts');
  writeFileSync(file, body);
  return file;
}

const SMALL = `import { defineScenario, single, fixed } from 'llm-scale-bench';
export default defineScenario({
  name: 'small',
  traffic: { requestsPerDay: 2000 },
  requestMix: [{ name: 'q', share: 1, inputTokens: 100, outputTokens: 50, difficulty: { dist: 'uniform', min: 0, max: 1 } }],
  workflow: [{ type: 'llm', name: 'answer' }],
  sweep: { routing: { large: single('gpt-4o'), small: single('gpt-4o-mini') }, workers: { '2': fixed(2), '4': fixed(4) } },
  slo: { e2eP95Ms: 20000 },
});
`;

describe('bench run', () => {
  it('exits 2 with one line naming the file and the field for an invalid scenario', async () => {
    const file = scenarioFile(`export default { name: 'x', traffic: { requestsPerDay: -5 }, requestMix: [], workflow: [] };\n`);
    const r = await bench(['run', file, '--out', join(tmpdir(), 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`bench: ${file}: traffic.requestsPerDay: Too small: expected number to be >0\n`);
    expect(r.stdout).toBe('');
  });

  it('exits 2 for a missing scenario file and for a missing argument', async () => {
    const missing = await bench(['run', 'scenarios/nope.ts']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('bench: scenarios/nope.ts: no such file\n');
    const none = await bench(['run']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Not enough non-option arguments');
  });

  it('prints a summary row per configuration and writes results.json', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-out-'));
    const r = await bench(['run', scenarioFile(SMALL), '--out', out]);
    expect(r.code).toBe(0);
    for (const name of ['routing=large workers=2', 'routing=large workers=4', 'routing=small workers=2', 'routing=small workers=4']) {
      expect(r.stdout).toContain(name);
    }
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsFile;
    expect(results.schemaVersion).toBe(1);
    expect(results.configurations).toHaveLength(4);
    expect(results.missing).toEqual([]);
    for (const c of results.configurations) expect(c.requests.total).toBe(2000);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });

  it('gives identical metrics for the same seed, different ones for another seed', async () => {
    const file = scenarioFile(SMALL);
    const strip = (dir: string) => {
      const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ResultsFile;
      return r.configurations.map((c) => ({ ...c, engine: { ...c.engine, wallMs: 0 } }));
    };
    const dirs = ['a-', 'b-', 'c-'].map((p) => mkdtempSync(join(tmpdir(), p)));
    // three independent processes: run side by side, so the test waits for the slowest, not the sum
    await Promise.all(dirs.map((dir, i) => bench(['run', file, '--quiet', '--seed', i < 2 ? '9' : '10', '--out', dir])));
    expect(strip(dirs[0]!)).toEqual(strip(dirs[1]!));
    expect(strip(dirs[0]!)).not.toEqual(strip(dirs[2]!));
  });

  it('overrides the traffic from the command line', async () => {
    const out = mkdtempSync(join(tmpdir(), 'o-'));
    await bench(['run', scenarioFile(SMALL), '--quiet', '--requests-per-day', '500', '--only', 'routing=small workers=2', '--out', out]);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsFile;
    expect(results.configurations.map((c) => [c.name, c.requests.total])).toEqual([['routing=small workers=2', 500]]);
  });

  it('--json prints a summary (headline metrics per configuration and the findings); results.json keeps the full data and the same findings', async () => {
    const out = mkdtempSync(join(tmpdir(), 'j-'));
    const r = await bench(['run', scenarioFile(SMALL), '--json', '--requests-per-day', '500', '--out', out]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as RunSummaryJson;
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsFile;
    expect(summary.configurations.map((c) => c.name)).toEqual(results.configurations.map((c) => c.name));
    expect(summary.configurations[0]!.metrics.costPerDayUsd).toBe(results.configurations[0]!.cost.perDayUsd);
    expect(summary.findings).toEqual(results.findings);
    expect(summary.findings[0]!.id).toBe('headline');
    expect(summary.paths).toEqual({ results: join(out, 'results.json'), report: join(out, 'report.html') });
    expect(r.stdout).not.toContain('timeSeries');
  });

  it('--quiet prints only the headline and the paths', async () => {
    const out = mkdtempSync(join(tmpdir(), 'q-'));
    const r = await bench(['run', scenarioFile(SMALL), '--quiet', '--requests-per-day', '500', '--out', out]);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsFile;
    expect(r.stdout).toBe(`${results.findings![0]!.text}\nresults: ${join(out, 'results.json')}\nreport:  ${join(out, 'report.html')}\n`);
  });

  it('writes one ledger row per call, adding up to the configuration’s cost', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-ledger-'));
    const r = await bench(['run', scenarioFile(SMALL), '--ledger', '--only', 'routing=small workers=2', '--requests-per-day', '400', '--out', out]);
    expect(r.code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsFile;
    const lines = readFileSync(join(out, 'ledger-routing=small_workers=2.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('tMs,job,step,model,kind,inputTokens,cachedInputTokens,outputTokens,costUsd,latencyMs,ttftMs,cache,retries,outcome');
    const c = results.configurations[0]!;
    expect(lines.length - 1).toBe(c.engine.simulatedCalls);
    const cost = lines.slice(1).reduce((s, l) => s + Number(l.split(',')[8]), 0);
    expect(cost).toBeCloseTo(c.cost.perDayUsd, 4);
  });

  it('has complete help', async () => {
    const r = await bench(['run', '--help']);
    for (const flag of ['--out', '--seed', '--requests-per-day', '--json', '--quiet', '--threads', '--only']) expect(r.stdout).toContain(flag);
    // N threads are this one and N − 1 workers (the help said "Worker threads")
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/--threads .*Threads to simulate on, this one included/);
    expect(r.stdout).not.toContain('Worker threads');
  });
});

describe('sweep on disk', () => {
  it('has each finished configuration in results.json before the next one finishes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-sweep-'));
    const prepared = await prepareScenario(scenarioFile(SMALL), { requestsPerDay: 300 });
    const path = join(out, 'results.json');
    const sweep = new Sweep(prepared, { resultsPath: path, threads: 0, overrides: { requestsPerDay: 300 } });
    const seen: Array<{ configurations: number; missing: number }> = [];
    sweep.addEventListener('config-done', (e) => {
      const onDisk = JSON.parse(readFileSync(path, 'utf8')) as ResultsFile;
      expect(onDisk.configurations.at(-1)!.name).toBe((e as ConfigDoneEvent).result.name);
      seen.push({ configurations: onDisk.configurations.length, missing: onDisk.missing.length });
    });
    await sweep.run();
    expect(seen).toEqual([
      { configurations: 1, missing: 3 },
      { configurations: 2, missing: 2 },
      { configurations: 3, missing: 1 },
      { configurations: 4, missing: 0 },
    ]);
  });

  it('a live run without a terminal prints its running figures (req/s, p95 e2e, errors, send lag) every few seconds, not every second', async () => {
    const file = scenarioFile(`import { defineScenario, fixed } from 'llm-scale-bench';
export default defineScenario({
  name: 'live-progress',
  traffic: { requestsPerDay: 864000 },
  requestMix: [{ name: 'q', share: 1, inputTokens: 40, outputTokens: 8, difficulty: 0.3 }],
  workflow: [{ type: 'llm', name: 'answer', model: 'gpt-4o-mini' }],
  strategies: { workers: fixed(1000) },
  slo: { e2eP95Ms: 20000 },
});
`);
    const out = mkdtempSync(join(tmpdir(), 'live-progress-'));
    const r = await bench(['run', file, '--live', '--time-scale', '10', '--duration', '5s', '--out', out]);
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('live: '));
    // first line 2 s in, then every 5 s: one or two in a 5 s run, never one a second
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[0]).toMatch(/^live: baseline: \d+ req\/s · p95 e2e (\d|–).* \(scenario\) · errors 0 \(0\.0%\) · send lag p99 .* wall$/);
    expect(r.stderr).toMatch(/progress: .* of requests played/);
  });
});

describe('sweep on threads', () => {
  it('configurations on two threads give the results of one thread, each once, whether or not the worker joins before this thread has run them all', async () => {
    const overrides = { requestsPerDay: 600 };
    const prepared = await prepareScenario(scenarioFile(SMALL), overrides);
    const done: string[] = [];
    const threaded = new Sweep(prepared, { threads: 2, overrides });
    threaded.addEventListener('config-done', (e) => done.push((e as unknown as { result: { name: string } }).result.name));
    const [a, b] = [await threaded.run(), await new Sweep(prepared, { threads: 0, overrides }).run()];
    const strip = (f: ResultsFile) => f.configurations.map((c) => ({ ...c, engine: { ...c.engine, wallMs: 0 } }));
    expect(strip(a)).toEqual(strip(b));
    expect(a.configurations).toHaveLength(4);
    expect([...done].sort()).toEqual(b.configurations.map((c) => c.name).sort());
  }, 60_000);

  it('runs replications of one configuration on different threads and gives what one thread gives, seed for seed', async () => {
    const overrides = { requestsPerDay: 400, replications: 3 };
    const prepared = await prepareScenario(scenarioFile(SMALL), overrides);
    const progress: Array<{ config: string; done: number; total: number }> = [];
    const threaded = new Sweep(prepared, { threads: 2, overrides });
    threaded.addEventListener('progress', (e) => progress.push(e as unknown as { config: string; done: number; total: number }));
    expect(threaded.threads()).toBe(2);
    const [a, b] = [await threaded.run(), await new Sweep(prepared, { threads: 0, overrides }).run()];
    const strip = (f: ResultsFile) => f.configurations.map((c) => ({ ...c, engine: { ...c.engine, wallMs: 0 } }));
    expect(strip(a)).toEqual(strip(b));
    expect(a.configurations.map((c) => c.replicates?.map((r) => r.seed))).toEqual(
      a.configurations.map(() => [prepared.seed, prepared.seed + 1, prepared.seed + 2]),
    );
    // progress counts every seed's requests of a configuration, and never goes past them
    for (const p of progress) expect(p.done).toBeLessThanOrEqual(p.total);
    expect(progress.some((p) => p.total === 3 * 400)).toBe(true);
  }, 60_000);

  it('a single configuration with several seeds uses more than one thread', async () => {
    const overrides = { requestsPerDay: 400, replications: 4, only: 'routing=large workers=2' };
    const prepared = await prepareScenario(scenarioFile(SMALL), overrides);
    expect(prepared.configurations).toHaveLength(1);
    expect(new Sweep(prepared, { threads: 2, overrides }).threads()).toBe(2);
  });
});
