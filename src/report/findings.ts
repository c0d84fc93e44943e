/**
 * The findings of a run, computed once from its results and stored in results.json: the headline
 * (the cheapest configuration that meets every SLO, or the closest one and what would close its
 * gap), what each of the headline's choices saves against the next choice that also meets every
 * SLO, the most expensive step, and hints for what the sweep did not try. Every text carries the
 * numbers it rests on; differences inside the run's noise are not findings (see noise.ts).
 */
import { headlineMetrics } from '../results/headline.ts';
import { invalidRecords } from '../results/validity.ts';
import type { ConfigResult, Finding, HeadlineMetrics, ResultsFile, SloResult } from '../results/schema.ts';
import { axisSetting, axisValueText, varyingAxes } from './axes.ts';
import { difference, withinNoise } from './noise.ts';
import { columnDurationUnit, MS_PER_UNIT, formatCount, formatDuration, formatDurationDelta, formatMetric, formatPct, formatPp, formatUsd } from './numbers.ts';

type Check = SloResult['checks'][number];

/** At most this many findings are printed on the terminal. */
export const TERMINAL_FINDINGS = 7;

/** The headline metric an SLO check is about (checks carry labels like "e2e p95 (ms)"), or null. */
function checkMetric(metric: string): keyof HeadlineMetrics | null {
  if (/^(e2eP95Ms|e2e p95)/i.test(metric)) return 'e2eP95Ms';
  if (/^(ttftP95Ms|ttft p95)/i.test(metric)) return 'ttftP95Ms';
  if (/^quality/i.test(metric)) return 'quality';
  if (/^(costPerDayUsd|cost\/day)/i.test(metric)) return 'costPerDayUsd';
  if (/^(errorRate|error rate)/i.test(metric)) return 'errorRate';
  return null;
}

const LABEL: Record<string, string> = { e2eP95Ms: 'e2e p95', ttftP95Ms: 'TTFT p95', quality: 'quality', costPerDayUsd: 'cost/day', errorRate: 'error rate' };

/** "e2e p95 by 6.96 s (16 s against a target of 9 s)": one unit for the three figures. */
function missText(check: Check): string {
  const key = checkMetric(check.metric);
  const label = key ? LABEL[key] : check.metric.replace(/\s*\([^)]*\)$/, '');
  const gap = Math.abs(check.observed - check.target);
  const unit = columnDurationUnit([check.observed, check.target]);
  const value = (v: number) => (key ? formatMetric(key, v, unit) : formatCount(v));
  const by = key === 'quality' || key === 'errorRate' ? formatPp(gap).slice(1) : key ? formatMetric(key, gap, unit) : formatCount(gap);
  return `${label} by ${by} (${value(check.observed)} against a target of ${value(check.target)})`;
}

const failedChecks = (c: ConfigResult): Check[] => c.slo.checks.filter((x) => !x.met);

/**
 * How far one check misses, relative to its target; a quality floor's miss is relative to the wrong
 * answers it allows (85% → 70% doubles them: 1.0), not to the floor itself (which would say 0.18).
 */
function relativeMiss(x: Check): number {
  const scale = checkMetric(x.metric) === 'quality' ? 1 - x.target : Math.abs(x.target);
  return Math.abs(x.observed - x.target) / (scale || 1);
}

/** How far a configuration is from its SLOs: fewest failed checks first, then the smallest relative miss. */
function shortfall(c: ConfigResult): [number, number] {
  const failed = failedChecks(c);
  return [failed.length, failed.reduce((s, x) => s + relativeMiss(x), 0)];
}

/**
 * The headline pick among configurations that meet every SLO: the cheapest; configurations that cost
 * the same within noise tie, and the tie goes to the lower e2e p95.
 */
export function pickHeadline(meeting: readonly ConfigResult[]): ConfigResult | null {
  if (meeting.length === 0) return null;
  const byCost = [...meeting].sort((a, b) => a.cost.perDayUsd - b.cost.perDayUsd);
  const tied = byCost.filter((c) => withinNoise(byCost[0], c, 'costPerDayUsd'));
  return tied.sort((a, b) => a.latencyMs.e2e.p95 - b.latencyMs.e2e.p95 || a.cost.perDayUsd - b.cost.perDayUsd)[0];
}

