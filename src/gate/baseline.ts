/**
 * Baselines: the results.json of a replicated run, committed under results/baselines/, plus a
 * top-level `gateRun` record of how it was run so `bench gate` reruns the candidate the same way.
 */
import { fileSafe } from '../core/file-name.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BenchError } from '../core/errors.ts';
import { parseResults } from '../results/read.ts';
import type { ResultsFile, TimeSeries } from '../results/schema.ts';
import { writeJsonAtomic } from '../results/write.ts';
import { runScenarioFile } from '../sweep/run.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import { DEFAULT_BASELINE_REPLICATIONS } from './thresholds.ts';

/**
 * How a baseline was run. Readers of results.json ignore unknown top-level fields, so a baseline
 * stays a valid results file for `report` and `compare`.
 */
export interface GateRun {
  seed: number;
  replications: number;
  /** The traffic override used (e.g. reduced for CI time), or null when the scenario's own traffic ran. */
  requestsPerDay: number | null;
  /**
   * The scenario's own requests per day when the baseline was recorded. With an override, the
   * gate runs the candidate at `requestsPerDay × (candidate's own / this)`, so a change to the
   * scenario's traffic still shows in the gate while CI runs at reduced traffic. Null: no
   * scaling, run `requestsPerDay` as is (a plain results file used as a baseline).
   */
  scenarioRequestsPerDay: number | null;
  durationHours: number | null;
  /** The `--only` filter used, or null for every configuration. */
  only: string | null;
}

const gateRunSchema = z.object({
  seed: z.number().int().nonnegative(),
  replications: z.number().int().positive(),
  requestsPerDay: z.number().positive().nullable(),
  scenarioRequestsPerDay: z.number().positive().nullable(),
  durationHours: z.number().positive().nullable(),
  only: z.string().nullable(),
}) satisfies z.ZodType<GateRun>;

/** A results file as committed for the gate. */
type BaselineFile = ResultsFile & { gateRun: GateRun };

/** Options of `writeBaseline`. */
export interface BaselineOptions {
  /** Output path. @default results/baselines/<scenario name>.json */
  out?: string;
  /** Seeds per configuration. @default the scenario's `gate.replications`, else 5 */
  replications?: number;
  /** Traffic override (CI-sized runs). @default the scenario's own */
  requestsPerDay?: number;
  /** First seed. @default the scenario's seed */
  seed?: number;
  durationHours?: number;
  /** Record only the configurations this names (as `bench run --only`). */
  only?: string;
  threads?: number;
  /** Keep the run's per-minute time series. @default false: hourly, so a committed baseline stays small (~10 kB a configuration, not ~120 kB) */
  fullTimeSeries?: boolean;
}

/** Interval of the time series kept in a baseline, seconds. */
const BASELINE_TIME_SERIES_INTERVAL_S = 3600;

/** Default path of a scenario's baseline. */
function defaultBaselinePath(scenarioName: string): string {
  return join('results', 'baselines', `${fileSafe(scenarioName)}.json`);
}

