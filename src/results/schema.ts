/**
 * results.json: the contract between `bench run` and everything that reads a run (`report`,
 * `compare`, `gate`). Readers depend on these types only, never on the engine. The zod schema
 * below is the one source: the TypeScript types are inferred from it, and `read.ts` validates
 * files with it. Fields added after version 1 must be optional, so older files still read.
 */
import { validityRecordSchema } from './validity.ts';
import { z } from 'zod';
import { WorkloadFiguresSchema } from '../scenario/schema.ts';

/** Bumped on any change a reader must know about; runs of different versions are not compared. */
export const RESULTS_SCHEMA_VERSION = 1;
/** The `kind` tag every results file carries. */
export const RESULTS_KIND = 'llm-scale-bench/results';

const num = z.number();
const count = z.number().int().nonnegative();
const share = z.number().min(0).max(1);

/** Percentiles of one latency distribution, in milliseconds, from an HDR histogram. */
const percentilesSchema = z.object({ count, mean: num, p50: num, p90: num, p95: num, p99: num, max: num });
/** Percentiles of one latency distribution, in milliseconds, from an HDR histogram. */
export type Percentiles = z.infer<typeof percentilesSchema>;

/** Points of an empirical CDF: `[valueMs, fractionAtOrBelow]`, increasing in both. */
const cdfPointsSchema = z.array(z.tuple([num, num]));
/** Points of an empirical CDF: `[valueMs, fractionAtOrBelow]`, increasing in both. */
export type CdfPoints = z.infer<typeof cdfPointsSchema>;

const usageTotalsSchema = z.object({
  calls: count,
  inputTokens: num,
  cachedInputTokens: num,
  outputTokens: num,
  /** Dollars; in `cost.byModel` and `cost.byStep` per day (scaled from the period, like every cost table), else over the period. */
  costUsd: num,
  /** Calls answered from a cache of ours (no tokens billed). */
  cacheHits: count,
  /**
   * `cost.byModel` / `cost.byStep`: dollars over the simulated period, the same period as the
   * calls and tokens beside it (costUsd is per day). Absent in results written before it existed.
   */
  periodCostUsd: num.optional(),
});
/** Tokens, calls and dollars for one slice of the ledger (a model, a step, a whole run). */
export type UsageTotals = z.infer<typeof usageTotalsSchema>;

const timeSeriesSchema = z.object({
  intervalS: z.number().positive(),
  /** Start of each interval, seconds since the start of the simulated day. */
  tS: z.array(num),
  arrivals: z.array(num),
  completions: z.array(num),
  /** Arrivals per second, averaged over the interval. */
  arrivalRps: z.array(num),
  /** Completions per second, averaged over the interval. */
  completionRps: z.array(num),
  /** Jobs waiting in the queue: time-weighted mean and maximum over the interval. */
  queueDepthMean: z.array(num),
  queueDepthMax: z.array(num),
  /** Workers able to serve (cold starts excluded), time-weighted mean over the interval. */
  workers: z.array(num),
  /** Busy share of serving workers over the interval, 0–1. */
  utilization: z.array(num),
  /** LLM and tool spend in the interval (worker cost excluded). */
  costUsd: z.array(num),
});
/** One per-minute (by default) series over the simulated day; every array has one entry per interval. */
export type TimeSeries = z.infer<typeof timeSeriesSchema>;

const cacheStatsSchema = z.object({
  /** Cache kind: exact request, semantic, embedding, tool output or provider prompt cache. */
  kind: z.enum(['exact', 'semantic', 'embedding', 'tool', 'prompt']),
  /** Step whose calls the cache serves. */
  step: z.string(),
  /** What the key is made of, in words (for the findings). */
  key: z.string(),
  /** What the value is, in words. */
  value: z.string(),
  lookups: count,
  hits: count,
  misses: count,
  hitRate: share,
  /** Semantic cache: hits that served an answer to another intent. */
  falseHits: count,
  /** Hits that were right: (hits − falseHits) / hits; 1 when no hits. */
  precision: share,
  /** Tool cache: hits that served a value that had changed at the source. */
  staleHits: count,
  staleRate: share,
  /** Entries evicted by the LRU capacity. */
  evictions: count,
  /** Dollars per day the hits did not spend (the price of the calls they replaced), scaled to 24 h like the cost tables. */
  savedUsd: num,
});
/** Hit/miss accounting of one cache. */
export type CacheStats = z.infer<typeof cacheStatsSchema>;

