/**
 * Axis labels as vega draws them (headless SVG in Node) for degenerate runs: one configuration,
 * configurations with equal figures, a share near 100%. A one-point run used to print its quality
 * tick as "94.851417%".
 */
import { parse, View } from 'vega';
import type { Spec } from 'vega';
import { describe, expect, it } from 'vitest';
import type { ChartDef } from '../../src/report/chart-kit.ts';
import { linearChannel } from '../../src/report/chart-kit.ts';
import { reportCharts } from '../../src/report/charts.ts';
import { compareCharts } from '../../src/report/compare-charts.ts';
import { matchConfigurations } from '../../src/report/index.ts';
import { toVega } from '../../src/report/page.ts';
import { buildResults } from '../fixtures/results.ts';

/** The text of every axis label of a chart, drawn by vega with its datasets filled in as the page does. */
async function axisLabels(chart: ChartDef): Promise<string[]> {
  const spec = toVega(chart.spec!) as Spec;
  for (const d of spec.data ?? []) {
    const rows = chart.data?.[d.name];
    if (rows && !('values' in d) && !('source' in d)) Object.assign(d, { values: rows.map((r) => ({ ...r })) });
  }
  const view = new View(parse(spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const labels: string[] = [];
  for (const group of svg.matchAll(/<g class="mark-text role-axis-label"[^>]*>(.*?)<\/g>/gs)) {
    for (const text of group[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)) labels.push(text[1]);
  }
  return labels;
}

/** Labels with more decimals than a reader needs: "94.851417%", "$434.9312". */
const overPrecise = (labels: readonly string[]) => labels.filter((l) => /\d\.\d{3,}/.test(l));

/** A run of one configuration with no quality SLO, so nothing but its one point sets the quality axis. */
function oneConfiguration(quality: number) {
  const results = buildResults({ intervals: 24, routings: ['cascade'], caches: ['none'], slo: { e2eP95Ms: 15_000 } });
  results.configurations[0].quality.share = quality;
  return results;
}

describe('axes of degenerate runs', () => {
  it('labels the frontier of a one-configuration run with a few round ticks, not one tick to six decimals', async () => {
    const frontier = reportCharts(oneConfiguration(0.94851417)).find((c) => c.id === 'frontier')!;
    const labels = await axisLabels(frontier);
    expect(overPrecise(labels)).toEqual([]);
    const percents = labels.filter((l) => l.endsWith('%'));
    expect(percents.length).toBeGreaterThanOrEqual(3);
    expect(new Set(percents).size).toBe(percents.length);
    expect(labels.filter((l) => l.startsWith('$')).length).toBeGreaterThanOrEqual(3);
    const seconds = labels.filter((l) => / s$/.test(l));
    expect(seconds.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seconds).size, seconds.join(', ')).toBe(seconds.length);
  });

  it('keeps a share axis within 0–100% when every configuration is at 100%', async () => {
    const results = buildResults({ intervals: 24 });
    for (const c of results.configurations) c.quality.share = 1;
    const frontier = reportCharts(results).find((c) => c.id === 'frontier')!;
    const percents = (await axisLabels(frontier)).filter((l) => l.endsWith('%'));
    expect(percents.at(-1)).toBe('100%');
    expect(percents.every((l) => Number.parseFloat(l) <= 100)).toBe(true);
    expect(new Set(percents).size).toBe(percents.length);
  });

  it('draws the compare frontier of one configuration with readable ticks', async () => {
    const a = oneConfiguration(0.9);
    const b = oneConfiguration(0.9);
    const chart = compareCharts(matchConfigurations(a, b)).find((c) => c.id === 'cmp-frontier')!;
    const labels = await axisLabels(chart);
    expect(overPrecise(labels)).toEqual([]);
    expect(labels.filter((l) => l.endsWith('%')).length).toBeGreaterThanOrEqual(3);
  });

  it('pads equal values to a span, keeps SLO values in the domain and labels with the decimals the step needs', () => {
    const one = linearChannel([0.94851417], 'share');
    expect(one.scale.domain).toEqual([0.935, 0.96]);
    expect(one.axis).toEqual({ values: [0.935, 0.94, 0.945, 0.95, 0.955, 0.96], format: '.1%' });
    const wide = linearChannel([0.61, 0.93, 0.85], 'share');
    expect(wide).toEqual({ scale: { domain: [0.6, 1], nice: false, zero: false }, axis: { values: [0.6, 0.7, 0.8, 0.9, 1], format: '.0%' } });
    expect(linearChannel([434.93], 'usd').axis).toEqual({ values: [410, 420, 430, 440, 450, 460], format: '$,.0f' });
    expect(linearChannel([2.5, 2.5], 'usd').axis.format).toBe('$,.1f');
    expect(linearChannel([], 'share').scale.domain).toEqual([0, 1]);
    const p95 = linearChannel([13_476], 'ms');
    expect(p95.scale.domain).toEqual([12_500, 14_500]);
    expect(p95.axis).toEqual({ values: [12_500, 13_000, 13_500, 14_000, 14_500], labelExpr: "format(datum.value / 1000, ',.1f') + ' s'" });
  });
});
