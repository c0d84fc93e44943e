import { describe, expect, it } from 'vitest';
import { shortLabels, varyingAxes } from '../../src/report/axes.ts';
import { highlighted, latencyChannel, logTicks, MAX_SERIES_POINTS, seriesBuckets } from '../../src/report/chart-kit.ts';
import { timeSeriesRows } from '../../src/report/chart-data.ts';
import { reportCharts } from '../../src/report/charts.ts';
import { heatmapChart } from '../../src/report/heatmap-chart.ts';
import { compareCharts } from '../../src/report/compare-charts.ts';
import { matchConfigurations, paretoOptimal, renderCompare, renderReport } from '../../src/report/index.ts';
import { packRows, toVega, unpackRows } from '../../src/report/page.ts';
import { buildResults } from '../fixtures/results.ts';

describe('paretoOptimal', () => {
  it('keeps the configurations no other beats on cost, quality and p95 together', () => {
    // In the fixture the exact cache makes each routing cheaper and faster at equal quality.
    expect([...paretoOptimal(buildResults({ intervals: 24 }).configurations)].sort()).toEqual([
      'routing=cascade cache=exact',
      'routing=small cache=exact',
      'routing=strong cache=exact',
    ]);
  });

  it('keeps two configurations that tie on everything', () => {
    const configs = buildResults({ intervals: 24, routings: ['strong'], caches: ['none'] }).configurations;
    const twin = { ...configs[0], name: 'twin' };
    expect(paretoOptimal([configs[0], twin]).size).toBe(2);
  });
});

