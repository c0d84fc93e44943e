import { describe, expect, it } from 'vitest';
import { DEFAULT_GATE_THRESHOLDS, parseThresholdFlag, resolveThresholds } from '../../src/gate/thresholds.ts';
import { thresholdOverrides } from '../../src/cli/gate-command.ts';
import { expectBenchError } from './helpers.ts';

describe('parseThresholdFlag', () => {
  it('reads a percentage as a relative threshold', () => {
    expect(parseThresholdFlag('costPerDayUsd=5%')).toEqual(['costPerDayUsd', { relative: 0.05 }]);
  });
  it('reads a bare number as an absolute threshold in the metric unit', () => {
    expect(parseThresholdFlag('quality=0.02')).toEqual(['quality', { absolute: 0.02 }]);
  });
  it('reads both parts separated by a comma', () => {
    expect(parseThresholdFlag('errorRate=50%,0.005')).toEqual(['errorRate', { relative: 0.5, absolute: 0.005 }]);
  });
  it('reads off as turning the metric off', () => {
    expect(parseThresholdFlag('e2eP99Ms=off')).toEqual(['e2eP99Ms', null]);
  });
  it('rejects an unknown metric, listing the known ones', () => {
    expectBenchError(
      () => parseThresholdFlag('latency=5%'),
      'USAGE',
      '--threshold: "latency" is not a metric the gate knows. Gateable metrics: costPerDayUsd, costPerRequestUsd, e2eP50Ms, e2eP95Ms, e2eP99Ms, ttftP50Ms, ttftP95Ms, queueWaitP95Ms, quality, errorRate, peakRps, itlP95Ms, tpotP95Ms, outputTokensPerS.',
    );
  });
  it('rejects a malformed value with the accepted forms', () => {
    expectBenchError(
      () => parseThresholdFlag('costPerDayUsd=five'),
      'USAGE',
      `--threshold "costPerDayUsd=five": expected metric=5% (relative), metric=0.02 (absolute, in the metric's unit), metric=5%,0.02 (both) or metric=off.`,
    );
  });
});

describe('resolveThresholds', () => {
  it('gates the default metrics with the default thresholds', () => {
    const gated = resolveThresholds(undefined);
    expect(Object.fromEntries(gated.map((g) => [g.metric, g.threshold]))).toEqual(DEFAULT_GATE_THRESHOLDS);
    expect(gated.every((g) => g.source === 'default')).toBe(true);
  });
  it('lets the scenario replace a metric and add one, and options override both', () => {
    const gated = resolveThresholds(
      { costPerDayUsd: { relative: 0.1 }, queueWaitP95Ms: { relative: 0.2 } },
      { costPerDayUsd: { relative: 0.02 }, e2eP99Ms: null },
    );
    const byMetric = Object.fromEntries(gated.map((g) => [g.metric, g]));
    expect(byMetric.costPerDayUsd).toMatchObject({ threshold: { relative: 0.02 }, source: 'option', direction: 'lower' });
    expect(byMetric.queueWaitP95Ms).toMatchObject({ threshold: { relative: 0.2 }, source: 'scenario' });
    expect(byMetric.e2eP99Ms).toBeUndefined();
    expect(byMetric.quality).toMatchObject({ threshold: { absolute: 0.02 }, direction: 'higher' });
  });
  it('rejects a scenario threshold with neither part', () => {
    expectBenchError(
      () => resolveThresholds({ quality: {} }),
      'USAGE',
      "gate.thresholds.quality: give `relative` (0.05 = 5%) and/or `absolute` (in the metric's unit).",
    );
  });
  it('rejects a metric given twice on the command line', () => {
    expectBenchError(() => thresholdOverrides(['quality=0.01', 'quality=0.03']), 'USAGE', '--threshold: quality is given twice; give each metric once.');
  });
});
