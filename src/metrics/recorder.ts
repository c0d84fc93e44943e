/**
 * The recorder: listens to the executor, the agent's outcomes and the ledger, and turns one
 * configuration's run into its `ConfigResult` (percentiles, series, costs, quality, SLOs).
 */
import { findModel, type Catalog } from '../provider/catalog.ts';
import type { PromptCacheStats } from '../provider/prompt-cache.ts';
import type { CacheStats, ConfigResult, RoutingStats, SloResult, StepStats, UsageTotals } from '../results/schema.ts';
import type { Configuration } from '../scenario/configurations.ts';
import type { Scenario, SloSpec, WorkersSpec } from '../scenario/schema.ts';
import type { AgentRequest } from '../workload/requests.ts';
import { LatencyHistogram } from './histogram.ts';
import { emptyUsage, type Ledger, type LedgerRow } from './ledger.ts';
import { IntervalCounter, Level } from './timeline.ts';

/** Width of one time-series interval. */
const SERIES_INTERVAL_S = 60;

/** How one agent run ended (what the recorder counts per job). */
export interface JobOutcome {
  ok: boolean;
  correct: boolean;
  /** When the first token of a streamed step reached the user (null: nothing streamed). */
  firstTokenAtMs: number | null;
  calls: number;
}

/** What the recorder needs to know up front. */
export interface RecorderOptions {
  scenario: Scenario;
  slo: SloSpec;
}

/** What the run tells the recorder at the end. */
export interface RunSummary {
  config: Configuration;
  seed: number;
  endMs: number;
  durationHours: number;
  workerHours: number;
  workers: WorkersSpec;
  routing: RoutingStats | null;
  caches: Record<string, CacheStats>;
  promptCache: Map<string, PromptCacheStats>;
  catalog: Catalog;
  ledger: Ledger;
  engine: ConfigResult['engine'];
}

/**
 * Collects one configuration's measurements. It satisfies the executor's ExecutorObserver by shape:
 * metrics sit below the engine and never import it.
 */
export class Recorder {
  private readonly iv = SERIES_INTERVAL_S * 1000;
  private readonly e2e = new LatencyHistogram();
  private readonly queueWait = new LatencyHistogram();
  private readonly ttft = new LatencyHistogram();
  private readonly service = new LatencyHistogram();
  private readonly itl = new LatencyHistogram();
  private readonly tpot = new LatencyHistogram();
  /** Output tokens per second of each LLM call (not ms: the histogram is unit-agnostic). */
  private readonly callTokensPerS = new LatencyHistogram();
  private readonly stepLatency = new Map<string, { kind: LedgerRow['kind']; h: LatencyHistogram }>();
  private readonly arrivals = new IntervalCounter(this.iv);
  private readonly completions = new IntervalCounter(this.iv);
  private readonly cost = new IntervalCounter(this.iv);
  private readonly depth = new Level(this.iv);
  private readonly serving = new Level(this.iv);
  private readonly busy = new Level(this.iv);
  private readonly startedAt = new Map<number, number>();
  private completed = 0;
  private failed = 0;
  private correct = 0;
  private withinLatency = 0;
  private outputTokens = 0;

  constructor(private readonly options: RecorderOptions) {}

  arrived(tMs: number): void {
    this.arrivals.add(tMs);
  }

  queueDepth(tMs: number, depth: number): void {
    this.depth.set(tMs, depth);
  }

  workers(tMs: number, serving: number, busy: number): void {
    if (serving !== this.serving.current) this.serving.set(tMs, serving);
    if (busy !== this.busy.current) this.busy.set(tMs, busy);
  }

  started(jobId: number, tMs: number): void {
    this.startedAt.set(jobId, tMs);
  }

  /** `count` inter-token gaps of `gapMs` (wire as the client's `TokenGapSink`). */
  tokenGap(gapMs: number, count: number): void {
    this.itl.recordCount(gapMs, count);
  }

  /** A ledger row (wire as the ledger's sink). */
  row(row: LedgerRow): void {
    this.cost.add(row.tMs, row.costUsd);
    this.outputTokens += row.outputTokens;
    // answers a model generated (not a cache's): vLLM's tpot needs two tokens to have a gap
    if (row.kind === 'llm' && row.outcome === 'ok' && row.cache === null && row.outputTokens > 0) {
      if (row.outputTokens > 1) this.tpot.record((row.latencyMs - row.ttftMs) / (row.outputTokens - 1));
      if (row.latencyMs > 0) this.callTokensPerS.record(row.outputTokens / (row.latencyMs / 1000));
    }
    let s = this.stepLatency.get(row.step);
    if (s === undefined) this.stepLatency.set(row.step, (s = { kind: row.kind, h: new LatencyHistogram() }));
    s.h.record(row.latencyMs);
  }