const routingStatsSchema = z.object({
  /** The routing strategy's label, e.g. `cascade(gpt-4o-mini→gpt-4o, 0.7)`. */
  strategy: z.string(),
  /** Calls per model on routed steps. */
  callsByModel: z.record(z.string(), num),
  /** Share of routed requests sent up to the strong model (cascade escalations, router picks). */
  strongCallShare: share,
  /** The strategy's strong model (cascade and router: the large one; single and fallback: none). */
  strongModel: z.string().nullable().optional(),
  /** Cascade only: share of requests whose small-model answer was escalated. */
  escalationRate: share,
  /** Fallback only: calls retried or moved to another model after a 429/5xx/timeout. */
  retries: count,
  fallbacks: count,
});
/** What the routing strategy did. */
export type RoutingStats = z.infer<typeof routingStatsSchema>;

const stepStatsSchema = z.object({
  kind: z.enum(['llm', 'embedding', 'tool']),
  calls: count,
  latencyMs: percentilesSchema,
  usage: usageTotalsSchema,
});
/** Per-step figures. */
export type StepStats = z.infer<typeof stepStatsSchema>;

const sloTargetsSchema = z.object({
  e2eP95Ms: num.optional(),
  ttftP95Ms: num.optional(),
  minQuality: num.optional(),
  maxCostPerDayUsd: num.optional(),
  /** A request counts toward goodput when its latency is at or below this. */
  requestLatencyMs: num.optional(),
  /** Share of requests allowed to fail. */
  maxErrorRate: num.optional(),
});
const sloResultSchema = z.object({
  targets: sloTargetsSchema,
  /** One entry per target: the observed value and whether it met the target. */
  checks: z.array(z.object({ metric: z.string(), target: num, observed: num, met: z.boolean() })),
  meetsAll: z.boolean(),
  /** Share of all requests that completed (and, when `requestLatencyMs` is set, within it). */
  goodput: share,
});
/** A service-level objective and how the configuration did against it. */
export type SloResult = z.infer<typeof sloResultSchema>;

const headlineMetricsSchema = z.object({
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
  /** Inter-token latency p95; absent in results written before it existed. */
  itlP95Ms: num.optional(),
  /** Time per output token p95; absent in results written before it existed. */
  tpotP95Ms: num.optional(),
  /** Aggregate output tokens per second; absent in results written before it existed. */
  outputTokensPerS: num.optional(),
});
/** The figures a summary table, `compare` and `gate` look at, flattened for one configuration. */
export type HeadlineMetrics = z.infer<typeof headlineMetricsSchema>;

