import { describe, expect, it } from 'vitest';
import { refuseInvalid } from '../../src/gate/run.ts';
import type { ResultsFile } from '../../src/results/schema.ts';
import { invalidRecords, liveValidity } from '../../src/results/validity.ts';

const conditions = { timeScale: 20, sendLagP99Ms: 50, lateShare: () => 0, ttftP50Ms: 1000, eventLoopDelayP99WallMs: 3, errorRate: 0, maxErrorRate: 0.01 };

describe('validity records', () => {
  it('send lag p99 is allowed up to max(5 ms wall, 5% of TTFT p50): at 20× that is max(100, 50) = 100 scenario ms', () => {
    const ok = liveValidity(conditions);
    expect(ok.find((r) => r.kind === 'send-lag')).toMatchObject({ valid: true, observed: 50, threshold: 100 });
    const lagging = liveValidity({ ...conditions, sendLagP99Ms: 29_000 });
    expect(invalidRecords(lagging).map((r) => r.kind)).toEqual(['send-lag']);
    // at 1× and a 4 s TTFT, 5% of TTFT (200 ms) is the larger allowance
    expect(liveValidity({ ...conditions, timeScale: 1, ttftP50Ms: 4000 })[0]!.threshold).toBe(200);
  });

  it('flags late starts, event-loop delay and target errors beyond their limits', () => {
    const bad = liveValidity({ ...conditions, lateShare: () => 0.2, eventLoopDelayP99WallMs: 120, errorRate: 0.05 });
    expect(invalidRecords(bad).map((r) => r.kind)).toEqual(['late-starts', 'event-loop-delay', 'target-errors']);
  });

  it('bench gate refuses an invalid run (exit 2 through BenchError) unless allowed', () => {
    const run = (validity: ReturnType<typeof liveValidity>) => ({ configurations: [{ name: 'c', validity }] }) as unknown as ResultsFile;
    expect(() => refuseInvalid([['candidate', run(liveValidity({ ...conditions, sendLagP99Ms: 29_000 }))]])).toThrow(
      /^the candidate run is invalid \(c: send lag p99 29000\.0 ms .*pass --allow-invalid to gate it anyway$/,
    );
    expect(() => refuseInvalid([['candidate', run(liveValidity(conditions))]])).not.toThrow();
    // results written before validity existed are not refused
    expect(() => refuseInvalid([['baseline', { configurations: [{ name: 'c' }] } as unknown as ResultsFile]])).not.toThrow();
  });
});
