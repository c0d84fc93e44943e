/**
 * Trace reading benchmark: a 1M-row Azure-format CSV (generated here into a temp dir, never
 * committed) read by `readTrace`. Goal: ≤ 5 s and RSS ≤ 300 MB. Run: npx tsx test/perf/trace.perf.ts
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/random.ts';
import { readTrace } from '../../src/trace/read.ts';

const ROWS = 1_000_000;
const dir = mkdtempSync(join(tmpdir(), 'trace-perf-'));
const file = join(dir, 'azure-1m.csv');
const out = createWriteStream(file);
const rng = new Rng(1);
let t = Date.UTC(2024, 4, 10);
out.write('TIMESTAMP,ContextTokens,GeneratedTokens\n');
for (let i = 0; i < ROWS; i++) {
  t += rng.exponential(86.4);
  const d = new Date(t).toISOString().replace('T', ' ').replace('Z', '0000');
  if (!out.write(`${d},${Math.round(rng.lognormal(1000, 1))},${Math.round(rng.lognormal(200, 1))}\n`))
    await new Promise<void>((r) => out.once('drain', () => r()));
}
await new Promise<void>((r) => out.end(() => r()));
global.gc?.();
const rssBefore = process.memoryUsage().rss;
let peakRss = rssBefore;
const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const start = performance.now();
const trace = await readTrace(file);
const readMs = performance.now() - start;
clearInterval(timer);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
const result = {
  rows: trace.count,
  readMs: Math.round(readMs),
  peakRssMB: Math.round(peakRss / 2 ** 20),
  rssBeforeMB: Math.round(rssBefore / 2 ** 20),
  goals: { readMs: 5000, peakRssMB: 300 },
  node: process.version,
  at: new Date().toISOString(),
};
console.log(JSON.stringify(result));
mkdirSync(join(import.meta.dirname, '..', '..', 'results', 'perf'), { recursive: true });
writeFileSync(join(import.meta.dirname, '..', '..', 'results', 'perf', 'trace-read.json'), `${JSON.stringify(result, null, 1)}\n`);
rmSync(dir, { recursive: true, force: true });