const holdingText = (c: ConfigResult, axis: string, axes: readonly string[]): string => {
  const others = axes.filter((k) => k !== axis).map((k) => axisValueText(k, c.axes[k]));
  return others.length ? ` at ${others.join(', ')}` : '';
};

function headlineFinding(results: ResultsFile, h: ConfigResult, meeting: number): Finding {
  const m = headlineMetrics(h);
  const noSlo = results.configurations.every((c) => c.slo.checks.length === 0);
  const what = noSlo ? 'The scenario sets no SLOs; the cheapest configuration is' : 'The cheapest configuration that meets every SLO is';
  const total = results.configurations.length;
  const of = noSlo ? '' : ` ${meeting} of ${total} configuration${total === 1 ? '' : 's'} ${meeting === 1 ? 'meets' : 'meet'} every SLO.`;
  return {
    id: 'headline',
    kind: 'headline',
    severity: 'recommendation',
    text:
      `${what} ${h.name}: ${formatUsd(m.costPerDayUsd)} a day (${formatUsd(h.cost.perMonthUsd)} a month), ` +
      `e2e p95 ${formatDuration(m.e2eP95Ms)}, quality ${formatPct(m.quality)}.${of}`,
    evidence: {
      configs: [h.name],
      figures: {
        costPerDayUsd: m.costPerDayUsd,
        costPerMonthUsd: h.cost.perMonthUsd,
        e2eP95Ms: m.e2eP95Ms,
        quality: m.quality,
        meeting,
        configurations: results.configurations.length,
      },
    },
    recommend: { config: h.name },
  };
}

/** Configurations that differ from `c` in exactly one axis, with that axis. */
function neighbours(c: ConfigResult, configs: readonly ConfigResult[]): Array<{ axis: string; config: ConfigResult }> {
  const keys = Object.keys(c.axes);
  return configs.flatMap((o) => {
    if (o === c) return [];
    const differing = keys.filter((k) => o.axes[k] !== c.axes[k]);
    return differing.length === 1 ? [{ axis: differing[0], config: o }] : [];
  });
}

/** A change that would fix one failed check of `c`: a measured neighbour if the sweep has one, else what the numbers point to. */
function closingChange(results: ResultsFile, c: ConfigResult, check: Check): string {
  const key = checkMetric(check.metric);
  const fixes = neighbours(c, results.configurations)
    .filter((n) => n.config.slo.checks.some((x) => x.metric === check.metric && x.met))
    .sort((a, b) => shortfall(a.config)[0] - shortfall(b.config)[0] || a.config.cost.perDayUsd - b.config.cost.perDayUsd);
  if (fixes.length > 0) {
    const { axis, config } = fixes[0];
    const x = config.slo.checks.find((k) => k.metric === check.metric)!;
    const setting = axisSetting(results, axis, config.axes[axis]);
    const still = failedChecks(config);
    return (
      `${axisValueText(axis, config.axes[axis])}${setting ? ` (${setting})` : ''} brings ${key ? LABEL[key] : check.metric} to ` +
      `${key ? formatMetric(key, x.observed) : x.observed}${still.length ? `, but then misses ${still.map(missText).join(' and ')}` : ''}`
    );
  }
  const queue = c.latencyMs.queueWait.p95;
  switch (key) {
    case 'e2eP95Ms':
    case 'ttftP95Ms':
      if (queue >= 0.5 * check.observed) {
        // against e2e p95 for either check (queue wait is part of both), so a failed e2e and TTFT check give the same words, said once
        return `more workers: queue wait p95 is ${formatDuration(queue)} of the ${formatDuration(c.latencyMs.e2e.p95)} e2e p95, with ${Math.round(c.workers.max)} workers ${formatPct(c.workers.utilization)} busy`;
      }
      return key === 'ttftP95Ms'
        ? 'streaming the answer step, or a faster model on the slowest step'
        : 'a faster model or fewer sequential calls on the slowest step';
    case 'quality': {
      const best = [...results.configurations].sort((a, b) => b.quality.share - a.quality.share)[0];
      return `a stronger model or a higher cascade threshold on the routed step (the best quality measured is ${formatPct(best.quality.share)}, by ${best.name})`;
    }
    case 'costPerDayUsd':
      return `a cheaper model or a cache on the most expensive step${c.cost.topStep ? ` (${c.cost.topStep.step})` : ''}`;
    case 'errorRate':
      return 'fallback routing or retries for the calls that fail';
    default:
      return `a change that improves ${check.metric}`;
  }
}

