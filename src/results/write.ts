/** Assembling and writing results.json (atomically: a reader never sees half a file). */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scenario, WorkloadFigures } from '../scenario/schema.ts';
import { replayNote, type TraceReplay } from '../trace/replay.ts';
import type { Catalog } from '../provider/catalog.ts';
import { priceTable } from '../provider/prices.ts';
import { traceFigures } from '../trace/scenario-file.ts';
import { traceStats } from '../trace/stats.ts';
import { RESULTS_KIND, RESULTS_SCHEMA_VERSION, type ConfigResult, type MachineFacts, type ResultsFile } from './schema.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let codeVersionCache: ResultsFile['code'] | undefined;

/**
 * The harness's version and git commit (null outside a git checkout), read once per process:
 * results.json is rewritten after every configuration and once more when a run is interrupted,
 * and a `git` child process per write cost hundreds of milliseconds of the 2 s stop bound on a
 * loaded machine.
 */
function codeVersion(): ResultsFile['code'] {
  codeVersionCache ??= readCodeVersion();
  return { ...codeVersionCache };
}

function readCodeVersion(): ResultsFile['code'] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  let gitCommit: string | null = null;
  try {
    gitCommit =
      execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim() || null;
  } catch {
    gitCommit = null;
  }
  return { version: pkg.version, gitCommit };
}

/** Facts about this machine. */
export function machineFacts(): MachineFacts {
  const c = cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    totalMemGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

/** What a results file says about the run (sweep's PreparedScenario has all of it). */
export interface RunFacts {
  file: string;
  scenario: Scenario;
  seed: number;
  replications: number;
  configurations: ReadonlyArray<{ name: string }>;
  catalog: Catalog;
  /** The price file applied over the catalog, if any. */
  pricesFile?: string;
  replay?: TraceReplay;
}

/** A results file for a prepared scenario and the configurations finished so far. */
export function buildResultsFile(prepared: RunFacts, configurations: ConfigResult[], mode: ResultsFile['mode'] = 'sim'): ResultsFile {
  const config = JSON.parse(JSON.stringify(prepared.scenario)) as unknown;
  const done = new Set(configurations.map((c) => c.name));
  return {
    kind: RESULTS_KIND,
    schemaVersion: RESULTS_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    mode,
    scenario: {
      name: prepared.scenario.name,
      description: prepared.scenario.description,
      file: prepared.file,
      config,
      configHash: createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16),
    },
    seed: prepared.seed,
    replications: prepared.replications,
    code: codeVersion(),
    machine: machineFacts(),
    slo: prepared.scenario.slo,
    configurations,
    missing: prepared.configurations.filter((c) => !done.has(c.name)).map((c) => c.name),
    ...(prepared.replay !== undefined ? { trace: traceRecord(prepared.replay) } : {}),
    prices: priceTable(prepared.catalog, prepared.pricesFile ?? null),
  };
}

/** A trace's figures, computed once per trace (results.json is rewritten after every configuration). */
const traceFiguresCache = new WeakMap<object, WorkloadFigures>();
function figuresOf(trace: Parameters<typeof traceStats>[0]): WorkloadFigures {
  let f = traceFiguresCache.get(trace);
  if (f === undefined) traceFiguresCache.set(trace, (f = traceFigures(traceStats(trace))));
  return f;
}

function traceRecord(r: TraceReplay): NonNullable<ResultsFile['trace']> {
  return {
    file: r.trace.file,
    format: r.trace.format,
    requests: r.count,
    badRows: r.trace.badRows.count,
    durationHours: r.durationHours,
    speed: r.speed,
    requestsPerDay: r.requestsPerDay,
    note: replayNote(r),
    figures: figuresOf(r.trace),
  };
}

/** Writes JSON to `path` through a temporary file and a rename. */
export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 1));
  renameSync(tmp, path);
}
