/**
 * results.json: the contract between `bench run` and everything that reads a run (`report`,
 * `compare`, `gate`). Readers depend on these types only, never on the engine.
 */

/** Bumped on any change a reader must know about; runs of different versions are not compared. */
export const RESULTS_SCHEMA_VERSION = 1;
/** The `kind` tag every results file carries. */
export const RESULTS_KIND = 'llm-scale-bench/results';

/** Percentiles of one latency distribution, in milliseconds, from an HDR histogram. */
export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** Points of an empirical CDF: `[valueMs, fractionAtOrBelow]`, increasing in both. */
export type CdfPoints = Array<[number, number]>;

/** Tokens, calls and dollars for one slice of the ledger (a model, a step, a whole run). */
export interface UsageTotals {
  calls: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Calls answered from a cache of ours (no tokens billed). */
  cacheHits: number;
}

/** One per-minute (by default) series over the simulated day; every array has one entry per interval. */
export interface TimeSeries {
  intervalS: number;
  /** Start of each interval, seconds since the start of the simulated day. */
  tS: number[];
  arrivals: number[];
  completions: number[];
  /** Arrivals per second, averaged over the interval. */
  arrivalRps: number[];
  /** Completions per second, averaged over the interval. */
  completionRps: number[];
  /** Jobs waiting in the queue: time-weighted mean and maximum over the interval. */
  queueDepthMean: number[];
  queueDepthMax: number[];
  /** Workers able to serve (cold starts excluded), time-weighted mean over the interval. */
  workers: number[];
  /** Busy share of serving workers over the interval, 0–1. */
  utilization: number[];
  /** LLM and tool spend in the interval (worker cost excluded). */
  costUsd: number[];
}

/** Hit/miss accounting of one cache. */
export interface CacheStats {
  /** Cache kind: exact request, semantic, embedding, tool output or provider prompt cache. */
  kind: 'exact' | 'semantic' | 'embedding' | 'tool' | 'prompt';
  /** Step whose calls the cache serves. */
  step: string;
  /** What the key is made of, in words (for the findings). */
  key: string;
  /** What the value is, in words. */
  value: string;
  lookups: number;
  hits: number;
  misses: number;
  hitRate: number;
  /** Semantic cache: hits that served an answer to another intent. */
  falseHits: number;
  /** Hits that were right: (hits − falseHits) / hits; 1 when no hits. */
  precision: number;
  /** Tool cache: hits that served a value that had changed at the source. */
  staleHits: number;
  staleRate: number;
  /** Entries evicted by the LRU capacity. */
  evictions: number;
  /** Dollars per day the hits did not spend (the price of the calls they replaced), scaled to 24 h like the cost tables. */
  savedUsd: number;
}

/** What the routing strategy did. */
export interface RoutingStats {
  /** The routing strategy's label, e.g. `cascade(gpt-4o-mini→gpt-4o, 0.7)`. */
  strategy: string;
  /** Calls per model on routed steps. */
  callsByModel: Record<string, number>;
  /** Share of routed requests sent up to the strong model (cascade escalations, router picks). */
  strongCallShare: number;
  /** The strategy's strong model (cascade and router: the large one; single and fallback: none). */
  strongModel?: string | null;
  /** Cascade only: share of requests whose small-model answer was escalated. */
  escalationRate: number;
  /** Fallback only: calls retried or moved to another model after a 429/5xx/timeout. */
  retries: number;
  fallbacks: number;
}

/** Per-step figures. */
export interface StepStats {
  kind: 'llm' | 'embedding' | 'tool';
  calls: number;
  latencyMs: Percentiles;
  usage: UsageTotals;
}

/** A service-level objective and how the configuration did against it. */
export interface SloResult {
  targets: {
    e2eP95Ms?: number;
    ttftP95Ms?: number;
    minQuality?: number;
    maxCostPerDayUsd?: number;
    /** A request counts toward goodput when its latency is at or below this. */
    requestLatencyMs?: number;
    /** Share of requests allowed to fail. */
    maxErrorRate?: number;
  };
  /** One entry per target: the observed value and whether it met the target. */
  checks: Array<{ metric: string; target: number; observed: number; met: boolean }>;
  meetsAll: boolean;
  /** Share of all requests that completed (and, when `requestLatencyMs` is set, within it). */
  goodput: number;
}

