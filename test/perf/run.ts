/**
 * `npm run perf`: runs every `*.perf.ts` in this folder (its default export returns the figures),
 * writes each one's figures to results/perf/<name>.json, appends the same record to
 * results/perf/history/<name>.jsonl (so the trend over runs is kept), prints them, and regenerates
 * BENCHMARKS.md (summarize.ts). Figures, not assertions: compare ratios measured in one run, never
 * absolute times on a shared machine. `npx tsx test/perf/run.ts NAME` runs one. Between two benchmarks it waits
 * (up to 90 s) for the load the first one left to settle.
 */
import { appendFileSync, mkdirSync, readdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machineFacts, writeJsonAtomic } from '../../src/results/write.ts';

const DIR = fileURLToPath(new URL('.', import.meta.url));
const OUT = fileURLToPath(new URL('../../results/perf', import.meta.url));
const only = process.argv[2];

/**
 * Waits (at most SETTLE_MAX_MS) for the 1-minute load average to fall below SETTLE_LOAD_PER_CORE of
 * the cores before a benchmark starts: the previous benchmark's own threads leave it at 2+ on this
 * 2-core VM, and a benchmark judged on wall time marks a run that starts there invalid. Skipped
 * before the first benchmark; a machine kept busy by others is waited for only so long (the
 * benchmark then records the load it started at, and judges itself).
 */
const SETTLE_LOAD_PER_CORE = 0.75;
const SETTLE_MAX_MS = 90_000;
let benchmarksRun = 0;
async function settle(name: string): Promise<void> {
  if (benchmarksRun++ === 0) return;
  // the load average counts the whole machine's runnable threads: judged against all its cores, whatever this process is pinned to
  const limit = SETTLE_LOAD_PER_CORE * cpus().length;
  const start = performance.now();
  while (loadavg()[0]! >= limit && performance.now() - start < SETTLE_MAX_MS) await new Promise((r) => setTimeout(r, 2_000));
  const waited = Math.round((performance.now() - start) / 1000);
  if (waited > 0)
    process.stderr.write(`perf: waited ${waited} s before ${name} for the load average to settle (${round2(loadavg()[0]!)}; below ${limit} wanted)\n`);
}

for (const file of readdirSync(DIR)
  .filter((f) => f.endsWith('.perf.ts'))
  .sort()) {
  const name = file.replace(/\.perf\.ts$/, '');
  if (only !== undefined && name !== only) continue;
  process.stderr.write(`perf: ${name} …\n`);
  const mod = (await import(pathToFileURL(join(DIR, file)).href)) as { default?: () => Promise<Record<string, unknown>> };
  if (typeof mod.default !== 'function') {
    process.stderr.write(`perf: ${file} has no default export returning its figures; nothing recorded\n`);
    continue;
  }
  await settle(name);
  const loadAtStart = loadavg()[0]!;
  const cpusAtStart = availableParallelism();
  const figures = await mod.default();
  const record = {
    name,
    measuredAt: new Date().toISOString(),
    // cpusAvailable: the CPUs this process could run on at the start (fewer than cpus when something pinned it)
    machine: { ...machineFacts(), cpusAvailable: cpusAtStart, loadAverage1m: { atStart: round2(loadAtStart), atEnd: round2(loadavg()[0]!) } },
    figures,
  };
  writeJsonAtomic(join(OUT, `${name}.json`), record);
  mkdirSync(join(OUT, 'history'), { recursive: true });
  appendFileSync(join(OUT, 'history', `${name}.jsonl`), `${JSON.stringify(record)}\n`);
  console.log(JSON.stringify(record, null, 2));
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

await import('./summarize.ts');
