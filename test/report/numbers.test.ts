import { describe, expect, it } from 'vitest';
import {
  columnDurationUnit,
  formatDuration,
  formatDurationDelta,
  formatMetricColumn,
  formatPct,
  formatPp,
  formatRelativeChange,
  formatUsd,
  formatUsdDelta,
  sig3,
} from '../../src/report/numbers.ts';

describe('sig3', () => {
  it('keeps about three significant digits and drops trailing zeros', () => {
    expect([1234.5, 87.25, 5.125, 0.01234, 20, 0, 99.96, 9.996].map(sig3)).toEqual(['1,235', '87.3', '5.13', '0.0123', '20', '0', '100', '10']);
  });
  it('never prints NaN or Infinity', () => {
    expect([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map(sig3)).toEqual(['—', '—', '—']);
  });
});

describe('formatUsd', () => {
  it('suits the magnitude', () => {
    expect([21387.93, 1234.5, 433.26, 1, 0.5, 0.0433, 0.00123456, 0].map(formatUsd)).toEqual([
      '$21,388',
      '$1,235',
      '$433.26',
      '$1.00',
      '$0.50',
      '$0.0433',
      '$0.00123',
      '$0',
    ]);
  });
  it('signs negatives with a minus and refuses non-finite values', () => {
    expect(formatUsd(-12.5)).toBe('−$12.50');
    expect(formatUsd(Number.NaN)).toBe('—');
    expect(formatUsdDelta(95.3)).toBe('+$95.30');
    expect(formatUsdDelta(-1234)).toBe('−$1,234');
    expect(formatUsdDelta(0)).toBe('±$0');
  });
});

describe('formatDuration', () => {
  it('uses ms below 10 s, then s, min and h', () => {
    expect([4.54, 412.4, 8135, 13_566, 95_000, 1_200_000, 3_080_700, 10_000_000].map((v) => formatDuration(v))).toEqual([
      '4.54 ms',
      '412 ms',
      '8,135 ms',
      '13.6 s',
      '95 s',
      '20 min',
      '51.3 min',
      '2.78 h',
    ]);
  });
  it('writes 0.333 h as 20 min', () => {
    expect(formatDuration(0.3333333333333333 * 3_600_000)).toBe('20 min');
  });
  it('writes every value of a column in the unit of its largest', () => {
    expect(columnDurationUnit([400, 13_566, Number.NaN])).toBe('s');
    expect(formatMetricColumn('e2eP95Ms', [400, 6808, 13_566])).toEqual(['0.4 s', '6.81 s', '13.6 s']);
    expect(formatMetricColumn('queueWaitP95Ms', [0, 3_076_500])).toEqual(['0 min', '51.3 min']);
  });
  it('steps a column down to a smaller unit so its smallest value does not read as 0.00193 h', () => {
    expect(formatMetricColumn('e2eP95Ms', [6939, 6_192_000, 60_840_000])).toEqual(['6.94 s', '6,192 s', '60,840 s']);
    expect(formatMetricColumn('queueWaitP95Ms', [0, 688, 18_360_000])).toEqual(['0 s', '0.688 s', '18,360 s']);
    expect(formatMetricColumn('e2eP95Ms', [120, 950])).toEqual(['120 ms', '950 ms']);
  });
  it('signs differences', () => {
    expect(formatDurationDelta(6758)).toBe('+6,758 ms');
    expect(formatDurationDelta(-390)).toBe('−390 ms');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('—');
  });
});

describe('percent figures', () => {
  it('has at most three significant digits', () => {
    expect([0.873, 0.8655, 0.0512, 0.005, 1, 0, 0.00001234].map(formatPct)).toEqual(['87.3%', '86.6%', '5.12%', '0.5%', '100%', '0%', '0.00123%']);
  });
  it('writes differences of shares in percentage points', () => {
    expect(formatPp(-0.046)).toBe('−4.6 pp');
    expect(formatPp(0.0004)).toBe('+0.04 pp');
    expect(formatPp(0)).toBe('±0 pp');
  });
  it('writes relative changes beyond ±1000% as a factor', () => {
    expect(formatRelativeChange(0.1)).toBe('+10%');
    expect(formatRelativeChange(-0.0412)).toBe('−4.12%');
    expect(formatRelativeChange(9.99)).toBe('+999%');
    expect(formatRelativeChange(10602.127)).toBe('×10,603');
    expect(formatRelativeChange(0)).toBe('±0%');
    expect(formatRelativeChange(Number.NaN)).toBe('—');
  });
});
