/**
 * The findings of a run, computed from results.json: the most expensive step, the best caching
 * candidate, a routing proposal and the cheapest configuration that meets the SLOs. Each comes as
 * data (for tests and other renderers) and as one sentence (for the report's opening paragraph).
 */
import { headlineMetrics } from '../results/headline.ts';
import type { CacheStats, ConfigResult, HeadlineMetrics, ResultsFile, SloResult } from '../results/schema.ts';
import { METRIC_LABEL, formatMetric, formatMs, formatNumber, formatPct, formatUsd } from './format.ts';

/** The step with the highest spend in the reference configuration. */
export interface TopStepFinding {
  config: string;
  step: string;
  /** Share of the configuration's call spend (workers excluded), 0–1. */
  share: number;
  costPerDayUsd: number;
  /** In how many configurations this step is also the most expensive. */
  topInConfigs: number;
  configs: number;
}

/** The cache whose hits save the most while serving right answers. */
export interface CachingFinding {
  config: string;
  cache: string;
  kind: CacheStats['kind'];
  step: string;
  key: string;
  value: string;
  hitRate: number;
  precision: number;
  staleRate: number;
  savedPerDayUsd: number;
  /** Saving as a share of what the configuration's calls would have cost without the hits. */
  savedShare: number;
  /** False when even the best cache serves more than 5% wrong or stale answers. */
  trustworthy: boolean;
}

/** One routing alternative measured against the baseline of its group. */
export interface RoutingOption {
  config: string;
  strategy: string;
  costPerDayUsd: number;
  quality: number;
  strongCallShare: number;
  savedPerDayUsd: number;
  /** Quality lost against the baseline (baseline − option), as a share (0.02 = 2 pp). */
  qualityCost: number;
  acceptable: boolean;
}

/** The routing proposal: which strategy to use instead of the baseline, on which steps. */
export interface RoutingFinding {
  /** The sweep axis that changes the routing strategy. */
  axis: string;
  /** The other axes, fixed, that the comparison holds (e.g. `cache=exact`). */
  fixed: Record<string, string>;
  baseline: { config: string; strategy: string; costPerDayUsd: number; quality: number };
  /** The cheapest acceptable option, or null when none saves money at an acceptable quality. */
  proposal: RoutingOption | null;
  /** Options that save money but lose too much quality. */
  rejected: RoutingOption[];
  /** Steps whose spend changes between baseline and proposal: the steps routing moves. */
  steps: string[];
  /** The quality floor used: the SLO's minQuality, or 1 pp below the baseline. */
  qualityFloor: number;
  /** SLO checks the proposal's configuration fails (empty when it meets them all); no other group did better. */
  proposalMisses: SloResult['checks'];
}

/** How the sweep did against the SLOs. */
export type SloFinding =
  | { verdict: 'met'; config: string; costPerDayUsd: number; meeting: number; configs: number }
  | { verdict: 'none-met'; closest: string; failed: SloResult['checks']; configs: number }
  | { verdict: 'no-slo'; cheapest: string; costPerDayUsd: number }
  | { verdict: 'empty' };

/** A topic of the findings and its sentence. */
export interface FindingSentence {
  topic: 'slo' | 'cost' | 'caching' | 'routing';
  text: string;
}

/** Everything the report says about a run. */
export interface Findings {
  /** The configuration the cost and caching findings describe: the SLO pick, or the closest/cheapest. */
  reference: string | null;
  slo: SloFinding;
  topStep: TopStepFinding | null;
  caching: CachingFinding | null;
  routing: RoutingFinding | null;
  sentences: FindingSentence[];
  /** The sentences as one paragraph: "what this run says". */
  summary: string;
}

/** A cache is trusted when at most this share of its hits are wrong or stale. */
const TRUSTED_ERROR_SHARE = 0.05;
/** A share with enough decimals not to print equal to the floor it misses (84.96% is not "85.0%, below 85.0%"). */
function distinctPct(share: number, floor: number | undefined): string {
  let digits = 1;
  while (floor !== undefined && digits < 4 && share !== floor && formatPct(share, digits) === formatPct(floor, digits)) digits++;
  return formatPct(share, digits);
}

/** Without a quality SLO, routing may lose at most this much quality (1 pp). */
const DEFAULT_QUALITY_TOLERANCE = 0.01;

