/**
 * Trace reading benchmark: a 1M-row Azure-format CSV (generated into a temp dir, never
 * committed) read by `readTrace`, against two bare baselines over the same file in the same
 * run: the file streamed as text (bytes only), and the same file split into lines and fields
 * (`forEachLine` + `split(',')`, no parsing). Each measurement runs in a fresh process (its own
 * peak RSS, no JIT state shared), interleaved over rounds; figures are medians.
 * Goal: read ≤ 5 s with peak RSS ≤ 300 MB. `npx tsx test/perf/trace.perf.ts` prints the figures;
 * `npm run perf` runs it as `trace` (results/perf/trace.json).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Rng } from '../../src/core/random.ts';
import { forEachLine } from '../../src/trace/lines.ts';
import { readTrace } from '../../src/trace/read.ts';

const ROWS = 1_000_000;
const ROUNDS = 5;
const CHILD_FLAG = '--trace-perf-child';
const MODES = ['bytes', 'split', 'read'] as const;
type Mode = (typeof MODES)[number];

async function writeTrace(file: string): Promise<void> {
  const out = createWriteStream(file);
  const rng = new Rng(1);
  let t = Date.UTC(2024, 4, 10);
  out.write('TIMESTAMP,ContextTokens,GeneratedTokens\n');
  for (let i = 0; i < ROWS; i++) {
    t += rng.exponential(86.4);
    const d = new Date(t).toISOString().replace('T', ' ').replace('Z', '0000');
    if (!out.write(`${d},${Math.round(rng.lognormal(1000, 1))},${Math.round(rng.lognormal(200, 1))}\n`)) {
      await new Promise<void>((r) => out.once('drain', () => r()));
    }
  }
  await new Promise<void>((r) => out.end(() => r()));
}

/** One measurement in this (fresh) process: what it read, how long, peak RSS. */
async function measure(mode: Mode, file: string): Promise<{ rows: number; ms: number; maxRssMb: number }> {
  const start = performance.now();
  let rows = 0;
  if (mode === 'bytes') {
    for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }) as AsyncIterable<string>) rows += chunk.length;
  } else if (mode === 'split') {
    await forEachLine(file, (line) => {
      rows += line.split(',').length > 2 ? 1 : 0;
    });
    rows--; // the header
  } else {
    rows = (await readTrace(file)).count;
  }
  return { rows, ms: performance.now() - start, maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs the benchmark and returns its figures. */
export default async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'trace-perf-'));
  const file = join(dir, 'azure-1m.csv');
  try {
    await writeTrace(file);
    const loadBefore = loadavg()[0]!;
    const perMode: Record<Mode, Array<{ rows: number; ms: number; maxRssMb: number }>> = { bytes: [], split: [], read: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of MODES) {
        const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), CHILD_FLAG, mode, file], {
          encoding: 'utf8',
          timeout: 120_000,
        });
        if (child.status !== 0) throw new Error(`trace perf child (${mode}) failed: ${child.stderr.slice(-500)}`);
        perMode[mode].push(JSON.parse(child.stdout.trim().split('\n').pop()!) as { rows: number; ms: number; maxRssMb: number });
      }
    }
    const loadAfter = loadavg()[0]!;
    const ms = (m: Mode) => median(perMode[m].map((r) => r.ms));
    const readMs = ms('read');
    const peakRssMb = Math.max(...perMode.read.map((r) => r.maxRssMb));
    return {
      rows: perMode.read[0]!.rows,
      rounds: ROUNDS,
      readMs: Math.round(readMs),
      readMsPerRound: perMode.read.map((r) => Math.round(r.ms)),
      splitMs: Math.round(ms('split')),
      splitMsPerRound: perMode.split.map((r) => Math.round(r.ms)),
      bytesMs: Math.round(ms('bytes')),
      ratioReadToSplit: readMs / ms('split'),
      peakRssMb: Math.round(peakRssMb),
      splitPeakRssMb: Math.round(Math.max(...perMode.split.map((r) => r.maxRssMb))),
      goals: { readMs: 5000, peakRssMb: 300 },
      goalReadMet: readMs <= 5000,
      goalRssMet: peakRssMb <= 300,
      loadAverage1m: { before: loadBefore, after: loadAfter },
      // a figure taken while the box is busy with other work is not a measurement of this code
      valid: Math.max(loadBefore, loadAfter) < cpus().length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf(CHILD_FLAG);
if (childAt >= 0) {
  process.stdout.write(`${JSON.stringify(await measure(process.argv[childAt + 1] as Mode, process.argv[childAt + 2]!))}\n`);
} else if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  console.log(JSON.stringify(await run(), null, 2));
}
