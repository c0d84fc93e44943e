/**
 * A run's size before it starts: how many requests it simulates, and roughly how much memory and
 * time that takes, so an absurd traffic figure (a typo'd `requestsPerDay: 1e12`) is refused with
 * one line instead of ending in a RangeError, or in gigabytes of memory after minutes of silence.
 */
import { BenchError } from '../core/errors.ts';
import { formatCount, formatDuration } from '../report/numbers.ts';
import { flattenSteps } from '../scenario/load.ts';
import { requestCount } from '../workload/arrivals.ts';
import type { RunFacts } from '../results/write.ts';

/**
 * Most requests one configuration may simulate unless `--max-requests` says otherwise: 10 million
 * (100 days at 100,000 a day), about 2.5 GB and a minute or two per configuration on a laptop core.
 */
export const DEFAULT_MAX_REQUESTS = 10_000_000;

/**
 * Memory held per simulated request at worst (measured: 1 million requests backed up behind 8
 * workers peaked 220 MB above 100,000 requests — queued jobs, arrival times, open agent runs).
 */
const BYTES_PER_REQUEST = 250;
/** Memory of a simulation thread before its first request (module code, catalog, histograms). */
const BASE_BYTES_PER_THREAD = 150 * 2 ** 20;
/** Wall time per step of one request (README: 100,000 requests of 3–5 steps in about 1.1 s). */
const MS_PER_REQUEST_STEP = 0.004;

/** The estimated size of a run. */
export interface RunSize {
  configurations: number;
  replications: number;
  /** Requests of one configuration and seed. */
  requestsPerConfiguration: number;
  /** Peak memory of the run (all threads). */
  memoryBytes: number;
  /** Wall time of the whole run. */
  timeMs: number;
}

/** Estimates `prepared`'s size when simulated on `threads` threads. */
export function estimateRunSize(prepared: RunFacts, threads: number): RunSize {
  const requestsPerConfiguration = prepared.replay?.count ?? requestCount(prepared.scenario.traffic);
  const configurations = prepared.configurations.length;
  const parallel = threadsUsed(configurations * prepared.replications, threads);
  const steps = Math.max(1, flattenSteps(prepared.scenario.workflow).length);
  const work = configurations * prepared.replications * requestsPerConfiguration * steps * MS_PER_REQUEST_STEP;
  return {
    configurations,
    replications: prepared.replications,
    requestsPerConfiguration,
    memoryBytes: parallel * (BASE_BYTES_PER_THREAD + requestsPerConfiguration * BYTES_PER_REQUEST),
    timeMs: work / parallel,
  };
}

/** Refuses (one line, exit 2) a run whose configurations would each simulate more than `maxRequests` requests. */
export function checkRunSize(prepared: RunFacts, maxRequests: number = DEFAULT_MAX_REQUESTS): void {
  const size = estimateRunSize(prepared, 1);
  if (size.requestsPerConfiguration <= maxRequests) return;
  const t = prepared.scenario.traffic;
  throw new BenchError(
    'USAGE',
    `${prepared.file}: ${formatCount(t.requestsPerDay)} requests a day for ${t.durationHours} h is ${formatCount(size.requestsPerConfiguration)} requests per configuration ` +
      `(about ${formatBytes(size.memoryBytes)} of memory and ${formatDuration(size.timeMs / size.configurations)} per configuration); ` +
      `the limit is ${formatCount(maxRequests)}: lower requestsPerDay or durationHours, or raise the limit with --max-requests <n>`,
  );
}

/** One line saying what a run will do and roughly what it costs, printed as it starts. */
export function describeRunSize(size: RunSize, threads: number): string {
  return (
    `simulating ${size.configurations} configuration${size.configurations === 1 ? '' : 's'} × ${size.replications} seed${size.replications === 1 ? '' : 's'}, ` +
    `${formatCount(size.requestsPerConfiguration)} requests each, on ${threadsUsed(size.configurations * size.replications, threads)} thread(s): ` +
    `about ${formatDuration(size.timeMs)} and ${formatBytes(size.memoryBytes)} at most`
  );
}

/** Threads a run of `units` replications (configurations × seeds, each one thread's work) keeps busy. */
function threadsUsed(units: number, threads: number): number {
  return Math.max(1, Math.min(threads, units));
}

function formatBytes(b: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) (b /= 1024), i++;
  return `${b >= 100 || i === 0 ? Math.round(b) : b.toFixed(1)} ${units[i]}`;
}