  finished(req: AgentRequest, outcome: JobOutcome, endMs: number): void {
    // (a live run may pick a request up just before its arrival time and hold its first call until then)
    const started = Math.max(req.arrivalMs, this.startedAt.get(req.id) ?? req.arrivalMs);
    this.startedAt.delete(req.id);
    this.completions.add(endMs);
    if (!outcome.ok) {
      this.failed++;
      return;
    }
    this.completed++;
    if (outcome.correct) this.correct++;
    const e2e = endMs - req.arrivalMs;
    this.e2e.record(e2e);
    this.queueWait.record(started - req.arrivalMs);
    this.service.record(endMs - started);
    this.ttft.record(outcome.firstTokenAtMs === null ? e2e : outcome.firstTokenAtMs - req.arrivalMs);
    const limit = this.options.slo.requestLatencyMs;
    if (limit === undefined || e2e <= limit) this.withinLatency++;
  }

  /** Builds the configuration's results. */
  result(run: RunSummary): ConfigResult {
    const { endMs } = run;
    for (const l of [this.depth, this.serving, this.busy]) l.flush(endMs);
    const total = this.completed + this.failed;
    const quality = total === 0 ? 0 : this.correct / total;
    const cost = costFigures(run, total);
    const e2e = this.e2e.percentiles();
    const ttft = this.ttft.percentiles();
    const timeSeries = this.timeSeries(endMs);
    const errorRate = total === 0 ? 0 : this.failed / total;
    return {
      name: run.config.name,
      axes: run.config.axes,
      seed: run.seed,
      requests: { total, completed: this.completed, failed: this.failed, correct: this.correct },
      durationHours: run.durationHours,
      latencyMs: {
        e2e,
        queueWait: this.queueWait.percentiles(),
        ttft,
        service: this.service.percentiles(),
        itl: this.itl.percentiles(),
        tpot: this.tpot.percentiles(),
      },
      cdf: { e2e: this.e2e.cdf(), ttft: this.ttft.cdf(), queueWait: this.queueWait.cdf() },
      throughput: {
        meanRps: total / (run.durationHours * 3600),
        peakRps: Math.max(0, ...timeSeries.arrivalRps),
        tokensPerS: this.outputTokens / Math.max(1, endMs / 1000),
        outputTokensPerS: { aggregate: this.outputTokens / Math.max(1, endMs / 1000), perRequest: this.callTokensPerS.percentiles() },
      },
      cost,
      quality: { share: quality, correct: this.correct, total },
      workers: this.workerFigures(run, timeSeries.workers),
      slo: sloResult(
        this.options.slo,
        { e2eP95: e2e.p95, ttftP95: ttft.p95, quality, perDayUsd: cost.perDayUsd, errorRate },
        total === 0 ? 1 : this.withinLatency / total,
      ),
      steps: this.stepFigures(run),
      routing: run.routing,
      caches: cacheFigures(run),
      timeSeries,
      engine: run.engine,
    };
  }

  /** Latency and usage of each step. */
  private stepFigures(run: RunSummary): Record<string, StepStats> {
    const steps: Record<string, StepStats> = {};
    for (const [name, s] of this.stepLatency) {
      steps[name] = { kind: s.kind, calls: s.h.count, latencyMs: s.h.percentiles(), usage: run.ledger.byStep.get(name) ?? emptyUsage() };
    }
    return steps;
  }

  /** The per-interval series, one value per minute of the run (levels time-weighted). */
  private timeSeries(endMs: number): ConfigResult['timeSeries'] {
    const n = Math.max(this.arrivals.values.length, Math.ceil(endMs / this.iv), 1);
    const series = (arr: number[], f = (v: number) => v) => Array.from({ length: n }, (_, i) => f(arr[i] ?? 0));
    const ivS = SERIES_INTERVAL_S;
    const level = (l: Level) => series(l.integral, (v) => v / this.iv);
    const servingMean = level(this.serving);
    const busyMean = level(this.busy);
    return {
      intervalS: ivS,
      tS: Array.from({ length: n }, (_, i) => i * ivS),
      arrivals: series(this.arrivals.values),
      completions: series(this.completions.values),
      arrivalRps: series(this.arrivals.values, (v) => v / ivS),
      completionRps: series(this.completions.values, (v) => v / ivS),
      queueDepthMean: level(this.depth),
      queueDepthMax: series(this.depth.max),
      workers: servingMean,
      utilization: busyMean.map((b, i) => (servingMean[i]! > 0 ? b / servingMean[i]! : 0)),
      costUsd: series(this.cost.values),
    };
  }

