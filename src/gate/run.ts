/** `bench gate` as a function: run (or read) the candidate the way the baseline was run, then gate it. */
import { BenchError } from '../core/errors.ts';
import { invalidRecords } from '../results/validity.ts';
import { findingsOf } from '../report/findings.ts';
import { readResultsFile } from '../results/read.ts';
import type { ResultsFile } from '../results/schema.ts';
import { runScenarioFile } from '../sweep/run.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import { gateRunOf, readBaseline, type GateRun } from './baseline.ts';
import { gate, type GateOptions, type GateReport } from './gate.ts';

/** Options of `runGate`. */
export interface RunGateOptions extends GateOptions {
  /** A scenario file (run now) or a results.json (read). */
  target: string;
  /** A baseline written by `writeBaseline`, or any results.json of the scenario. */
  baseline: string;
  /** Seeds per configuration. @default the baseline's */
  replications?: number;
  /** First seed. @default the baseline's */
  seed?: number;
  /** Traffic of the candidate run. @default the baseline's override, scaled by any change to the scenario's own traffic */
  requestsPerDay?: number;
  durationHours?: number;
  /** Run only the configurations this names (as `bench run --only`). @default the baseline's filter */
  only?: string;
  threads?: number;
  /** Also write the candidate's results.json into this folder. @default nothing written */
  outDir?: string;
  /** Gate runs whose validity records say their measurement conditions failed. @default false */
  allowInvalid?: boolean;
}

/** Throws BenchError('INVALID_RESULTS') (exit 2) when a run has a failed validity record. */
export function refuseInvalid(runs: ReadonlyArray<[string, ResultsFile]>): void {
  for (const [side, results] of runs) {
    for (const c of results.configurations) {
      const bad = invalidRecords(c.validity);
      if (bad.length > 0) {
        throw new BenchError(
          'INVALID_RESULTS',
          `the ${side} run is invalid (${c.name}: ${bad.map((r) => r.message).join('; ')}); rerun it, or pass --allow-invalid to gate it anyway`,
        );
      }
    }
  }
}

/** Whether a gate target names a results file rather than a scenario. */
function isResultsPath(target: string): boolean {
  return target.toLowerCase().endsWith('.json');
}

/**
 * The traffic to run the candidate at: the baseline's override, scaled by how much the
 * scenario's own traffic changed since (so doubling `requestsPerDay` in the scenario doubles
 * the CI run's traffic too). Undefined: the scenario's own traffic.
 */
export function candidateRequestsPerDay(run: GateRun, ownRequestsPerDay: number): number | undefined {
  if (run.requestsPerDay === null) return undefined;
  if (run.scenarioRequestsPerDay === null || ownRequestsPerDay === run.scenarioRequestsPerDay) return run.requestsPerDay;
  return Math.max(1, Math.round((run.requestsPerDay * ownRequestsPerDay) / run.scenarioRequestsPerDay));
}

/** Runs the candidate (or reads it) and gates it against the baseline. Incomparable inputs throw BenchError('INCOMPARABLE'). */
export async function runGate(options: RunGateOptions): Promise<GateReport> {
  const { results: baseline, gateRun } = await readBaseline(options.baseline);
  const run = gateRunOf(baseline, gateRun);
  let candidate: ResultsFile;
  if (isResultsPath(options.target)) {
    candidate = await readResultsFile(options.target);
  } else {
    const own = (await loadScenarioFile(options.target)).scenario.traffic.requestsPerDay;
    const requestsPerDay = options.requestsPerDay ?? candidateRequestsPerDay(run, own);
    const durationHours = options.durationHours ?? run.durationHours ?? undefined;
    const only = options.only ?? run.only ?? undefined;
    ({ results: candidate } = await runScenarioFile(options.target, {
      seed: options.seed ?? run.seed,
      replications: options.replications ?? run.replications,
      ...(requestsPerDay !== undefined ? { requestsPerDay } : {}),
      ...(durationHours !== undefined ? { durationHours } : {}),
      ...(only !== undefined ? { only } : {}),
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.outDir !== undefined ? { outDir: options.outDir } : { noWrite: true }),
    }));
  }
  if (!options.allowInvalid)
    refuseInvalid([
      ['baseline', baseline],
      ['candidate', candidate],
    ]);
  const report = gate(candidate, baseline, {
    ...options,
    baselineLabel: options.baselineLabel ?? options.baseline,
    candidateLabel: options.candidateLabel ?? options.target,
  });
  return { ...report, findings: findingsOf(candidate) };
}