function gapFinding(results: ResultsFile): Finding {
  const closest = [...results.configurations].sort((a, b) => {
    const [fa, sa] = shortfall(a);
    const [fb, sb] = shortfall(b);
    return fa - fb || sa - sb || a.cost.perDayUsd - b.cost.perDayUsd;
  })[0];
  const failed = failedChecks(closest);
  // two failed checks can point to the same change (e2e and TTFT p95 both waiting in the queue): say it once
  const changes = [...new Set(failed.map((x) => closingChange(results, closest, x)))];
  const figures: Record<string, number> = { costPerDayUsd: closest.cost.perDayUsd };
  for (const x of failed) {
    const key = checkMetric(x.metric) ?? x.metric;
    figures[`${key}Observed`] = x.observed;
    figures[`${key}Target`] = x.target;
  }
  return {
    id: 'headline',
    kind: 'slo-gap',
    severity: 'critical',
    text:
      `No configuration meets every SLO. The closest, ${closest.name}, misses ${failed.map(missText).join(' and ')}. ` +
      `To close the gap: ${changes.join('; ')}.`,
    evidence: { configs: [closest.name], figures },
  };
}

/** "quality −0.35 pp (87% → 86.6%)", "e2e p95 +5.36 s (9.35 s → 14.7 s)" (one unit for the three), or "… the same within noise (86.6%)". */
function tradeText(from: ConfigResult, to: ConfigResult, metric: 'quality' | 'e2eP95Ms'): string {
  const label = metric === 'quality' ? 'quality' : 'e2e p95';
  const a = headlineMetrics(from)[metric];
  const b = headlineMetrics(to)[metric];
  const unit = columnDurationUnit([a, b]);
  if (withinNoise(from, to, metric)) return `${label} the same within noise (${formatMetric(metric, b, unit)})`;
  // the difference in the same unit, unless it would read below 1 there: "16.4 ms", not "0.0164 s"
  const deltaUnit = Math.abs(b - a) >= MS_PER_UNIT[unit] ? unit : undefined;
  const delta = metric === 'quality' ? formatPp(b - a) : formatDurationDelta(b - a, deltaUnit);
  return `${label} ${delta} (${formatMetric(metric, a, unit)} → ${formatMetric(metric, b, unit)})`;
}

/**
 * For one axis: what the headline's value saves against the cheapest other value that also meets
 * every SLO with the other axes held, plus the cheaper values that miss an SLO and by how much.
 */
