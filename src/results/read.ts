/**
 * Reading a results.json: the edge where untrusted JSON becomes a `ResultsFile`. Validated once
 * here (kind, schema version, shape, cross-field rules); everything downstream trusts the types.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { BenchError } from '../errors.ts';
import { RESULTS_KIND, RESULTS_SCHEMA_VERSION } from './schema.ts';
import type { HeadlineMetrics, ResultsFile } from './schema.ts';

const num = z.number();
const count = z.number().int().nonnegative();
const share = z.number().min(0).max(1);

const percentiles = z.object({ count, mean: num, p50: num, p90: num, p95: num, p99: num, max: num });
const cdfPoints = z.array(z.tuple([num, num]));
const usageTotals = z.object({
  calls: count,
  inputTokens: num,
  cachedInputTokens: num,
  outputTokens: num,
  costUsd: num,
  cacheHits: count,
});
const timeSeries = z.object({
  intervalS: z.number().positive(),
  tS: z.array(num),
  arrivals: z.array(num),
  completions: z.array(num),
  arrivalRps: z.array(num),
  completionRps: z.array(num),
  queueDepthMean: z.array(num),
  queueDepthMax: z.array(num),
  workers: z.array(num),
  utilization: z.array(num),
  costUsd: z.array(num),
});
const cacheStats = z.object({
  kind: z.enum(['exact', 'semantic', 'embedding', 'tool', 'prompt']),
  step: z.string(),
  key: z.string(),
  value: z.string(),
  lookups: count,
  hits: count,
  misses: count,
  hitRate: share,
  falseHits: count,
  precision: share,
  staleHits: count,
  staleRate: share,
  evictions: count,
  savedUsd: num,
});
const finding = z.object({
  id: z.string(),
  kind: z.enum(['headline', 'slo-gap', 'choice', 'top-step', 'hint', 'interrupted', 'empty']),
  severity: z.enum(['critical', 'warning', 'recommendation', 'info']),
  text: z.string(),
  evidence: z.object({ configs: z.array(z.string()), figures: z.record(z.string(), num) }),
  recommend: z.object({ config: z.string(), setting: z.string().optional() }).optional(),
  impactPerMonthUsd: num.optional(),
});
const routingStats = z.object({
  strategy: z.string(),
  callsByModel: z.record(z.string(), num),
  strongCallShare: share,
  strongModel: z.string().nullable().optional(),
  escalationRate: share,
  retries: count,
  fallbacks: count,
});
const stepStats = z.object({
  kind: z.enum(['llm', 'embedding', 'tool']),
  calls: count,
  latencyMs: percentiles,
  usage: usageTotals,
});
const sloTargets = z.object({
  e2eP95Ms: num.optional(),
  ttftP95Ms: num.optional(),
  minQuality: num.optional(),
  maxCostPerDayUsd: num.optional(),
  requestLatencyMs: num.optional(),
  maxErrorRate: num.optional(),
});
const sloResult = z.object({
  targets: sloTargets,
  checks: z.array(z.object({ metric: z.string(), target: num, observed: num, met: z.boolean() })),
  meetsAll: z.boolean(),
  goodput: share,
});
const headline = z.object({
  costPerDayUsd: num,
  costPerRequestUsd: num,
  e2eP50Ms: num,
  e2eP95Ms: num,
  e2eP99Ms: num,
  ttftP50Ms: num,
  ttftP95Ms: num,
  queueWaitP95Ms: num,
  quality: num,
  errorRate: num,
  peakRps: num,
  itlP95Ms: num.optional(),
  tpotP95Ms: num.optional(),
  outputTokensPerS: num.optional(),
}) satisfies z.ZodType<HeadlineMetrics>;
const configResult = z.object({
  name: z.string().min(1),
  axes: z.record(z.string(), z.string()),
  seed: num,
  requests: z.object({ total: count, completed: count, failed: count, correct: count }),
  durationHours: z.number().positive(),
  latencyMs: z.object({ e2e: percentiles, queueWait: percentiles, ttft: percentiles, service: percentiles, itl: percentiles.optional(), tpot: percentiles.optional() }),
  cdf: z.object({ e2e: cdfPoints, ttft: cdfPoints, queueWait: cdfPoints }),
  throughput: z.object({ meanRps: num, peakRps: num, tokensPerS: num, outputTokensPerS: z.object({ aggregate: num, perRequest: percentiles }).optional() }),
  cost: z.object({
    perRequestUsd: num,
    perDayUsd: num,
    perMonthUsd: num,
    workersPerDayUsd: num,
    byModel: z.record(z.string(), usageTotals),
    byStep: z.record(z.string(), usageTotals),
    topStep: z.object({ step: z.string(), share: share, costPerDayUsd: num }).nullable(),
  }),
  quality: z.object({ share, correct: count, total: count }),
  workers: z.object({ mean: num, max: num, min: num, utilization: share, workerHours: num }),
  slo: sloResult,
  steps: z.record(z.string(), stepStats),
  routing: routingStats.nullable(),
  caches: z.record(z.string(), cacheStats),
  timeSeries,
  engine: z.object({ wallMs: num, simulatedRequests: count, simulatedCalls: count }),
  replicates: z.array(z.object({ seed: num, metrics: headline })).optional(),
});

/** The shape of results.json; `satisfies` keeps it in step with the interfaces in schema.ts. */
const resultsFileSchema = z.object({
  kind: z.literal(RESULTS_KIND),
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  createdAt: z.string(),
  mode: z.enum(['sim', 'live']),
  scenario: z.object({
    name: z.string(),
    description: z.string(),
    file: z.string(),
    config: z.unknown(),
    configHash: z.string(),
  }),
  seed: num,
  replications: count,
  code: z.object({ version: z.string(), gitCommit: z.string().nullable() }),
  machine: z.object({
    node: z.string(),
    platform: z.string(),
    arch: z.string(),
    cpus: count,
    cpuModel: z.string(),
    totalMemGiB: num,
  }),
  slo: sloTargets,
  configurations: z.array(configResult),
  missing: z.array(z.string()),
  findings: z.array(finding).optional(),
  trace: z
    .object({
      file: z.string(),
      format: z.string(),
      requests: count,
      badRows: count,
      durationHours: num,
      speed: num,
      requestsPerDay: num,
      note: z.string(),
    })
    .optional(),
}) satisfies z.ZodType<ResultsFile>;

