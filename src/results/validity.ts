/**
 * Validity records of a live run (like tinybench's timer diagnostics): each says what was
 * measured against which threshold, and whether the run's latency figures can be trusted.
 */
import { z } from 'zod';

/** One check of a run's measurement conditions. */
export const validityRecordSchema = z.object({
  kind: z.enum(['send-lag', 'late-starts', 'event-loop-delay', 'target-errors', 'sim-divergence']),
  valid: z.boolean(),
  observed: z.number(),
  threshold: z.number(),
  /** What observed and threshold are in. */
  unit: z.enum(['ms', 'share']),
  message: z.string(),
});
/** One check of a run's measurement conditions. */
export type ValidityRecord = z.infer<typeof validityRecordSchema>;

/** Send lag allowed at p99, wall ms, before a run is invalid (at least; 5% of TTFT p50 if larger). */
const SEND_LAG_P99_LIMIT_WALL_MS = 5;
/** Share of TTFT p50 the send lag p99 may reach. */
const SEND_LAG_TTFT_SHARE = 0.05;
/** Share of requests allowed to start later than the send-lag limit. */
const LATE_START_LIMIT_SHARE = 0.01;
/** Event-loop delay p99 of the load generator allowed, wall ms. */
const EVENT_LOOP_DELAY_P99_LIMIT_MS = 50;

/** What a live run measured about itself. */
export interface LiveConditions {
  timeScale: number;
  /** Send lag p99, scenario ms. */
  sendLagP99Ms: number;
  /** Share of requests sent later than the limit. */
  lateShare: (limitScenarioMs: number) => number;
  ttftP50Ms: number;
  eventLoopDelayP99WallMs: number;
  errorRate: number;
  maxErrorRate: number;
}

/** The validity records of a live run. */
export function liveValidity(c: LiveConditions): ValidityRecord[] {
  const lagLimit = Math.max(SEND_LAG_P99_LIMIT_WALL_MS * c.timeScale, SEND_LAG_TTFT_SHARE * c.ttftP50Ms);
  const late = c.lateShare(lagLimit);
  // one decimal below 100 ms, whole ms with thousands separators above: '4.2 ms', '404,750 ms'
  const fmt = (v: number) => (Math.abs(v) < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US'));
  return [
    {
      kind: 'send-lag',
      valid: c.sendLagP99Ms <= lagLimit,
      observed: c.sendLagP99Ms,
      threshold: lagLimit,
      unit: 'ms',
      message: `send lag p99 ${fmt(c.sendLagP99Ms)} ms (scenario time) against at most ${fmt(lagLimit)} ms (max of ${SEND_LAG_P99_LIMIT_WALL_MS} ms wall, 5% of TTFT p50)`,
    },
    {
      kind: 'late-starts',
      valid: late <= LATE_START_LIMIT_SHARE,
      observed: late,
      threshold: LATE_START_LIMIT_SHARE,
      unit: 'share',
      message: `${(late * 100).toFixed(2)}% of requests started more than ${fmt(lagLimit)} ms late (at most ${LATE_START_LIMIT_SHARE * 100}%)`,
    },
    {
      kind: 'event-loop-delay',
      valid: c.eventLoopDelayP99WallMs <= EVENT_LOOP_DELAY_P99_LIMIT_MS,
      observed: c.eventLoopDelayP99WallMs,
      threshold: EVENT_LOOP_DELAY_P99_LIMIT_MS,
      unit: 'ms',
      message: `load generator event-loop delay p99 ${fmt(c.eventLoopDelayP99WallMs)} ms wall (at most ${EVENT_LOOP_DELAY_P99_LIMIT_MS} ms)`,
    },
    {
      kind: 'target-errors',
      valid: c.errorRate <= c.maxErrorRate,
      observed: c.errorRate,
      threshold: c.maxErrorRate,
      unit: 'share',
      message: `${(c.errorRate * 100).toFixed(2)}% of requests failed at the target (the scenario allows ${(c.maxErrorRate * 100).toFixed(2)}%)`,
    },
  ];
}

/** The records that make a run invalid. */
export function invalidRecords(records: readonly ValidityRecord[] | undefined): ValidityRecord[] {
  return (records ?? []).filter((r) => !r.valid);
}
