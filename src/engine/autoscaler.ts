/**
 * The autoscaler rule, one pure function for the simulated executor and the BullMQ worker pool:
 * Kubernetes HPA's desired = ceil(current × metric / target), held within min/max, at most
 * `maxStep` workers per decision, and scaling down only after `cooldownS` since the last change.
 */
import type { WorkersSpec } from '../scenario/schema.ts';

/** The autoscaling policy: the scenario's `workers` when its type is `autoscale`. */
export type ScalePolicy = Extract<WorkersSpec, { type: 'autoscale' }>;

/** What the pool looks like at a decision. */
export interface ScaleState {
  /** Workers launched and not asked to leave (cold ones included). */
  current: number;
  /** Workers able to take jobs now. */
  serving: number;
  /** Workers running a job. */
  busy: number;
  /** Jobs waiting for a worker. */
  queued: number;
  /** Busy share of the serving workers since the last decision, 0–1 (the caller measures it). */
  utilization: number;
  /** Scenario ms since the last scaling change. */
  sinceLastScaleMs: number;
}

/** How many workers to add (> 0) or retire (< 0); 0 holds. */
export interface ScaleDecision {
  /** The worker count the metric asks for, within min/max. */
  desired: number;
  delta: number;
}

/** The metric the policy targets, from the pool's state. */
function metricOf(state: ScaleState, policy: ScalePolicy): number {
  const serving = Math.max(1, state.serving);
  if (policy.metric === 'utilization') {
    // a backlog means the pool is saturated whatever the busy share says
    return state.queued > 0 ? Math.max(state.utilization, (state.busy + state.queued) / serving) : state.utilization;
  }
  const jobs = policy.metric === 'jobsPerWorker' ? state.queued + state.busy : state.queued;
  return jobs / serving;
}

/** One autoscaler decision. */
export function decideScale(state: ScaleState, policy: ScalePolicy): ScaleDecision {
  const { current } = state;
  const desired = Math.min(policy.max, Math.max(policy.min, Math.ceil(current * (metricOf(state, policy) / policy.target) - 1e-9)));
  if (desired > current) return { desired, delta: Math.min(policy.maxStep, desired - current) };
  if (desired < current && state.sinceLastScaleMs >= policy.cooldownS * 1000) return { desired, delta: -Math.min(policy.maxStep, current - desired) };
  return { desired, delta: 0 };
}
