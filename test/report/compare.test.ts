import { describe, expect, it } from 'vitest';
import { BenchError } from '../../src/core/errors.ts';
import {
  checkComparable,
  compareTable,
  costVerdict,
  formatCompareTable,
  matchConfigurations,
  renderCompare,
  renderReport,
  runChanges,
} from '../../src/report/index.ts';
import type { ResultsFile } from '../../src/results/schema.ts';
import { buildResults } from '../fixtures/results.ts';

/** Two runs: b is a copy of a with a few figures of its first configuration changed by hand. */
function pair(): { a: ResultsFile; b: ResultsFile } {
  const a = buildResults();
  const b = structuredClone(a);
  const c = b.configurations[0];
  c.cost.perDayUsd = 1048.3; // 953 → 1048.3: +10%, worse
  c.latencyMs.e2e.p95 = 3510; // 3900 → 3510: −10%, better
  c.quality.share = 0.874; // 0.92 → 0.874: −5%, worse
  c.throughput.peakRps = 3.9; // 2.6 → 3.9: +50%, better (higher is better)
  return { a, b };
}

function row(rows: ReturnType<typeof compareTable>, config: string, metric: string) {
  return rows.find((r) => r.config === config && r.metric === metric)!;
}

describe('compareTable', () => {
  it('gives one row per matched configuration and headline metric', () => {
    const { a, b } = pair();
    const rows = compareTable(a, b);
    expect(rows).toHaveLength(6 * 10);
    expect(new Set(rows.map((r) => r.config)).size).toBe(6);
  });

  it('marks a rise in cost as worse, with delta and delta %', () => {
    const { a, b } = pair();
    const r = row(compareTable(a, b), 'routing=strong cache=none', 'costPerDayUsd');
    expect(r.a).toBe(953);
    expect(r.b).toBe(1048.3);
    expect(r.delta).toBeCloseTo(95.3, 10);
    expect(r.deltaPct).toBeCloseTo(0.1, 10);
    expect(r.direction).toBe('worse');
  });

  it('marks a fall in latency as better', () => {
    const { a, b } = pair();
    const r = row(compareTable(a, b), 'routing=strong cache=none', 'e2eP95Ms');
    expect(r.delta).toBe(-390);
    expect(r.deltaPct).toBeCloseTo(-0.1, 10);
    expect(r.direction).toBe('better');
  });

  it('marks a fall in quality as worse and does not score offered load (peak req/s), an input', () => {
    const { a, b } = pair();
    const rows = compareTable(a, b);
    expect(row(rows, 'routing=strong cache=none', 'quality').direction).toBe('worse');
    expect(rows.some((r) => r.metric === 'peakRps')).toBe(false);
    expect(runChanges(a, b)).toContain('offered load (input, not scored): peak 2.6 → 3.9 req/s');
  });

  it('reads a delta inside the noise as no change (a ±0.04 pp quality wobble over 100,000 requests)', () => {
    const { a, b } = pair();
    b.configurations[1].quality.share = a.configurations[1].quality.share + 0.0004;
    const r = row(compareTable(a, b), 'routing=strong cache=exact', 'quality');
    expect(r.noise).toBeGreaterThan(0.0004);
    expect(r.direction).toBe('same');
    expect(formatCompareTable([r])).toContain('no change');
  });

  it('names what changed between the runs before any delta: traffic, seed, code and scenario fields by path', () => {
    const a = buildResults();
    const b = buildResults({ seed: 43 });
    b.code = { version: '0.2.0', gitCommit: 'abcdef1234567890' };
    b.scenario.config = { ...(a.scenario.config as object), strategies: { promptCaching: false } };
    expect(runChanges(a, b)).toEqual([
      'seed: 42 → 43',
      'code: 0.1.0 (abc1234) → 0.2.0 (abcdef123456)',
      'scenario strategies: (absent) → {"promptCaching":false}',
    ]);
    expect(runChanges(a, a)).toEqual([]);
  });

  it('says which run wins on cost at equal SLOs', () => {
    const a = buildResults();
    const b = buildResults({ priceFactor: 0.8 });
    expect(costVerdict(a, b)).toMatch(
      /^Run b wins on cost at equal SLOs: run a's cheapest configuration meeting every SLO is routing=cascade cache=exact at \$339\.00 a day, run b's is routing=cascade cache=exact at \$[\d.]+ \(−\$[\d.]+ a day, −\$[\d,.]+ a month\)\.$/,
    );
    expect(costVerdict(a, a)).toBe(
      "Neither run wins on cost at equal SLOs: run a's cheapest configuration meeting every SLO is routing=cascade cache=exact at $339.00 a day, run b's is routing=cascade cache=exact at $339.00 (the same within noise).",
    );
  });

  it('marks unchanged figures as same', () => {
    const { a, b } = pair();
    const rows = compareTable(a, b).filter((r) => r.config === 'routing=cascade cache=exact');
    expect(rows.every((r) => r.direction === 'same' && r.delta === 0 && r.deltaPct === 0)).toBe(true);
  });

  it('gives no percentage when a is zero and b is not', () => {
    const { a, b } = pair();
    b.configurations[1].requests.failed = 0;
    a.configurations[1].requests.failed = 0;
    b.configurations[2].requests.failed = 50;
    a.configurations[2].requests.failed = 0;
    const rows = compareTable(a, b);
    expect(row(rows, 'routing=strong cache=exact', 'errorRate')).toMatchObject({ delta: 0, deltaPct: 0, direction: 'same' });
    expect(row(rows, 'routing=small cache=none', 'errorRate')).toMatchObject({ deltaPct: null, direction: 'worse' });
  });

  it('matches configurations by name and lists the unmatched', () => {
    const a = buildResults();
    const b = buildResults({ routings: ['strong', 'cascade'] });
    b.configurations[0].name = 'routing=strong cache=none workers=16';
    const match = matchConfigurations(a, b);
    expect(match.matched.map((m) => m.name)).toEqual(['routing=strong cache=exact', 'routing=cascade cache=none', 'routing=cascade cache=exact']);
    expect(match.onlyInA).toEqual(['routing=strong cache=none', 'routing=small cache=none', 'routing=small cache=exact']);
    expect(match.onlyInB).toEqual(['routing=strong cache=none workers=16']);
    expect(compareTable(a, b)).toHaveLength(3 * 10);
  });
});