/** Everything measured for one configuration of the sweep. */
export interface ConfigResult {
  /** Stable name built from the axis choices, e.g. `routing=cascade workers=16`; matched across runs. */
  name: string;
  /** The choice of each sweep axis. */
  axes: Record<string, string>;
  seed: number;
  requests: { total: number; completed: number; failed: number; correct: number };
  /** Simulated (or measured) duration, hours. */
  durationHours: number;
  latencyMs: {
    /** Arrival to last byte of the answer. */
    e2e: Percentiles;
    /** Arrival to a worker picking the job up. */
    queueWait: Percentiles;
    /** Arrival to the first token of the answer reaching the user (= e2e when not streamed). */
    ttft: Percentiles;
    /** Worker pick-up to answer (the service time). */
    service: Percentiles;
    /**
     * Inter-token latency: the gaps between consecutive content tokens of every answer, all
     * tokens pooled (vLLM bench serve's `itl`). Absent in results written before it existed.
     */
    itl?: Percentiles;
    /**
     * Time per output token, one value per LLM call with ≥ 2 output tokens:
     * (latency − TTFT) / (output tokens − 1) (vLLM bench serve's `tpot`, GuideLLM's inter-token latency).
     */
    tpot?: Percentiles;
  };
  cdf: { e2e: CdfPoints; ttft: CdfPoints; queueWait: CdfPoints };
  throughput: {
    meanRps: number;
    peakRps: number;
    tokensPerS: number;
    /**
     * Output tokens per second: `perRequest` one value per LLM call (output tokens ÷ call latency,
     * GuideLLM's per-request output tokens/s); `aggregate` all output tokens ÷ the run's duration
     * (vLLM bench serve's output throughput).
     */
    outputTokensPerS?: { aggregate: number; perRequest: Percentiles };
  };
  cost: {
    perRequestUsd: number;
    perDayUsd: number;
    perMonthUsd: number;
    /** Worker-hours priced at the scenario's cost per worker-hour, per day (included in perDayUsd). */
    workersPerDayUsd: number;
    /** Per-day LLM/embedding/tool spend by model (tool calls under `tool:<step>`). */
    byModel: Record<string, UsageTotals>;
    /** Per-day spend by workflow step. */
    byStep: Record<string, UsageTotals>;
    /** The step with the highest cost and its share of the day's call spend. */
    topStep: { step: string; share: number; costPerDayUsd: number } | null;
  };
  quality: { share: number; correct: number; total: number };
  workers: { mean: number; max: number; min: number; utilization: number; workerHours: number };
  slo: SloResult;
  steps: Record<string, StepStats>;
  routing: RoutingStats | null;
  caches: Record<string, CacheStats>;
  timeSeries: TimeSeries;
  /** The simulator's own speed: wall time, requests, calls (ledger rows) and events processed. */
  engine: { wallMs: number; simulatedRequests: number; simulatedCalls: number; events?: number };
  /** Live runs only: where the calls went, the time scale, and how late requests were sent. */
  live?: {
    target: string;
    timeScale: number;
    /** Actual − intended send time, scenario milliseconds. */
    sendLagMs: Percentiles;
    warnings: string[];
    /** Runs on BullMQ workers (`--redis`): the queue, and jobs run again after their worker died mid-job. */
    queue?: { name: string; retriedJobs: number };
  };
  /** Headline figures of each replication (one seed each) when the run was replicated: the noise the gate measures. */
  replicates?: Array<{ seed: number; metrics: HeadlineMetrics }>;
}

/** The figures a summary table, `compare` and `gate` look at, flattened for one configuration. */
export interface HeadlineMetrics {
  costPerDayUsd: number;
  costPerRequestUsd: number;
  e2eP50Ms: number;
  e2eP95Ms: number;
  e2eP99Ms: number;
  ttftP50Ms: number;
  ttftP95Ms: number;
  queueWaitP95Ms: number;
  quality: number;
  errorRate: number;
  peakRps: number;
  /** Inter-token latency p95; absent in results written before it existed. */
  itlP95Ms?: number;
  /** Time per output token p95; absent in results written before it existed. */
  tpotP95Ms?: number;
  /** Aggregate output tokens per second; absent in results written before it existed. */
  outputTokensPerS?: number;
}

/** Facts about where the run happened, so two runs can be judged comparable. */
export interface MachineFacts {
  node: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  totalMemGiB: number;
}

/** What a finding is about. */
export type FindingKind = 'headline' | 'slo-gap' | 'choice' | 'top-step' | 'hint' | 'interrupted' | 'empty';
/** How much a finding asks of the reader: act now, a recommendation, or context. */
export type FindingSeverity = 'critical' | 'warning' | 'recommendation' | 'info';

/** One finding of a run, in words and in the figures and configurations it rests on. */
export interface Finding {
  /** Stable within a run (e.g. `headline`, `choice:workers`), so compare and gate can match findings. */
  id: string;
  kind: FindingKind;
  severity: FindingSeverity;
  /** One or two sentences that include the supporting numbers. */
  text: string;
  /** The configurations (exact names) and figures (unit in the key) the text rests on. */
  evidence: { configs: string[]; figures: Record<string, number> };
  /** Present when the finding recommends a configuration: its exact name and the setting that matters. */
  recommend?: { config: string; setting?: string };
  /** Dollars a month the finding is worth at equal or better SLOs: the order findings are read in. */
  impactPerMonthUsd?: number;
}

/** The whole file. */
export interface ResultsFile {
  kind: typeof RESULTS_KIND;
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  createdAt: string;
  mode: 'sim' | 'live';
  scenario: {
    name: string;
    description: string;
    /** Path of the scenario file as given on the command line. */
    file: string;
    /** The resolved, JSON-safe scenario (strategies as their descriptions). */
    config: unknown;
    /** Hash of the resolved config: equal hashes mean the same scenario. */
    configHash: string;
  };
  seed: number;
  /** Seeds of replications, when the run was replicated (gate). */
  replications: number;
  code: { version: string; gitCommit: string | null };
  machine: MachineFacts;
  /** SLO targets of the scenario. */
  slo: SloResult['targets'];
  configurations: ConfigResult[];
  /** Configurations of the sweep that did not finish (interrupted run), by name. */
  missing: string[];
  /** What the run says, most important first; absent in files written before findings were data. */
  findings?: Finding[];
  /** The trace replayed instead of the scenario's traffic (`bench run --trace`). */
  trace?: TraceRecord;
}

/** What a traced run replayed, and how its per-day figures were extrapolated. */
export interface TraceRecord {
  file: string;
  format: string;
  requests: number;
  /** Bad rows skipped while reading. */
  badRows: number;
  /** Scenario hours the replay lasted (the trace's span at `speed`). */
  durationHours: number;
  /** Trace time per scenario time. */
  speed: number;
  requestsPerDay: number;
  /** The sentence the summary prints. */
  note: string;
}
