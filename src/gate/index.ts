/** `bench gate`: fail CI when a change makes the agent slower, costlier or worse than its baseline. */

// gating
export { gate, exitCodeFor, VERDICT_KINDS } from './gate.ts';
export type { GateOptions, GateReport, GateRow, GateRunFacts, Verdict, VerdictKind, ChangeEstimate, Sample } from './gate.ts';
export { runGate } from './run.ts';
export type { RunGateOptions } from './run.ts';

// thresholds
export {
  DEFAULT_GATE_THRESHOLDS,
  DEFAULT_GATE_CONFIDENCE,
  DEFAULT_BOOTSTRAP_RESAMPLES,
  DEFAULT_BASELINE_REPLICATIONS,
  parseThresholdFlag,
  resolveThresholds,
} from './thresholds.ts';
export type { GateMetric, Threshold, ThresholdOverrides, GatedMetric } from './thresholds.ts';

// baselines
export { writeBaseline, readBaseline, defaultBaselinePath } from './baseline.ts';
export type { BaselineOptions, BaselineFile, GateRun } from './baseline.ts';

// rendering
export { formatGateTable, formatGateMarkdown, formatGateJunit } from './format.ts';

// calibration
export { measureFalseAlarmRate } from './false-alarm.ts';
export type { FalseAlarmOptions, FalseAlarmResult } from './false-alarm.ts';

// command line
export { GATE_FLAGS, BASELINE_FLAGS, gateCommand, baselineCommand } from './command.ts';
export type { GateArgs, BaselineArgs } from './command.ts';