describe('formatCompareTable', () => {
  it('prints aligned columns with units, deltas and directions', () => {
    const { a, b } = pair();
    const rows = compareTable(a, b).filter(
      (r) => r.config === 'routing=strong cache=none' && ['costPerDayUsd', 'e2eP95Ms', 'quality', 'errorRate'].includes(r.metric),
    );
    expect(formatCompareTable(rows)).toBe(
      [
        'configuration              metric             a         b    delta  delta %',
        '-------------------------  ----------  --------  --------  -------  -------  ---------',
        'routing=strong cache=none  cost/day     $953.00    $1,048  +$95.30     +10%  worse',
        '                           e2e p95     3,900 ms  3,510 ms  −390 ms     −10%  better',
        '                           quality          92%     87.4%  −4.6 pp      −5%  worse',
        '                           error rate     0.02%     0.02%    ±0 pp      ±0%  no change',
      ].join('\n'),
    );
  });

  it('colours better green and worse red when asked', () => {
    const { a, b } = pair();
    const rows = compareTable(a, b).filter((r) => r.config === 'routing=strong cache=none' && ['costPerDayUsd', 'e2eP95Ms'].includes(r.metric));
    const lines = formatCompareTable(rows, { color: true }).split('\n');
    expect(lines[2].startsWith('\u001b[31m')).toBe(true);
    expect(lines[3].startsWith('\u001b[32m')).toBe(true);
  });

  it('says so when nothing matched', () => {
    expect(formatCompareTable([])).toBe('No configuration appears in both runs; nothing to compare.');
  });
});

