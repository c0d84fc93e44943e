/**
 * The gate's false-alarm rate: A/A comparisons of the test scenario's cascade (the noisiest
 * configuration: its cost moves several percent from seed to seed) on disjoint seed sets.
 */
import { describe, expect, it } from 'vitest';
import { measureFalseAlarmRate } from '../../src/gate/false-alarm.ts';

describe('measureFalseAlarmRate', () => {
  it('flags at most 5% of A/A comparisons with the default thresholds', async () => {
    const result = await measureFalseAlarmRate({
      scenario: 'test/gate/fixtures/gate-scenario.ts',
      only: 'cascade',
      trials: 25,
      replications: 5,
      requestsPerDay: 2500,
      threads: 0,
    });
    expect(result.trials).toBe(25);
    expect(result.checksPerTrial).toBe(6);
    expect(result.rate).toBeLessThanOrEqual(0.05);
  }, 40_000);

  it('does raise alarms when every threshold is zero (the check is not vacuous)', async () => {
    // with no allowed worsening, a 95% interval wholly above zero happens by chance in A/A
    // comparisons; the default thresholds are what keep those from failing builds
    const zero = { relative: 0 };
    const result = await measureFalseAlarmRate({
      scenario: 'test/gate/fixtures/gate-scenario.ts',
      only: 'cascade',
      trials: 6,
      replications: 5,
      requestsPerDay: 2500,
      threads: 0,
      thresholds: { costPerDayUsd: zero, e2eP95Ms: zero, e2eP99Ms: zero, ttftP95Ms: zero, quality: { absolute: 0 }, errorRate: { absolute: 0 } },
    });
    expect(result.falseAlarms).toBeGreaterThan(0);
  }, 40_000);
});
