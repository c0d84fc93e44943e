import { describe, expect, it } from 'vitest';
import { latencyChannel, pointLabels, reportCharts } from '../../src/report/charts.ts';
import { compareCharts } from '../../src/report/compare-charts.ts';
import { matchConfigurations, paretoOptimal, renderCompare, renderReport } from '../../src/report/index.ts';
import { toVega } from '../../src/report/page.ts';
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
  it('uses a linear latency axis for a narrow range and symlog with power-of-ten ticks for a wide one', () => {
    expect(latencyChannel([100, 2000, 9000]).scale).toEqual({});
    const wide = latencyChannel([0, 50, 3_000_000]);
    expect(wide.scale).toEqual({ type: 'symlog', constant: 10 });
    expect(wide.axis.values).toEqual([0, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000]);
  });

  it('merges labels of points that sit on the same spot', () => {
    const rows = [
      { x: 1, y: 2, name: 'a' },
      { x: 1, y: 2, name: 'b' },
      { x: 1, y: 2, name: 'c' },
      { x: 3, y: 2, name: 'd' },
    ];
    expect(pointLabels(rows, 'x', 'y', (r) => r.name)).toEqual([
      { x: 1, y: 2, label: 'a / b +1 more' },
      { x: 3, y: 2, label: 'd' },
    ]);
  });

  it('compiles every report and compare chart to vega without error', () => {
    const a = buildResults({ intervals: 24 });
    const b = buildResults({ intervals: 24, priceFactor: 1.2 });
    const charts = [...reportCharts(a), ...compareCharts(matchConfigurations(a, b))];
    expect(charts).toHaveLength(14);
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