const configResultSchema = z.object({
  /** Stable name built from the axis choices, e.g. `routing=cascade workers=16`; matched across runs. */
  name: z.string().min(1),
  /** The choice of each sweep axis. */
  axes: z.record(z.string(), z.string()),
  seed: num,
  requests: z.object({ total: count, completed: count, failed: count, correct: count }),
  /** Simulated (or measured) duration, hours. */
  durationHours: z.number().positive(),
  latencyMs: z.object({
    /** Arrival to last byte of the answer. */
    e2e: percentilesSchema,
    /** Arrival to a worker picking the job up. */
    queueWait: percentilesSchema,
    /** Arrival to the first token of the answer reaching the user (= e2e when not streamed). */
    ttft: percentilesSchema,
    /** Worker pick-up to answer (the service time). */
    service: percentilesSchema,
    /**
     * Inter-token latency: the gaps between consecutive content tokens of every answer, all
     * tokens pooled (vLLM bench serve's `itl`). Absent in results written before it existed.
     */
    itl: percentilesSchema.optional(),
    /**
     * Time per output token, one value per LLM call with ≥ 2 output tokens:
     * (latency − TTFT) / (output tokens − 1) (vLLM bench serve's `tpot`).
     */
    tpot: percentilesSchema.optional(),
  }),
  cdf: z.object({ e2e: cdfPointsSchema, ttft: cdfPointsSchema, queueWait: cdfPointsSchema }),
  throughput: z.object({
    meanRps: num,
    peakRps: num,
    tokensPerS: num,
    /**
     * Output tokens per second: `perRequest` one value per LLM call (output tokens ÷ call latency,
     * GuideLLM's per-request output tokens/s); `aggregate` all output tokens ÷ the run's duration
     * (vLLM bench serve's output throughput).
     */
    outputTokensPerS: z.object({ aggregate: num, perRequest: percentilesSchema }).optional(),
  }),
  cost: z.object({
    perRequestUsd: num,
    /** Spend over the simulated period (`periodHours`), workers included. Absent in results written before it existed. */
    perPeriodUsd: num.optional(),
    /** Length of the period `perPeriodUsd` and the token counts cover, hours. */
    periodHours: num.optional(),
    /** Spend per day: the period's spend × 24 / periodHours. */
    perDayUsd: num,
    perMonthUsd: num,
    /** Worker-hours priced at the scenario's cost per worker-hour, per day (included in perDayUsd). */
    workersPerDayUsd: num,
    /** LLM/embedding/tool spend by model (tool calls under `tool:<step>`): costUsd per day; calls, tokens and periodCostUsd over the period. */
    byModel: z.record(z.string(), usageTotalsSchema),
    /** Spend by workflow step: costUsd per day; calls, tokens and periodCostUsd over the period. */
    byStep: z.record(z.string(), usageTotalsSchema),
    /** The step with the highest cost and its share of the day's call spend. */
    topStep: z.object({ step: z.string(), share, costPerDayUsd: num }).nullable(),
  }),
  quality: z.object({ share, correct: count, total: count }),
  workers: z.object({ mean: num, max: num, min: num, utilization: share, workerHours: num }),
  slo: sloResultSchema,
  steps: z.record(z.string(), stepStatsSchema),
  routing: routingStatsSchema.nullable(),
  caches: z.record(z.string(), cacheStatsSchema),
  timeSeries: timeSeriesSchema,
  /** The simulator's own speed: wall time, requests, calls (ledger rows) and events processed. */
  engine: z.object({ wallMs: num, simulatedRequests: count, simulatedCalls: count, events: count.optional() }),
  /** Live runs only: where the calls went, the time scale, and how late requests were sent. */
  live: z
    .object({
      target: z.string(),
      timeScale: num,
      /** Actual − intended send time, scenario milliseconds. */
      sendLagMs: percentilesSchema,
      warnings: z.array(z.string()),
      /** Runs on BullMQ workers (`--redis`): the queue, and jobs run again after their worker died mid-job. */
      queue: z.object({ name: z.string(), retriedJobs: count }).optional(),
    })
    .optional(),
  /** Headline figures of each replication (one seed each) when the run was replicated: the noise the gate measures. */
  replicates: z.array(z.object({ seed: num, metrics: headlineMetricsSchema })).optional(),
  /** Live runs: whether the measurement conditions held (a record with valid false makes the run invalid). */
  validity: z.array(validityRecordSchema).optional(),
  /** A traced or fitted run: the workload it generated, in the figures its trace is summarised by. */
  workload: WorkloadFiguresSchema.optional(),
});
/** Everything measured for one configuration of the sweep. */
export type ConfigResult = z.infer<typeof configResultSchema>;

