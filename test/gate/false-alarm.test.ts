/**
 * The gate's false-alarm rate: A/A comparisons of the test scenario's cascade (the noisiest
 * configuration: its cost moves several percent from seed to seed) on disjoint seed sets.
 */
import { describe, expect, it } from 'vitest';
import { measureFalseAlarmRate } from '../../src/gate/false-alarm.ts';

/** 25 seeded A/A trials in `npm test`; `npm run soak` (BENCH_SOAK=1) runs 100. */
const TRIALS = process.env.BENCH_SOAK === '1' ? 100 : 25;

describe('measureFalseAlarmRate', () => {
  it(
    'flags at most 5% of A/A comparisons with the default thresholds',
    async () => {
      const result = await measureFalseAlarmRate({
        scenario: 'test/gate/fixtures/gate-scenario.ts',
        only: 'cascade',
        trials: TRIALS,
        replications: 5,
        requestsPerDay: 2500,
        threads: 0,
      });
      expect(result.trials).toBe(TRIALS);
      expect(result.checksPerTrial).toBe(8);
      if (process.env.BENCH_SOAK === '1')
        console.log(`soak A/A: ${result.trials} trials × ${result.checksPerTrial} checks, false-alarm rate ${(result.rate * 100).toFixed(1)}%`);
      expect(result.rate).toBeLessThanOrEqual(0.05);
    },
    TRIALS * 4000,
  );
});