function choiceFinding(results: ResultsFile, h: ConfigResult, axis: string, axes: readonly string[]): Finding | null {
  const alternatives = neighbours(h, results.configurations)
    .filter((n) => n.axis === axis)
    .map((n) => n.config);
  if (alternatives.length === 0) return null;
  const value = h.axes[axis];
  const setting = axisSetting(results, axis, value);
  const named = `${axisValueText(axis, value)}${setting && setting !== value ? ` (${setting})` : ''}`;
  const next = alternatives.filter((c) => c.slo.meetsAll).sort((a, b) => a.cost.perDayUsd - b.cost.perDayUsd)[0];
  const cheaperMissing = alternatives
    .filter((c) => !c.slo.meetsAll && c.cost.perDayUsd < h.cost.perDayUsd)
    .sort((a, b) => a.cost.perDayUsd - b.cost.perDayUsd)[0];
  const missing = cheaperMissing
    ? ` ${axisValueText(axis, cheaperMissing.axes[axis])} would cost ${formatUsd(h.cost.perDayUsd - cheaperMissing.cost.perDayUsd)} a day less but misses ${failedChecks(cheaperMissing).map(missText).join(' and ')}.`
    : '';
  const held = holdingText(h, axis, axes);
  if (!next) {
    // no other value meets every SLO: name the one that comes closest, and what it misses
    const closest = cheaperMissing ?? [...alternatives].sort((x, y) => shortfall(x)[0] - shortfall(y)[0] || shortfall(x)[1] - shortfall(y)[1])[0]!;
    const why = cheaperMissing ? missing : ` ${axisValueText(axis, closest.axes[axis])} misses ${failedChecks(closest).map(missText).join(' and ')}.`;
    return {
      id: `choice:${axis}`,
      kind: 'choice',
      severity: 'info',
      text: `${named} is the only ${axis} choice that meets every SLO${held}.${why}`,
      evidence: { configs: [h.name, closest.name], figures: { costPerDayUsd: h.cost.perDayUsd, alternativeCostPerDayUsd: closest.cost.perDayUsd } },
      recommend: { config: h.name, ...(setting ? { setting } : {}) },
    };
  }
  const cost = difference(h, next, 'costPerDayUsd');
  if (Math.abs(cost.delta) <= cost.halfWidth) return null;
  const savedPerDay = next.cost.perDayUsd - h.cost.perDayUsd;
  const savedPerMonth = next.cost.perMonthUsd - h.cost.perMonthUsd;
  const mh = headlineMetrics(h);
  const mn = headlineMetrics(next);
  return {
    id: `choice:${axis}`,
    kind: 'choice',
    severity: 'recommendation',
    text:
      `${named} is the cheapest ${axis} choice that meets every SLO${held}: against ${axisValueText(axis, next.axes[axis])}, the next cheapest that does, ` +
      `it saves ${formatUsd(savedPerDay)} a day (${formatUsd(savedPerMonth)} a month), ${tradeText(next, h, 'quality')}, ${tradeText(next, h, 'e2eP95Ms')}.${missing}`,
    evidence: {
      configs: [h.name, next.name, ...(cheaperMissing ? [cheaperMissing.name] : [])],
      figures: {
        savedPerDayUsd: savedPerDay,
        savedPerMonthUsd: savedPerMonth,
        qualityDeltaPp: (mh.quality - mn.quality) * 100,
        e2eP95DeltaMs: mh.e2eP95Ms - mn.e2eP95Ms,
        costHalfWidthPerDayUsd: cost.halfWidth,
      },
    },
    recommend: { config: h.name, ...(setting ? { setting: `${axis}: ${setting}` } : { setting: `${axis}=${value}` }) },
    impactPerMonthUsd: savedPerMonth,
  };
}

function topStepFinding(c: ConfigResult): Finding | null {
  const top = c.cost.topStep;
  if (!top) return null;
  return {
    id: 'top-step',
    kind: 'top-step',
    severity: 'info',
    text: `The most expensive step of ${c.name} is ${top.step}: ${formatPct(top.share)} of its call spend (${formatUsd(top.costPerDayUsd)} a day).`,
    evidence: { configs: [c.name], figures: { share: top.share, costPerDayUsd: top.costPerDayUsd } },
  };
}

/** What the sweep did not try and the configuration does not already do: never a proposal for what is on. */
function hintFindings(results: ResultsFile, c: ConfigResult): Finding[] {
  const out: Finding[] = [];
  const config = results.scenario.config as { strategies?: { promptCaching?: unknown }; sweep?: Record<string, unknown> } | null;
  const sweptPromptCaching = Object.keys(c.axes).some((k) => /promptCach/i.test(k));
  const promptCachingOn = Object.values(c.caches).some((x) => x.kind === 'prompt') || config?.strategies?.promptCaching === true;
  if (!promptCachingOn && !sweptPromptCaching && config?.strategies?.promptCaching === false) {
    out.push({
      id: 'hint:prompt-caching',
      kind: 'hint',
      severity: 'info',
      text: `Provider prompt caching is off in ${c.name}; sweep promptCaching on and off to measure what cached-input prices would save.`,
      evidence: { configs: [c.name], figures: {} },
    });
  }
  const ownCaches = Object.values(c.caches).filter((x) => x.kind !== 'prompt');
  const sweptCaches = results.configurations.some((x) => Object.values(x.caches).some((k) => k.kind !== 'prompt'));
  if (ownCaches.length === 0 && !sweptCaches && c.cost.topStep) {
    out.push({
      id: 'hint:caching',
      kind: 'hint',
      severity: 'info',
      text: `No cache of ours ran in this sweep; add a cache axis on ${c.cost.topStep.step} (${formatPct(c.cost.topStep.share)} of call spend) to measure what it saves and what its false hits cost in quality.`,
      evidence: { configs: [c.name], figures: { share: c.cost.topStep.share } },
    });
  }
  return out;
}