const KNOWN_METRICS = new Set(Object.keys(METRIC_LABEL));

/**
 * Formats an SLO check's value with the unit its metric name implies. The schema leaves
 * `checks[].metric` free text (the engine writes labels like "e2e p95 (ms)"), so the unit is read
 * from the name: a headline key, or a label mentioning ms, cost/USD, or a share.
 */
function formatCheckValue(metric: string, value: number): string {
  if (KNOWN_METRICS.has(metric)) return formatMetric(metric as keyof HeadlineMetrics, value);
  if (/\bms\b|Ms$/.test(metric)) return formatMs(value);
  if (/cost|usd|\$/i.test(metric)) return formatUsd(value);
  if (/quality|goodput|rate|share/i.test(metric)) return formatPct(value);
  return formatNumber(value, 4);
}

/** A check's metric in words; a trailing unit like " (ms)" is dropped since values carry units. */
function checkLabel(metric: string): string {
  return KNOWN_METRICS.has(metric) ? METRIC_LABEL[metric as keyof HeadlineMetrics] : metric.replace(/\s*\([^)]*\)$/, '');
}

function describeFailed(checks: SloResult['checks']): string {
  return checks
    .map((c) => `${checkLabel(c.metric)} (${formatCheckValue(c.metric, c.observed)} against a target of ${formatCheckValue(c.metric, c.target)})`)
    .join(', ');
}

/** Sum of relative misses of failed checks: how far a configuration is from meeting its SLOs. */
function shortfall(config: ConfigResult): number {
  return config.slo.checks
    .filter((c) => !c.met)
    .reduce((sum, c) => sum + Math.abs(c.observed - c.target) / (Math.abs(c.target) || 1), 0);
}

function sloFinding(configs: readonly ConfigResult[]): SloFinding {
  if (configs.length === 0) return { verdict: 'empty' };
  const byCost = [...configs].sort((a, b) => a.cost.perDayUsd - b.cost.perDayUsd);
  if (configs.every((c) => c.slo.checks.length === 0)) {
    return { verdict: 'no-slo', cheapest: byCost[0].name, costPerDayUsd: byCost[0].cost.perDayUsd };
  }
  const meeting = byCost.filter((c) => c.slo.meetsAll);
  if (meeting.length > 0) {
    return { verdict: 'met', config: meeting[0].name, costPerDayUsd: meeting[0].cost.perDayUsd, meeting: meeting.length, configs: configs.length };
  }
  const closest = [...byCost].sort((a, b) => {
    const failedA = a.slo.checks.filter((c) => !c.met).length;
    const failedB = b.slo.checks.filter((c) => !c.met).length;
    return failedA - failedB || shortfall(a) - shortfall(b);
  })[0];
  return { verdict: 'none-met', closest: closest.name, failed: closest.slo.checks.filter((c) => !c.met), configs: configs.length };
}

function sloSentence(slo: SloFinding, configs: readonly ConfigResult[]): string {
  switch (slo.verdict) {
    case 'empty':
      return 'The run holds no finished configuration, so there is nothing to report.';
    case 'no-slo':
      return `The scenario sets no SLOs; the cheapest of ${configs.length} configuration${configs.length === 1 ? '' : 's'} is ${slo.cheapest} at ${formatUsd(slo.costPerDayUsd)} a day.`;
    case 'met': {
      const c = configs.find((x) => x.name === slo.config)!;
      const h = headlineMetrics(c);
      return (
        `The cheapest configuration that meets every SLO is ${slo.config} at ${formatUsd(slo.costPerDayUsd)} a day ` +
        `(e2e p95 ${formatMetric('e2eP95Ms', h.e2eP95Ms)}, quality ${formatPct(h.quality)}); ` +
        `${slo.meeting} of ${slo.configs} configurations ${slo.meeting === 1 ? 'meets' : 'meet'} them all.`
      );
    }
    case 'none-met':
      return `No configuration meets every SLO; the closest is ${slo.closest}, which misses ${describeFailed(slo.failed)}.`;
  }
}

function referenceOf(slo: SloFinding): string | null {
  switch (slo.verdict) {
    case 'met':
      return slo.config;
    case 'none-met':
      return slo.closest;
    case 'no-slo':
      return slo.cheapest;
    case 'empty':
      return null;
  }
}

