/** The autoscaler rule shared by the simulated executor and the BullMQ worker pool. */
import { describe, expect, it } from 'vitest';
import { decideScale, type ScalePolicy, type ScaleState } from '../../src/engine/autoscaler.ts';

const policy: ScalePolicy = {
  type: 'autoscale',
  min: 1,
  max: 8,
  metric: 'utilization',
  target: 0.6,
  intervalS: 30,
  maxStep: 4,
  cooldownS: 300,
  coldStartS: 0,
  costPerHourUsd: 0,
};
const state = (over: Partial<ScaleState>): ScaleState => ({ current: 2, serving: 2, busy: 0, queued: 0, utilization: 0, sinceLastScaleMs: 0, ...over });

describe('decideScale', () => {
  it('asks for ceil(current × metric / target) workers (HPA rule)', () => {
    expect(decideScale(state({ utilization: 0.9 }), policy)).toEqual({ desired: 3, delta: 1 });
    // exactly on target holds (no rounding up from 2.0000000001)
    expect(decideScale(state({ utilization: 0.6 }), policy)).toEqual({ desired: 2, delta: 0 });
  });

  it('counts a backlog as saturation whatever the busy share says', () => {
    expect(decideScale(state({ utilization: 0.1, busy: 2, queued: 4 }), policy)).toEqual({ desired: 8, delta: 4 });
  });

  it('adds at most maxStep workers and stays within min and max', () => {
    const perWorker = { ...policy, metric: 'queuePerWorker', target: 1, maxStep: 2 } as ScalePolicy;
    expect(decideScale(state({ current: 1, serving: 1, queued: 50 }), perWorker)).toEqual({ desired: 8, delta: 2 });
    expect(decideScale(state({ current: 3, serving: 3, sinceLastScaleMs: 1e9 }), perWorker)).toEqual({ desired: 1, delta: -2 });
  });

  it('scales down only after the cooldown', () => {
    const jobs = { ...policy, metric: 'jobsPerWorker', target: 1 } as ScalePolicy;
    expect(decideScale(state({ current: 4, serving: 4, busy: 1, sinceLastScaleMs: 299_999 }), jobs)).toEqual({ desired: 1, delta: 0 });
    expect(decideScale(state({ current: 4, serving: 4, busy: 1, sinceLastScaleMs: 300_000 }), jobs)).toEqual({ desired: 1, delta: -3 });
  });
});