const SEVERITY_ORDER = { critical: 0, warning: 1, recommendation: 2, info: 3 } as const;

/** Headline first, then by impact ($/month at equal or better SLOs), then by severity; no two alike. */
export function orderFindings(list: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  const unique = list.filter((f) => !seen.has(f.text) && !seen.has(`id:${f.id}`) && (seen.add(f.text), seen.add(`id:${f.id}`)));
  return unique.sort(
    (a, b) =>
      Number(b.id === 'headline') - Number(a.id === 'headline') ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      (b.impactPerMonthUsd ?? 0) - (a.impactPerMonthUsd ?? 0),
  );
}

/** Computes the findings of a run, most important first. */
export function computeFindings(results: ResultsFile): Finding[] {
  const configs = results.configurations;
  const out: Finding[] = [];
  if (results.missing.length > 0) {
    out.push({
      id: 'interrupted',
      kind: 'interrupted',
      severity: 'warning',
      text: `The run was interrupted: ${results.missing.length} configuration${results.missing.length === 1 ? '' : 's'} did not finish (${results.missing.join(', ')}); the findings cover the ${configs.length} that did.`,
      evidence: { configs: [...results.missing], figures: { missing: results.missing.length } },
    });
  }
  if (configs.length === 0) {
    out.push({
      id: 'headline',
      kind: 'empty',
      severity: 'critical',
      text: 'The run holds no finished configuration, so there is nothing to report.',
      evidence: { configs: [], figures: {} },
    });
    return orderFindings(out);
  }
  const invalid = configs.filter((c) => invalidRecords(c.validity).length > 0);
  if (invalid.length > 0) {
    const valid = configs.filter((c) => !invalid.includes(c));
    out.push(invalidFinding(invalid, configs.length, valid.length === 0));
    // advice is drawn from valid figures only: an invalid configuration's numbers describe the load generator, not the system
    if (valid.length === 0) return orderFindings(out);
    return orderFindings([...out, ...adviceFindings({ ...results, configurations: valid })]);
  }
  return orderFindings([...out, ...adviceFindings(results)]);
}

/** One critical finding naming the configurations that failed a validity check; with no valid one left, it is the headline. */
function invalidFinding(invalid: readonly ConfigResult[], total: number, headline: boolean): Finding {
  const names = invalid.map((c) => c.name);
  const first = invalidRecords(invalid[0].validity)[0];
  return {
    id: headline ? 'headline' : 'invalid',
    kind: 'invalid',
    severity: 'critical',
    text:
      `${invalid.length} of ${total} configuration${total === 1 ? '' : 's'} failed a validity check (${names.join(', ')}; first: ${first.message}), ` +
      `so ${invalid.length === 1 ? 'its' : 'their'} figures do not describe the system and no advice is drawn from them` +
      `${headline ? '' : `; the findings below cover the ${total - invalid.length} valid one${total - invalid.length === 1 ? '' : 's'}`}. ` +
      'Rerun on an idle machine or at a lower time scale.',
    evidence: { configs: names, figures: { invalid: invalid.length, configurations: total } },
  };
}

/** The headline, the per-axis choices, the top step and the hints of the configurations given. */
function adviceFindings(results: ResultsFile): Finding[] {
  const configs = results.configurations;
  const out: Finding[] = [];
  const meeting = configs.filter((c) => c.slo.meetsAll);
  const h = pickHeadline(meeting);
  const axes = varyingAxes(configs);
  if (h) {
    out.push(headlineFinding(results, h, meeting.length));
    for (const axis of axes) {
      const f = choiceFinding(results, h, axis, axes);
      if (f) out.push(f);
    }
  } else {
    out.push(gapFinding(results));
  }
  const reference = h ?? configs.find((c) => c.name === out.find((f) => f.id === 'headline')!.evidence.configs[0])!;
  const top = topStepFinding(reference);
  if (top) out.push(top);
  out.push(...hintFindings(results, reference));
  return out;
}

/** The findings a results file carries, or (files written before findings were data) computed now. */
export function findingsOf(results: ResultsFile): Finding[] {
  return results.findings ?? computeFindings(results);
}