  /** Serving workers over the run: mean, max, min (over the run's own minutes), utilization. */
  private workerFigures(run: RunSummary, servingMean: number[]): ConfigResult['workers'] {
    const busyTotal = this.busy.total();
    const servingTotal = this.serving.total();
    const servingLevels = servingMean.slice(0, Math.max(1, Math.ceil(run.endMs / this.iv)));
    return {
      mean: servingTotal / Math.max(1, run.endMs),
      max: Math.max(0, ...this.serving.max),
      min: Math.min(...servingLevels),
      utilization: servingTotal === 0 ? 0 : busyTotal / servingTotal,
      workerHours: run.workerHours,
    };
  }
}

/** Costs per request, period, day and month; by model and by step (per day, with the period's dollars beside them). */
function costFigures(run: RunSummary, total: number): ConfigResult['cost'] {
  const perDay = 24 / run.durationHours;
  // calls and tokens stay the period's; costUsd is per day like every cost table, and the period's dollars sit beside it, labelled
  const dayScale = (u: UsageTotals): UsageTotals => ({ ...u, costUsd: u.costUsd * perDay, periodCostUsd: u.costUsd });
  const byModel = Object.fromEntries([...run.ledger.byModel].map(([k, v]) => [k, dayScale(v)]));
  const byStep = Object.fromEntries([...run.ledger.byStep].map(([k, v]) => [k, dayScale(v)]));
  const callsPerDay = run.ledger.total.costUsd * perDay;
  const workersPerDayUsd = run.workerHours * run.workers.costPerHourUsd * perDay;
  const perDayUsd = callsPerDay + workersPerDayUsd;
  const top = Object.entries(byStep).sort((a, b) => b[1].costUsd - a[1].costUsd)[0];
  return {
    perRequestUsd: total === 0 ? 0 : perDayUsd / perDay / total,
    perPeriodUsd: perDayUsd / perDay,
    periodHours: run.durationHours,
    perDayUsd,
    perMonthUsd: perDayUsd * 30,
    workersPerDayUsd,
    byModel,
    byStep,
    topStep: top === undefined || callsPerDay === 0 ? null : { step: top[0], share: top[1].costUsd / callsPerDay, costPerDayUsd: top[1].costUsd },
  };
}

/** The strategies' caches and each model's provider prompt cache, savings per day. */
function cacheFigures(run: RunSummary): Record<string, CacheStats> {
  const perDay = 24 / run.durationHours;
  const caches: Record<string, CacheStats> = { ...run.caches };
  for (const [model, pc] of run.promptCache) {
    caches[`prompt:${model}`] = {
      kind: 'prompt',
      step: '(all steps)',
      key: `${model}: the longest prompt prefix sent before (the system prompt; the whole prompt for a repeated question), at least ${findModel(run.catalog, model)?.promptCaching?.minPrefixTokens ?? 0} tokens`,
      value: 'the provider-side KV cache (billed at the cached-input price)',
      lookups: pc.lookups,
      hits: pc.hits,
      misses: pc.lookups - pc.hits,
      hitRate: pc.lookups === 0 ? 0 : pc.hits / pc.lookups,
      falseHits: 0,
      precision: 1,
      staleHits: 0,
      staleRate: 0,
      evictions: 0,
      savedUsd: pc.savedUsd * perDay,
    };
  }
  for (const c of Object.values(caches)) if (c.kind !== 'prompt') c.savedUsd *= perDay;
  return caches;
}

/** Checks each SLO target against the observed figures. */
export function sloResult(
  slo: SloSpec,
  observed: { e2eP95: number; ttftP95: number; quality: number; perDayUsd: number; errorRate: number },
  goodput: number,
): SloResult {
  const checks: SloResult['checks'] = [];
  if (slo.e2eP95Ms !== undefined)
    checks.push({ metric: 'e2e p95 (ms)', target: slo.e2eP95Ms, observed: observed.e2eP95, met: observed.e2eP95 <= slo.e2eP95Ms });
  if (slo.ttftP95Ms !== undefined)
    checks.push({ metric: 'TTFT p95 (ms)', target: slo.ttftP95Ms, observed: observed.ttftP95, met: observed.ttftP95 <= slo.ttftP95Ms });
  if (slo.minQuality !== undefined)
    checks.push({ metric: 'quality', target: slo.minQuality, observed: observed.quality, met: observed.quality >= slo.minQuality });
  if (slo.maxCostPerDayUsd !== undefined) {
    checks.push({ metric: 'cost/day (USD)', target: slo.maxCostPerDayUsd, observed: observed.perDayUsd, met: observed.perDayUsd <= slo.maxCostPerDayUsd });
  }
  if (slo.maxErrorRate !== undefined) {
    checks.push({ metric: 'error rate', target: slo.maxErrorRate, observed: observed.errorRate, met: observed.errorRate <= slo.maxErrorRate });
  }
  return { targets: { ...slo }, checks, meetsAll: checks.every((c) => c.met), goodput };
}