function callSpend(config: ConfigResult): number {
  return Object.values(config.cost.byStep).reduce((sum, u) => sum + u.costUsd, 0);
}

function topStepFinding(reference: ConfigResult, configs: readonly ConfigResult[]): TopStepFinding | null {
  const top = reference.cost.topStep;
  if (!top) return null;
  return {
    config: reference.name,
    step: top.step,
    share: top.share,
    costPerDayUsd: top.costPerDayUsd,
    topInConfigs: configs.filter((c) => c.cost.topStep?.step === top.step).length,
    configs: configs.length,
  };
}

function topStepSentence(f: TopStepFinding | null, reference: string | null): string {
  if (!f) return reference === null ? '' : `No step of ${reference} spent anything, so there is no most expensive step.`;
  const everywhere = f.configs > 1 ? ` It is the most expensive step in ${f.topInConfigs} of ${f.configs} configurations.` : '';
  return `The most expensive step is ${f.step}: ${formatPct(f.share)} of call spend (${formatUsd(f.costPerDayUsd)} a day) in ${f.config}.${everywhere}`;
}

function cachingFinding(reference: ConfigResult, configs: readonly ConfigResult[]): CachingFinding | null {
  // Judge the reference configuration's caches; when it has none, the best of the whole sweep.
  const pool = Object.keys(reference.caches).length > 0 ? [reference] : configs;
  const candidates: CachingFinding[] = [];
  for (const config of pool) {
    // results.json keeps cost tables and cache savings per day already
    const spend = callSpend(config);
    for (const [name, cache] of Object.entries(config.caches)) {
      const savedPerDayUsd = cache.savedUsd;
      const wrongShare = 1 - cache.precision + cache.staleRate;
      candidates.push({
        config: config.name,
        cache: name,
        kind: cache.kind,
        step: cache.step,
        key: cache.key,
        value: cache.value,
        hitRate: cache.hitRate,
        precision: cache.precision,
        staleRate: cache.staleRate,
        savedPerDayUsd,
        savedShare: spend + savedPerDayUsd === 0 ? 0 : savedPerDayUsd / (spend + savedPerDayUsd),
        trustworthy: wrongShare <= TRUSTED_ERROR_SHARE,
      });
    }
  }
  if (candidates.length === 0) return null;
  candidates.sort((a, b) => Number(b.trustworthy) - Number(a.trustworthy) || b.savedPerDayUsd - a.savedPerDayUsd);
  return candidates[0];
}

function cachingSentence(f: CachingFinding | null): string {
  if (!f) return 'No caches were in this run, so there is no measured caching candidate; sweep a cache on the most expensive step to find one.';
  const quality = f.kind === 'tool' ? `${formatPct(f.staleRate)} stale` : `${formatPct(f.precision)} precision`;
  const warning = f.trustworthy ? '' : ' Beware: more than 5% of its hits are wrong or stale.';
  // Engines may name a cache that spans steps "(all steps)"; read it as a place, not a step name.
  const where = /^\(.*\)$/.test(f.step) ? f.step.slice(1, -1) : `step ${f.step}`;
  return (
    `The best caching candidate is ${/^[aeiou]/.test(f.kind) ? 'an' : 'a'} ${f.kind} cache on ${where} (key: ${f.key}; value: ${f.value}), with ` +
    `${formatPct(f.hitRate)} hit rate and ${quality}, saving ${formatUsd(f.savedPerDayUsd)} a day ` +
    `(${formatPct(f.savedShare)} of call spend) in ${f.config}.${warning}`
  );
}

const strategyOf = (c: ConfigResult): string => c.routing?.strategy ?? 'no routing';

/** The sweep axis that changes the routing strategy when it alone changes, or null. */
function routingAxis(configs: readonly ConfigResult[]): string | null {
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c.axes)))];
  keys.sort((a, b) => Number(/rout|cascade|model/i.test(b)) - Number(/rout|cascade|model/i.test(a)));
  for (const key of keys) {
    for (const a of configs) {
      for (const b of configs) {
        if (a === b || a.axes[key] === b.axes[key]) continue;
        const othersEqual = keys.every((k) => k === key || a.axes[k] === b.axes[k]);
        if (othersEqual && strategyOf(a) !== strategyOf(b)) return key;
      }
    }
  }
  return null;
}