/** Runs `scenarioFile` replicated and writes it as a baseline; resolves with the path written. */
export async function writeBaseline(scenarioFile: string, options: BaselineOptions = {}): Promise<string> {
  const loaded = await loadScenarioFile(scenarioFile);
  const replications = options.replications ?? loaded.scenario.gate.replications ?? DEFAULT_BASELINE_REPLICATIONS;
  if (!Number.isInteger(replications) || replications < 1) {
    throw new BenchError('USAGE', `--replications must be a positive integer, received ${replications}.`);
  }
  const { results } = await runScenarioFile(scenarioFile, {
    noWrite: true,
    replications,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.requestsPerDay !== undefined ? { requestsPerDay: options.requestsPerDay } : {}),
    ...(options.durationHours !== undefined ? { durationHours: options.durationHours } : {}),
    ...(options.only !== undefined ? { only: options.only } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  if (results.configurations.length === 0) {
    throw new BenchError(
      'USAGE',
      `${scenarioFile}: no configuration ${options.only !== undefined ? `matches --only "${options.only}"` : 'ran'}; nothing to record.`,
    );
  }
  const gateRun: GateRun = {
    seed: results.seed,
    replications: results.replications,
    requestsPerDay: options.requestsPerDay ?? null,
    scenarioRequestsPerDay: loaded.scenario.traffic.requestsPerDay,
    durationHours: options.durationHours ?? null,
    only: options.only ?? null,
  };
  const path = options.out ?? defaultBaselinePath(results.scenario.name);
  const configurations = options.fullTimeSeries
    ? results.configurations
    : results.configurations.map((c) => ({ ...c, timeSeries: coarsenTimeSeries(c.timeSeries, BASELINE_TIME_SERIES_INTERVAL_S) }));
  const file: BaselineFile = { ...results, configurations, gateRun };
  writeJsonAtomic(path, file);
  return path;
}

/**
 * Reads a baseline (or any results.json); `gateRun` is null for a plain results file, whose
 * run is then described from its own fields. Throws BenchError('USAGE' | 'INVALID_RESULTS').
 */
export async function readBaseline(path: string): Promise<{ results: ResultsFile; gateRun: GateRun | null }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BenchError(
      'USAGE',
      `Cannot read baseline ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}. Record one with \`bench baseline <scenario.ts>\`.`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BenchError('INVALID_RESULTS', `${path} is not a valid results file: it is not JSON (${(error as Error).message}).`);
  }
  const results = parseResults(data, path);
  const raw = (data as { gateRun?: unknown }).gateRun;
  if (raw === undefined) return { results, gateRun: null };
  const parsed = gateRunSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BenchError(
      'INVALID_RESULTS',
      `${path} is not a valid baseline: gateRun.${issue.path.join('.')}: ${issue.message}. Re-record it with \`bench baseline\`.`,
    );
  }
  return { results, gateRun: parsed.data };
}

/** The run settings of a baseline: its `gateRun`, or, for a plain results file, what its fields say. */
export function gateRunOf(results: ResultsFile, gateRun: GateRun | null): GateRun {
  if (gateRun !== null) return gateRun;
  const traffic = (results.scenario.config as { traffic?: { requestsPerDay?: number; durationHours?: number } } | null)?.traffic;
  return {
    seed: results.seed,
    replications: results.replications,
    // a plain results file does not say whether its traffic was an override: rerun it as recorded
    requestsPerDay: traffic?.requestsPerDay ?? null,
    scenarioRequestsPerDay: null,
    durationHours: traffic?.durationHours ?? null,
    only: null,
  };
}

/**
 * A time series re-binned to `intervalS` (a multiple of its own interval): counts and dollars
 * summed, rates, depths, workers and utilization averaged, maxima kept. Coarser series are
 * returned unchanged.
 */
function coarsenTimeSeries(ts: TimeSeries, intervalS: number): TimeSeries {
  const factor = Math.round(intervalS / ts.intervalS);
  if (factor <= 1 || Math.abs(factor * ts.intervalS - intervalS) > 1e-9) return ts;
  const bins = Math.ceil(ts.tS.length / factor);
  const out: TimeSeries = {
    intervalS,
    tS: [],
    arrivals: [],
    completions: [],
    arrivalRps: [],
    completionRps: [],
    queueDepthMean: [],
    queueDepthMax: [],
    workers: [],
    utilization: [],
    costUsd: [],
  };
  const sum = (xs: number[], from: number, to: number) => xs.slice(from, to).reduce((a, b) => a + b, 0);
  for (let b = 0; b < bins; b++) {
    const from = b * factor;
    const to = Math.min(from + factor, ts.tS.length);
    const n = to - from;
    out.tS.push(ts.tS[from]!);
    out.arrivals.push(sum(ts.arrivals, from, to));
    out.completions.push(sum(ts.completions, from, to));
    out.costUsd.push(sum(ts.costUsd, from, to));
    out.arrivalRps.push(sum(ts.arrivalRps, from, to) / n);
    out.completionRps.push(sum(ts.completionRps, from, to) / n);
    out.queueDepthMean.push(sum(ts.queueDepthMean, from, to) / n);
    out.queueDepthMax.push(Math.max(...ts.queueDepthMax.slice(from, to)));
    out.workers.push(sum(ts.workers, from, to) / n);
    out.utilization.push(sum(ts.utilization, from, to) / n);
  }
  return out;
}
