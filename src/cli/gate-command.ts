/** `bench gate` and `bench baseline`: their flags, described once, and what each command does. */
import { writeFileSync } from 'node:fs';
import { type FlagSpec, REPLICATIONS_RULE, SEED_RULE, THREADS_HELP, THREADS_RULE } from './flags.ts';
import { BenchError } from '../core/errors.ts';
import { writeBaseline } from '../gate/baseline.ts';
import { formatGateJunit, formatGateMarkdown, formatGateTable } from '../gate/format.ts';
import { exitCodeFor } from '../gate/gate.ts';
import { runGate } from '../gate/run.ts';
import {
  DEFAULT_BASELINE_REPLICATIONS,
  DEFAULT_GATE_CONFIDENCE,
  DEFAULT_GATE_THRESHOLDS,
  parseThresholdFlag,
  type ThresholdOverrides,
} from '../gate/thresholds.ts';

const defaultsText = Object.entries(DEFAULT_GATE_THRESHOLDS)
  .map(
    ([m, t]) =>
      `${m}=${[t.relative !== undefined ? `${Number((t.relative * 100).toFixed(4))}%` : '', t.absolute !== undefined ? `${t.absolute}` : ''].filter(Boolean).join(',')}`,
  )
  .join(' ');

/** Flags of `bench gate <scenario.ts|results.json>`. */
export const GATE_FLAGS = {
  baseline: { type: 'string', demandOption: true, describe: 'Baseline to gate against (written by `bench baseline`, e.g. results/baselines/<scenario>.json)' },
  threshold: {
    type: 'string',
    array: true,
    describe: `Allowed worsening of a metric, repeatable: metric=5% (relative), metric=0.02 (absolute, metric's unit), metric=5%,0.02 (both), metric=off [default: the scenario's gate.thresholds, else ${defaultsText}]`,
  },
  replications: { type: 'number', range: REPLICATIONS_RULE, describe: "Seeds per configuration [default: the baseline's]" },
  seed: { type: 'number', range: SEED_RULE, describe: "First seed [default: the baseline's]" },
  'requests-per-day': {
    type: 'number',
    range: { above: 0 },
    describe: "Traffic of the candidate run [default: the baseline's, scaled by changes to the scenario's traffic]",
  },
  confidence: {
    type: 'number',
    range: { above: 0, below: 1 },
    describe: `Confidence of the noise intervals [default: the scenario's gate.confidence, else ${DEFAULT_GATE_CONFIDENCE}]`,
  },
  markdown: { type: 'boolean', default: false, describe: 'Print the report as Markdown on stdout (for $GITHUB_STEP_SUMMARY); the table goes to stderr' },
  junit: { type: 'string', describe: 'Also write a JUnit XML report to this file' },
  json: { type: 'string', describe: 'Also write the full gate report as JSON to this file' },
  out: { type: 'string', describe: "Also write the candidate run's results.json into this folder" },
  'allow-invalid': {
    type: 'boolean',
    default: false,
    describe: 'Gate runs whose validity records failed (send lag, late starts, event-loop delay, target errors); without it they exit 2',
  },
  threads: { type: 'number', range: THREADS_RULE, describe: THREADS_HELP },
} as const satisfies Record<string, FlagSpec>;

/** Flags of `bench baseline <scenario.ts>`. */
export const BASELINE_FLAGS = {
  out: { type: 'string', describe: 'Output file [default: results/baselines/<scenario>.json]' },
  replications: {
    type: 'number',
    range: REPLICATIONS_RULE,
    describe: `Seeds per configuration [default: the scenario's gate.replications, else ${DEFAULT_BASELINE_REPLICATIONS}]`,
  },
  'requests-per-day': {
    type: 'number',
    range: { above: 0 },
    describe: "Traffic override, e.g. reduced for CI time (recorded; the gate reruns with it) [default: the scenario's]",
  },
  seed: { type: 'number', range: SEED_RULE, describe: "First seed [default: the scenario's seed]" },
  'duration-hours': { type: 'number', range: { above: 0 }, describe: 'Override the simulated duration (hours)' },
  only: { type: 'string', describe: 'Record only the configurations named (as bench run --only: exact names or axis choices, several separated by commas)' },
  threads: { type: 'number', range: THREADS_RULE, describe: THREADS_HELP },
} as const satisfies Record<string, FlagSpec>;

