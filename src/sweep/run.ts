/** `bench run` as a function: prepare the scenario, sweep it, write results.json. */
import { fileSafe } from '../core/file-name.ts';
import { join, resolve } from 'node:path';
import { computeFindings } from '../report/findings.ts';
import type { ResultsFile } from '../results/schema.ts';
import { writeJsonAtomic } from '../results/write.ts';
import { checkRedis } from '../live/protocol.ts';
import { prepareScenario, type PreparedScenario, type RunOverrides } from './prepare.ts';
import { Sweep, type SweepOptions } from './sweep.ts';

/** Options of a run. */
export interface RunOptions extends RunOverrides {
  /** Output folder; default `results/<scenario>/<timestamp>/`. */
  outDir?: string;
  /** Write nothing to disk. */
  noWrite?: boolean;
  threads?: number;
  /** Write each configuration's ledger as CSV beside results.json. */
  ledger?: boolean;
  /** Stops the sweep; the finished configurations are kept (see `Sweep.run`). */
  signal?: AbortSignal;
  /** Subscribes to the sweep's events before it starts. */
  listen?: (sweep: Sweep) => void;
}

/** Default output folder of a run. */
function defaultOutDir(scenarioName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:]/g, '-').replace(/\..+$/, '');
  return join('results', fileSafe(scenarioName), stamp);
}

/** Runs a scenario file's sweep; returns the results and where they were written. */
export async function runScenarioFile(file: string, options: RunOptions = {}): Promise<{ results: ResultsFile; outDir: string | null }> {
  const overrides: RunOverrides = {
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.requestsPerDay !== undefined ? { requestsPerDay: options.requestsPerDay } : {}),
    ...(options.durationHours !== undefined ? { durationHours: options.durationHours } : {}),
    ...(options.replications !== undefined ? { replications: options.replications } : {}),
    ...(options.only !== undefined ? { only: options.only } : {}),
    ...(options.live !== undefined ? { live: options.live } : {}),
    ...(options.trace !== undefined ? { trace: options.trace } : {}),
    ...(options.pricesFile !== undefined ? { pricesFile: options.pricesFile } : {}),
    ...(options.maxRequests !== undefined ? { maxRequests: options.maxRequests } : {}),
  };
  let prepared = await prepareScenario(file, overrides);
  await checkCacheBackends(prepared);
  const outDir = options.noWrite ? null : (options.outDir ?? defaultOutDir(prepared.scenario.name));
  if (options.ledger && outDir !== null) {
    overrides.ledgerDir = resolve(outDir);
    prepared = { ...prepared, ledgerDir: overrides.ledgerDir };
  }
  const sweepOptions: SweepOptions = {
    overrides,
    ...(outDir !== null ? { resultsPath: join(outDir, 'results.json') } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  };
  const sweep = new Sweep(prepared, sweepOptions);
  options.listen?.(sweep);
  const results = await sweep.run(options.signal);
  // Findings are computed once, here, and stored: report, compare, gate and CI read the same records.
  results.findings = computeFindings(results);
  if (outDir !== null) writeJsonAtomic(join(outDir, 'results.json'), results);
  return { results, outDir };
}

/** A cache on a Redis that cannot be reached is one line and exit 2 before the run starts (not a stack from a worker thread). */
async function checkCacheBackends(prepared: PreparedScenario): Promise<void> {
  const urls = new Set<string>();
  for (const c of prepared.configurations) for (const cache of c.strategies.caches) if (cache.backend !== 'memory') urls.add(cache.backend.redis);
  for (const url of urls) await checkRedis(url, `${prepared.file}: cache backend`);
}