/** The routing comparison within one group of configurations that differ only in routing. */
function routingInGroup(group: readonly ConfigResult[], axis: string, fixed: Record<string, string>, minQuality: number | undefined): RoutingFinding {
  const baseline = [...group].sort(
    (a, b) => b.quality.share - a.quality.share || (b.routing?.strongCallShare ?? 1) - (a.routing?.strongCallShare ?? 1),
  )[0];
  const qualityFloor = minQuality ?? baseline.quality.share - DEFAULT_QUALITY_TOLERANCE;
  const options: RoutingOption[] = group
    .filter((c) => c !== baseline && c.cost.perDayUsd < baseline.cost.perDayUsd)
    .map((c) => ({
      config: c.name,
      strategy: strategyOf(c),
      costPerDayUsd: c.cost.perDayUsd,
      quality: c.quality.share,
      strongCallShare: c.routing?.strongCallShare ?? 0,
      savedPerDayUsd: baseline.cost.perDayUsd - c.cost.perDayUsd,
      qualityCost: baseline.quality.share - c.quality.share,
      // A tiny epsilon so a quality exactly at the floor counts as meeting it.
      acceptable: c.quality.share >= qualityFloor - 1e-12,
    }))
    .sort((a, b) => a.costPerDayUsd - b.costPerDayUsd);
  // Prefer the cheapest acceptable option that meets every SLO; else the cheapest acceptable one.
  const meetsAll = new Set(group.filter((c) => c.slo.meetsAll).map((c) => c.name));
  const proposal = options.find((o) => o.acceptable && meetsAll.has(o.config)) ?? options.find((o) => o.acceptable) ?? null;
  const rejected = options.filter((o) => !o.acceptable);
  const steps: string[] = [];
  let proposalMisses: SloResult['checks'] = [];
  if (proposal) {
    const chosen = group.find((c) => c.name === proposal.config)!;
    proposalMisses = chosen.slo.checks.filter((c) => !c.met);
    const names = new Set([...Object.keys(baseline.cost.byStep), ...Object.keys(chosen.cost.byStep)]);
    for (const step of names) {
      const before = baseline.cost.byStep[step]?.costUsd ?? 0;
      const after = chosen.cost.byStep[step]?.costUsd ?? 0;
      if (Math.abs(after - before) > 0.01 * Math.max(Math.abs(before), Math.abs(after))) steps.push(step);
    }
  }
  return {
    axis,
    fixed,
    baseline: { config: baseline.name, strategy: strategyOf(baseline), costPerDayUsd: baseline.cost.perDayUsd, quality: baseline.quality.share },
    proposal,
    rejected,
    steps,
    qualityFloor,
    proposalMisses,
  };
}

/**
 * The routing proposal. Configurations are grouped by their other axes (e.g. workers=8); the
 * reference configuration's group is used when its proposal meets every SLO, else the group whose
 * proposal meets them and saves most, else the reference group (with the SLOs it misses).
 */
