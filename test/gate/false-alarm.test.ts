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
    expect(result.checksPerTrial).toBe(8);
    expect(result.rate).toBeLessThanOrEqual(0.05);
  }, 40_000);
});