/** Parsed arguments of `bench gate`. */
export interface GateArgs {
  target: string;
  baseline: string;
  threshold?: string[];
  replications?: number;
  seed?: number;
  'requests-per-day'?: number;
  confidence?: number;
  markdown: boolean;
  junit?: string;
  json?: string;
  out?: string;
  threads?: number;
  'allow-invalid'?: boolean;
}

/** Parsed arguments of `bench baseline`. */
export interface BaselineArgs {
  scenario: string;
  out?: string;
  replications?: number;
  'requests-per-day'?: number;
  seed?: number;
  'duration-hours'?: number;
  only?: string;
  threads?: number;
}

/** `--threshold` flags as overrides; a metric given twice is a usage error. */
export function thresholdOverrides(flags: readonly string[] = []): ThresholdOverrides {
  const out: ThresholdOverrides = {};
  for (const flag of flags) {
    const [metric, threshold] = parseThresholdFlag(flag);
    if (metric in out) throw new BenchError('USAGE', `--threshold: ${metric} is given twice; give each metric once.`);
    out[metric] = threshold;
  }
  return out;
}

/** Runs `bench gate`; resolves with the exit code (0 pass, 1 regression; incomparable inputs throw → 2). */
export async function gateCommand(args: GateArgs, io: { stdout: (text: string) => void; stderr: (text: string) => void } = defaultIo): Promise<number> {
  const report = await runGate({
    target: args.target,
    baseline: args.baseline,
    thresholds: thresholdOverrides(args.threshold),
    ...(args.replications !== undefined ? { replications: args.replications } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    ...(args['requests-per-day'] !== undefined ? { requestsPerDay: args['requests-per-day'] } : {}),
    ...(args.confidence !== undefined ? { confidence: args.confidence } : {}),
    ...(args.threads !== undefined ? { threads: args.threads } : {}),
    ...(args.out !== undefined ? { outDir: args.out } : {}),
    ...(args['allow-invalid'] ? { allowInvalid: true } : {}),
  });
  const table = `${formatGateTable(report)}\n`;
  if (args.markdown) {
    io.stdout(formatGateMarkdown(report));
    io.stderr(table);
  } else {
    io.stdout(table);
  }
  if (args.junit !== undefined) writeFileSync(args.junit, formatGateJunit(report));
  if (args.json !== undefined) writeFileSync(args.json, `${JSON.stringify(report, null, 1)}\n`);
  return exitCodeFor(report);
}

/** Runs `bench baseline`; resolves with the exit code. */
export async function baselineCommand(args: BaselineArgs, io: { stdout: (text: string) => void; stderr: (text: string) => void } = defaultIo): Promise<number> {
  const started = performance.now();
  const path = await writeBaseline(args.scenario, {
    ...(args.out !== undefined ? { out: args.out } : {}),
    ...(args.replications !== undefined ? { replications: args.replications } : {}),
    ...(args['requests-per-day'] !== undefined ? { requestsPerDay: args['requests-per-day'] } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    ...(args['duration-hours'] !== undefined ? { durationHours: args['duration-hours'] } : {}),
    ...(args.only !== undefined ? { only: args.only } : {}),
    ...(args.threads !== undefined ? { threads: args.threads } : {}),
  });
  io.stdout(`baseline: ${path} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  return 0;
}

const defaultIo = {
  stdout: (text: string) => void process.stdout.write(text),
  stderr: (text: string) => void process.stderr.write(text),
};