function routingFinding(reference: ConfigResult, configs: readonly ConfigResult[], minQuality: number | undefined): RoutingFinding | null {
  const axis = routingAxis(configs);
  if (axis === null) return null;
  const fixedKeys = Object.keys(reference.axes).filter((k) => k !== axis);
  const groups = new Map<string, ConfigResult[]>();
  for (const c of configs) {
    const key = JSON.stringify(fixedKeys.map((k) => c.axes[k]));
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const referenceKey = JSON.stringify(fixedKeys.map((k) => reference.axes[k]));
  const analyses = [...groups.entries()].map(([key, group]) => ({
    key,
    finding: routingInGroup(group, axis, Object.fromEntries(fixedKeys.map((k) => [k, group[0].axes[k]])), minQuality),
  }));
  const meets = (f: RoutingFinding): boolean => f.proposal !== null && f.proposalMisses.length === 0;
  const own = analyses.find((a) => a.key === referenceKey)!.finding;
  if (meets(own)) return own;
  const elsewhere = analyses
    .map((a) => a.finding)
    .filter(meets)
    .sort((a, b) => b.proposal!.savedPerDayUsd - a.proposal!.savedPerDayUsd)[0];
  return elsewhere ?? own;
}

function routingSentence(f: RoutingFinding | null, configs: readonly ConfigResult[], minQuality: number | undefined): string {
  if (!f) {
    const strategies = [...new Set(configs.map(strategyOf))];
    if (strategies.length === 1 && strategies[0] !== 'no routing') {
      return `Only one routing strategy ran (${strategies[0]}); sweep a routing axis to see what a cascade or router would save.`;
    }
    return 'The sweep does not vary routing, so there is no routing proposal; add a routing axis (single, cascade, router) to get one.';
  }
  const held = Object.keys(f.fixed).length > 0 ? ` (holding ${Object.entries(f.fixed).map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
  const keeping = minQuality !== undefined ? `at or above the ${formatPct(minQuality)} quality SLO` : `within 1 pp of ${f.baseline.strategy}`;
  const below = minQuality !== undefined ? `below the ${formatPct(minQuality)} quality SLO` : `more than 1 pp below ${f.baseline.strategy}`;
  const rejected = f.rejected
    .map((r) => ` ${r.strategy} would save ${formatUsd(r.savedPerDayUsd)} a day but quality falls to ${distinctPct(r.quality, minQuality)}, ${below}.`)
    .join('');
  if (!f.proposal) {
    return `Routing: no strategy is cheaper than ${f.baseline.strategy}${held} while keeping quality ${keeping}.${rejected}`;
  }
  const p = f.proposal;
  const pct = f.baseline.costPerDayUsd === 0 ? 0 : p.savedPerDayUsd / f.baseline.costPerDayUsd;
  const steps = f.steps.length > 0 ? ` on step${f.steps.length > 1 ? 's' : ''} ${f.steps.join(', ')}` : '';
  const qualityCost =
    p.qualityCost > 0
      ? `a quality cost of ${(p.qualityCost * 100).toFixed(1)} pp (${formatPct(f.baseline.quality)} → ${formatPct(p.quality)})`
      : `no loss of quality (${formatPct(p.quality)})`;
  const fixedText = Object.entries(f.fixed).map(([k, v]) => `${k}=${v}`).join(', ');
  const misses =
    f.proposalMisses.length === 0
      ? ''
      : fixedText === ''
        ? ` But it misses ${describeFailed(f.proposalMisses)}.`
        : ` But with ${fixedText} it misses ${describeFailed(f.proposalMisses)}; no cheaper routing meets every SLO at any tested ${Object.keys(f.fixed).join(' and ')}.`;
  return (
    `Routing proposal: use ${p.strategy} instead of ${f.baseline.strategy}${steps}${held}; ` +
    `${formatPct(1 - p.strongCallShare)} of routed requests stay on the small model, saving ${formatUsd(p.savedPerDayUsd)} a day (${formatPct(pct)}) ` +
    `at ${qualityCost}.${misses}${rejected}`
  );
}

/** Computes the findings of a run: structured data plus the sentences of "what this run says". */
export function findings(results: ResultsFile): Findings {
  const configs = results.configurations;
  const slo = sloFinding(configs);
  const reference = referenceOf(slo);
  const ref = configs.find((c) => c.name === reference);
  const topStep = ref ? topStepFinding(ref, configs) : null;
  const caching = ref ? cachingFinding(ref, configs) : null;
  const routing = ref ? routingFinding(ref, configs, results.slo.minQuality) : null;
  const sentences: FindingSentence[] = [{ topic: 'slo', text: sloSentence(slo, configs) }];
  if (ref) {
    sentences.push({ topic: 'cost', text: topStepSentence(topStep, reference) });
    sentences.push({ topic: 'caching', text: cachingSentence(caching) });
    sentences.push({ topic: 'routing', text: routingSentence(routing, configs, results.slo.minQuality) });
  }
  if (results.missing.length > 0) {
    sentences.push({
      topic: 'slo',
      text: `The run was interrupted: ${results.missing.length} configuration${results.missing.length === 1 ? '' : 's'} did not finish (${results.missing.join(', ')}).`,
    });
  }
  return {
    reference,
    slo,
    topStep,
    caching,
    routing,
    sentences,
    summary: sentences.map((s) => s.text).join(' '),
  };
}