describe('checkComparable', () => {
  it('accepts two runs of the same scenario', () => {
    const { a, b } = pair();
    expect(() => checkComparable(a, b)).not.toThrow();
  });

  it('refuses runs of different scenarios, saying which', () => {
    const a = buildResults({ scenarioName: 'cascade' });
    const b = buildResults({ scenarioName: 'caching' });
    expect(() => checkComparable(a, b)).toThrow(
      new BenchError(
        'INCOMPARABLE',
        'Cannot compare runs of different scenarios: the first run is of "cascade", the second of "caching". Compare two runs of the same scenario.',
      ),
    );
    try {
      checkComparable(a, b);
    } catch (error) {
      expect(error).toBeInstanceOf(BenchError);
      expect((error as BenchError).code).toBe('INCOMPARABLE');
    }
  });

  it('refuses runs of different schema versions, saying which', () => {
    const a = buildResults();
    const b = buildResults() as unknown as { schemaVersion: number };
    b.schemaVersion = 2;
    expect(() => checkComparable(a, b as unknown as ResultsFile)).toThrow(
      'Cannot compare results of different schema versions: the first run has schemaVersion 1, the second 2. Re-run both with the same version of llm-scale-bench.',
    );
  });

  it('is applied by renderCompare', () => {
    expect(() => renderCompare(buildResults({ scenarioName: 'cascade' }), buildResults({ scenarioName: 'caching' }))).toThrow(/different scenarios/);
  });
});

describe('invalid runs in the report and in compare', () => {
  const invalidate = (r: ResultsFile, index: number) => {
    r.configurations[index]!.validity = [
      {
        kind: 'send-lag',
        valid: false,
        observed: 29_000,
        threshold: 100,
        unit: 'ms',
        message: 'send lag p99 29000.0 ms (scenario time) against at most 100.0 ms',
      },
      { kind: 'target-errors', valid: true, observed: 0, threshold: 0, unit: 'share', message: '0.00% of requests failed' },
    ];
  };

  it('the report of an invalid run opens with a banner naming each failed check, and tags the row', () => {
    const a = buildResults();
    expect(renderReport(a)).not.toContain('id="invalid-banner"');
    invalidate(a, 1);
    const html = renderReport(a);
    const banner = /<div class="banner invalid" role="alert" id="invalid-banner">(.*?)<\/div>/s.exec(html)![1]!;
    expect(banner).toContain('This run is invalid</strong>: 1 of 6 configurations failed a validity check');
    expect(banner).toContain(`<strong>${a.configurations[1]!.name}</strong>: send lag p99 29000.0 ms`);
    // a check that held is not listed
    expect(banner).not.toContain('requests failed');
    // before the facts: the first thing read after the title
    expect(html.indexOf('id="invalid-banner"')).toBeLessThan(html.indexOf('<dl class="facts">'));
    expect(html.match(/<tr class="invalid">/g)).toHaveLength(1);
  });

  it('compare marks the deltas of a configuration invalid in either run, and says so in the summary', () => {
    const { a, b } = pair();
    invalidate(b, 0);
    const html = renderCompare(a, b);
    expect(html).toContain('id="invalid-banner-b"');
    expect(html).not.toContain('id="invalid-banner-a"');
    expect(html).toContain('1 compared configuration is invalid in one run or both');
    const marked = html.match(/<tr data-direction="\w+" class="invalid" data-invalid="b">/g) ?? [];
    expect(marked).toHaveLength(10); // every metric row of that configuration
    expect(html).toContain('invalid in b</span>');
    expect(html).toContain('(invalid run: not evidence)');
    invalidate(a, 0);
    expect(renderCompare(a, b)).toContain('data-invalid="a and b"');
  });
});

describe('formatCompareTable with invalid configurations', () => {
  it('says which run was invalid beside the verdict of each of its rows', () => {
    const { a, b } = pair();
    const name = a.configurations[0]!.name;
    const text = formatCompareTable(compareTable(a, b), { invalid: new Map([[name, 'b']]) });
    const rows = text.split('\n').filter((l) => l.includes('(invalid in b)'));
    expect(rows).toHaveLength(10);
    expect(text).toMatch(/worse \(invalid in b\)/);
  });
});