describe('chart helpers', () => {
  it('uses a linear latency axis for a narrow range and a log axis with 4–8 round-duration ticks for a wide one', () => {
    expect(latencyChannel([100, 2000, 9000]).scale).toEqual({});
    const wide = latencyChannel([0, 50, 3_000_000]);
    expect(wide.scale).toEqual({ type: 'symlog', constant: 10 });
    expect(wide.axis.values).toEqual([100, 1000, 10_000, 60_000, 600_000]);
  });

  it('gives 4 to 8 log ticks whatever the range', () => {
    for (const [lo, hi] of [
      [120, 35_000],
      [900, 4000],
      [5, 60_000_000],
      [1, 10],
      [3000, 3500],
      [0.4, 200_000],
    ]) {
      const ticks = logTicks(lo!, hi!);
      expect(ticks.length, `${lo}–${hi}: ${ticks}`).toBeGreaterThanOrEqual(4);
      expect(ticks.length, `${lo}–${hi}: ${ticks}`).toBeLessThanOrEqual(8);
    }
    expect(logTicks(120, 35_000)).toEqual([200, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000]);
    expect(logTicks(900, 4000)).toEqual([1000, 2000, 3000, 4000]);
    expect(logTicks(3000, 3500)).toEqual([3000, 3100, 3200, 3300, 3400, 3500]);
    // round durations: 10 ms, 100 ms, 1 s, 10 s, 1 min, 10 min, 1 h, 10 h
    expect(logTicks(5, 60_000_000)).toEqual([10, 100, 1000, 10_000, 60_000, 600_000, 3_600_000, 36_000_000]);
  });

  it('labels configurations by the axis values that vary, numbers with their axis name', () => {
    const configs = buildResults({ intervals: 24 }).configurations;
    configs.forEach((c, i) => (c.axes = { ...c.axes, workers: String(8 + 8 * (i % 2)), region: 'eu' }));
    expect(varyingAxes(configs)).toEqual(['routing', 'cache', 'workers']);
    expect([...shortLabels(configs).values()].slice(0, 2)).toEqual(['strong · none · 8 workers', 'strong · exact · 16 workers']);
  });

  it('colours at most 8 configurations, the Pareto-optimal ones meeting the SLOs first', () => {
    const configs = buildResults({ intervals: 24 }).configurations;
    expect(highlighted(configs).size).toBe(6);
    const many = Array.from({ length: 60 }, (_, i) => ({
      ...configs[i % 6]!,
      name: `c${i}`,
      cost: { ...configs[i % 6]!.cost, perDayUsd: configs[i % 6]!.cost.perDayUsd + i },
    }));
    const top = highlighted(many);
    expect(top.size).toBe(8);
    expect([...top][0]).toBe('c5');
  });

  it('colours one configuration per frontier point: twins at the same cost, quality and p95 stay grey', () => {
    const configs = buildResults({ intervals: 24 }).configurations;
    // ten copies of each configuration (as more workers than the queue needs would give), differing by name only
    const twins = Array.from({ length: 60 }, (_, i) => ({ ...configs[i % 6]!, name: `c${i}` }));
    const top = highlighted(twins);
    // the fixture's Pareto-optimal points are its 3 cache=exact configurations: 3 colours, not 8 names over 3 points
    expect(top.size).toBe(3);
    const points = [...top].map((name) => {
      const c = twins.find((t) => t.name === name)!;
      return `${c.cost.perDayUsd}|${c.quality.share}|${c.latencyMs.e2e.p95}`;
    });
    expect(new Set(points).size).toBe(3);
  });

  it('packs chart rows by column and unpacks them unchanged', () => {
    const rows = [
      { label: 'a', ms: 1.5, top: true },
      { label: 'b', ms: 2, top: false },
      { label: 'a', ms: 3, top: true },
    ];
    const packed = packRows(rows);
    expect(packed).toEqual({ n: 3, c: { label: { d: ['a', 'b'], i: [0, 1, 0] }, ms: { v: [1.5, 2, 3] }, top: { v: [true, false, true] } } });
    expect(unpackRows(packed)).toEqual(rows);
  });

  it('thins a day of minutes to at most 288 points, averaging each bucket', () => {
    expect(seriesBuckets(1725)).toHaveLength(288);
    expect(seriesBuckets(24)).toHaveLength(24);
    const c = buildResults({ intervals: 1440 }).configurations[0]!;
    const rows = timeSeriesRows([c], () => 'x');
    expect(rows).toHaveLength(MAX_SERIES_POINTS);
    const mean = c.timeSeries.arrivalRps.slice(0, 5).reduce((s, v) => s + v, 0) / 5;
    expect(rows[0]!.arrivalRps).toBeCloseTo(mean, 3);
  });

  it('draws a heat map of a two-axis sweep with each value written in its cell, ✗ for an SLO miss', () => {
    const results = buildResults({ intervals: 24 });
    const chart = heatmapChart(results);
    const cost = chart.data!['heatmap-cost-day']!;
    expect(cost.find((r) => r.config === 'routing=cascade cache=exact')).toMatchObject({ row: 'cascade', col: 'exact', text: '$339.00' });
    expect(cost.find((r) => r.config === 'routing=small cache=none')).toMatchObject({ text: '$201.00 ✗' });
    results.configurations.forEach((c) => (c.axes = { routing: c.axes.routing! }));
    expect(heatmapChart(results).note).toBe(
      'No heat map: it needs a sweep over exactly two axes, and this one varies 1 (routing); the table above lists every configuration.',
    );
  });

  it('compiles every report and compare chart to vega without error', () => {
    const a = buildResults({ intervals: 24 });
    const b = buildResults({ intervals: 24, priceFactor: 1.2 });
    const charts = [...reportCharts(a), ...compareCharts(matchConfigurations(a, b))];
    expect(charts).toHaveLength(15);
    for (const chart of charts) {
      expect(chart.spec, chart.id).not.toBeNull();
      expect(toVega(chart.spec!)).toHaveProperty('marks');
    }
  });
});

describe('pages without data', () => {
  it('renders a report of a run in which no configuration finished', () => {
    const results = buildResults({ intervals: 24 });
    results.missing = results.configurations.map((c) => c.name);
    results.configurations = [];
    const html = renderReport(results);
    expect(html).toContain('No configuration finished, so there is nothing to chart.');
    expect(html).toContain('The run holds no finished configuration, so there is nothing to report.');
  });

  it('renders a compare page with no configuration in common', () => {
    const a = buildResults({ intervals: 24, routings: ['strong'] });
    const b = buildResults({ intervals: 24, routings: ['small'] });
    const html = renderCompare(a, b);
    expect(html).toContain('No configuration appears in both runs, so nothing can be compared.');
    expect(html).toContain('only in a: routing=strong cache=none');
    expect(html).toContain('only in b: routing=small cache=exact');
  });
});