const machineFactsSchema = z.object({
  node: z.string(),
  platform: z.string(),
  arch: z.string(),
  cpus: count,
  cpuModel: z.string(),
  totalMemGiB: num,
});
/** Facts about where the run happened, so two runs can be judged comparable. */
export type MachineFacts = z.infer<typeof machineFactsSchema>;

/** What a finding is about. */
const findingKindSchema = z.enum(['headline', 'slo-gap', 'choice', 'top-step', 'hint', 'interrupted', 'empty', 'invalid']);
/** How much a finding asks of the reader: act now, a recommendation, or context. */
const findingSeveritySchema = z.enum(['critical', 'warning', 'recommendation', 'info']);

const findingSchema = z.object({
  /** Stable within a run (e.g. `headline`, `choice:workers`), so compare and gate can match findings. */
  id: z.string(),
  kind: findingKindSchema,
  severity: findingSeveritySchema,
  /** One or two sentences that include the supporting numbers. */
  text: z.string(),
  /** The configurations (exact names) and figures (unit in the key) the text rests on. */
  evidence: z.object({ configs: z.array(z.string()), figures: z.record(z.string(), num) }),
  /** Present when the finding recommends a configuration: its exact name and the setting that matters. */
  recommend: z.object({ config: z.string(), setting: z.string().optional() }).optional(),
  /** Dollars a month the finding is worth at equal or better SLOs: the order findings are read in. */
  impactPerMonthUsd: num.optional(),
});
/** One finding of a run, in words and in the figures and configurations it rests on. */
export type Finding = z.infer<typeof findingSchema>;

/** What a traced run replayed, and how its per-day figures were extrapolated. */
const traceRecordSchema = z.object({
  file: z.string(),
  format: z.string(),
  requests: count,
  /** Bad rows skipped while reading. */
  badRows: count,
  /** Scenario hours the replay lasted (the trace's span at `speed`). */
  durationHours: num,
  /** Trace time per scenario time. */
  speed: num,
  requestsPerDay: num,
  /** The sentence the summary prints. */
  note: z.string(),
  /** The replayed requests' figures (the trace side of the report's comparison). */
  figures: WorkloadFiguresSchema.optional(),
});

/** The shape of a whole results.json (cross-field rules are checked in read.ts). */
export const resultsFileSchema = z.object({
  kind: z.literal(RESULTS_KIND),
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  createdAt: z.string(),
  mode: z.enum(['sim', 'live']),
  scenario: z.object({
    name: z.string(),
    description: z.string(),
    /** Path of the scenario file as given on the command line. */
    file: z.string(),
    /** The resolved, JSON-safe scenario (strategies as their descriptions). */
    config: z.unknown(),
    /** Hash of the resolved config: equal hashes mean the same scenario. */
    configHash: z.string(),
  }),
  seed: num,
  /** Seeds of replications, when the run was replicated (gate). */
  replications: count,
  code: z.object({ version: z.string(), gitCommit: z.string().nullable() }),
  machine: machineFactsSchema,
  /** SLO targets of the scenario. */
  slo: sloTargetsSchema,
  configurations: z.array(configResultSchema),
  /** Configurations of the sweep that did not finish (interrupted run), by name. */
  missing: z.array(z.string()),
  /** What the run says, most important first; absent in files written before findings were data. */
  findings: z.array(findingSchema).optional(),
  /** The trace replayed instead of the scenario's traffic (`bench run --trace`). */
  trace: traceRecordSchema.optional(),
  /** The price table the run used (the catalog's, or a `--prices` file), each price with its source and date. */
  prices: z
    .object({
      file: z.string().nullable(),
      models: z.record(z.string(), z.object({ inputPer1M: num, cachedInputPer1M: num, outputPer1M: num, source: z.string(), asOf: z.string() })),
    })
    .optional(),
});
/** The whole file. */
export type ResultsFile = z.infer<typeof resultsFileSchema>;
