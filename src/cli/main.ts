/**
 * The `bench` command line. Flags are described once, in the tables below; their defaults live
 * with the code that uses them. User mistakes print one message and exit 2, never a stack.
 */
import yargs, { type Argv, type PositionalOptions } from 'yargs';
import { BenchError } from '../core/errors.ts';
import { didYouMean } from '../core/suggest.ts';
import { type FlagSpec, unknownFlagMessage, yargsOptions } from './flags.ts';
import { baselineCommand, BASELINE_FLAGS, gateCommand, GATE_FLAGS } from './gate-command.ts';
import { mockCommand, MOCK_FLAGS } from './mock-command.ts';
import { compareCommand, COMPARE_FLAGS, reportCommand, REPORT_FLAGS } from './report-commands.ts';
import { probeCommand, PROBE_FLAGS } from './probe-command.ts';
import { runCommand, RUN_FLAGS } from './run-command.ts';
import { traceCommand, TRACE_FLAGS } from './trace-command.ts';
import { calibrateCommand, CALIBRATE_FLAGS } from './calibrate-command.ts';
import { workerCommand, WORKER_FLAGS } from './worker-command.ts';

/** One command: its yargs usage, description, positionals and flag table, and what runs it. */
interface CommandDef {
  usage: string;
  describe: string;
  positionals?: Record<string, PositionalOptions & { describe: string }>;
  flags: Record<string, FlagSpec>;
  handler: (args: never) => Promise<number>;
}

const file = (describe: string, choices?: string[]) => ({ type: 'string' as const, describe, demandOption: true, ...(choices ? { choices } : {}) });

/** Every command, in the order help and the typo hint list them (commands are checked, and flags suggested, from it). */
const COMMANDS: Record<string, CommandDef> = {
  run: {
    usage: 'run <scenario>',
    describe: 'Simulate a scenario (every configuration of its sweep) and write results.json',
    positionals: { scenario: file('Scenario file (.ts), e.g. scenarios/cascade.ts') },
    flags: RUN_FLAGS,
    handler: runCommand,
  },
  report: {
    usage: 'report <results>',
    describe: 'Rebuild the self-contained HTML report of a run',
    positionals: { results: file('A results.json') },
    flags: REPORT_FLAGS,
    handler: reportCommand,
  },
  compare: {
    usage: 'compare <a> <b>',
    describe: 'Compare two runs of the same scenario: deltas on the terminal and compare.html',
    positionals: { a: file('results.json of the first run (before)'), b: file('results.json of the second run (after)') },
    flags: COMPARE_FLAGS,
    handler: compareCommand,
  },
  mock: {
    usage: 'mock',
    describe: 'Start the OpenAI-compatible mock LLM server (streaming, latency, pricing, ledger, faults)',
    flags: MOCK_FLAGS,
    handler: mockCommand,
  },
  worker: {
    usage: 'worker',
    describe: 'Run agent jobs of live runs started with `bench run --live --redis <url>` (BullMQ), until interrupted',
    flags: WORKER_FLAGS,
    handler: workerCommand,
  },
  probe: {
    usage: 'probe <url>',
    describe: 'Closed-loop capacity probe of an HTTP endpoint (autocannon): max requests/s and latency at N connections',
    positionals: { url: file('Endpoint URL, e.g. http://127.0.0.1:8080/agent') },
    flags: PROBE_FLAGS,
    handler: probeCommand,
  },
  gate: {
    usage: 'gate <target>',
    describe: 'Fail CI when a change makes the agent slower, costlier or worse: rerun (or read) and compare with a baseline',
    positionals: { target: file('A scenario (.ts) to run, or a results.json') },
    flags: GATE_FLAGS,
    handler: gateCommand,
  },
  baseline: {
    usage: 'baseline <scenario>',
    describe: 'Write or update a baseline for `bench gate` (results/baselines/<scenario>.json by default)',
    positionals: { scenario: file('Scenario file (.ts)') },
    flags: BASELINE_FLAGS,
    handler: baselineCommand,
  },
  trace: {
    usage: 'trace <action> <file>',
    describe:
      'Read a trace (CSV, Azure, BurstGPT, Mooncake, OTLP JSON, OpenAI log): `stats` prints its workload figures, `fit` writes a scenario that reproduces it',
    positionals: { action: file('stats | fit', ['stats', 'fit']), file: file('The trace file') },
    flags: TRACE_FLAGS,
    handler: traceCommand,
  },
  calibrate: {
    usage: 'calibrate',
    describe:
      "Measure an OpenAI-compatible endpoint over a grid of prompt × output lengths × concurrency and fit the catalog's latency parameters (an overlay file)",
    flags: CALIBRATE_FLAGS,
    handler: calibrateCommand,
  },
};

/** yargs' "Unknown argument(s): …" with the nearest flag suggested; an extra positional is named as such. */
function unknownArgumentMessage(msg: string, argv: readonly string[], table: Record<string, FlagSpec> | undefined): string {
  const m = /^Unknown arguments?: (.+)$/.exec(msg);
  if (m === null) return msg;
  const names = m[1]!.split(', ');
  const asFlag = (n: string) => argv.some((a) => a === `--${n}` || a.startsWith(`--${n}=`) || a === `-${n}` || a === `--no-${n}`);
  const extra = names.filter((n) => !asFlag(n));
  if (extra.length > 0)
    return `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((n) => `"${n}"`).join(', ')}; \`bench ${argv[0]} --help\` shows what it takes`;
  return unknownFlagMessage(msg, [...Object.keys(table ?? {}), 'help', 'version']);
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const commandName = argv[0];
  const known = commandName !== undefined && Object.hasOwn(COMMANDS, commandName);
  let cli: Argv = yargs(argv)
    .scriptName('bench')
    .usage('$0 <command> [options]\n\nBenchmark and load-simulate an LLM agent: latency, throughput and cost at 100k requests/day.');
  for (const def of Object.values(COMMANDS)) {
    cli = cli.command(
      def.usage,
      def.describe,
      (y) =>
        Object.entries(def.positionals ?? {})
          .reduce((acc, [name, p]) => acc.positional(name, p), y)
          .options(yargsOptions(def.flags)),
      async (args) => {
        exitCode = await def.handler(args as never);
      },
    );
  }
  cli = cli
    .demandCommand(1, 'Name a command; `bench --help` lists them.')
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      // yargs wraps what a flag's `coerce` throws (our range checks) in its own YError
      if (err?.name === 'YError') throw new BenchError('USAGE', err.message);
      if (err) throw err;
      throw new BenchError('USAGE', unknownArgumentMessage(msg, argv, known ? COMMANDS[commandName]!.flags : undefined));
    });
  try {
    if (commandName !== undefined && !commandName.startsWith('-') && !known) {
      const names = Object.keys(COMMANDS);
      throw new BenchError('USAGE', `unknown command "${commandName}"${didYouMean(commandName, names)}; commands: ${names.join(', ')}`);
    }
    await cli.parseAsync();
  } catch (err) {
    if (err instanceof BenchError) {
      process.stderr.write(`bench: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  return exitCode;
}