/** Renders a zod issue path as `configurations[0].latencyMs.e2e.p95`. */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function invalid(source: string, message: string): BenchError {
  return new BenchError('INVALID_RESULTS', `${source} is not a valid results file: ${message}`);
}

/**
 * Validates parsed JSON as a results file; `source` names it in errors (a path, or "the first run").
 * Throws BenchError('INVALID_RESULTS') naming the first offending field path.
 */
export function parseResults(data: unknown, source: string): ResultsFile {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw invalid(source, `expected a JSON object, received ${describe(data)}.`);
  }
  const record = data as Record<string, unknown>;
  if (record.kind !== RESULTS_KIND) {
    throw invalid(source, `kind is ${describe(record.kind)}, expected "${RESULTS_KIND}". Pass a results.json written by \`bench run\`.`);
  }
  if (record.schemaVersion !== RESULTS_SCHEMA_VERSION) {
    throw invalid(
      source,
      `schemaVersion is ${describe(record.schemaVersion)}; this version of llm-scale-bench reads schemaVersion ${RESULTS_SCHEMA_VERSION}. Re-run the scenario with this version to get a readable file.`,
    );
  }
  const parsed = resultsFileSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    throw invalid(source, `${formatPath(first.path)}: ${first.message}${more}.`);
  }
  const results = parsed.data as ResultsFile;
  checkCrossFields(results, source);
  return results;
}

/** Rules the shape cannot express: unique configuration names, aligned time-series arrays. */
function checkCrossFields(results: ResultsFile, source: string): void {
  const seen = new Set<string>();
  results.configurations.forEach((config, i) => {
    if (seen.has(config.name)) {
      throw invalid(source, `configurations[${i}].name: ${describe(config.name)} appears twice; configuration names must be unique (compare matches them by name).`);
    }
    seen.add(config.name);
    const ts = config.timeSeries;
    const length = ts.tS.length;
    for (const key of ['arrivals', 'completions', 'arrivalRps', 'completionRps', 'queueDepthMean', 'queueDepthMax', 'workers', 'utilization', 'costUsd'] as const) {
      if (ts[key].length !== length) {
        throw invalid(source, `configurations[${i}].timeSeries.${key}: has ${ts[key].length} entries but timeSeries.tS has ${length}; every series needs one entry per interval.`);
      }
    }
  });
}

/** Reads and validates a results.json; throws BenchError('USAGE' | 'INVALID_RESULTS') with the path in the message. */
export async function readResultsFile(path: string): Promise<ResultsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new BenchError('USAGE', `Cannot read results file ${path}: ${reason}. Pass the path of a results.json written by \`bench run\` (results/<scenario>/<timestamp>/results.json).`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw invalid(path, `it is not JSON (${(error as Error).message}).`);
  }
  return parseResults(data, path);
}
