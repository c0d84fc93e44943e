/**
 * The `bench` command line. Flags are described once, in the tables below; their defaults live
 * with the code that uses them. User mistakes print one message and exit 2, never a stack.
 */
import yargs, { type Argv } from 'yargs';
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

/** Each command's flag table (commands are checked, and flags suggested, from it). */
const COMMAND_FLAGS = {
  run: RUN_FLAGS,
  report: REPORT_FLAGS,
  compare: COMPARE_FLAGS,
  mock: MOCK_FLAGS,
  worker: WORKER_FLAGS,
  probe: PROBE_FLAGS,
  gate: GATE_FLAGS,
  baseline: BASELINE_FLAGS,
  trace: TRACE_FLAGS,
  calibrate: CALIBRATE_FLAGS,
} as const satisfies Record<string, Record<string, FlagSpec>>;

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
  const flagTable: Record<string, FlagSpec> | undefined = commandName === undefined ? undefined : COMMAND_FLAGS[commandName as keyof typeof COMMAND_FLAGS];
  const cli: Argv = yargs(argv)
    .scriptName('bench')
    .usage('$0 <command> [options]\n\nBenchmark and load-simulate an LLM agent: latency, throughput and cost at 100k requests/day.')
    .command(
      'run <scenario>',
      'Simulate a scenario (every configuration of its sweep) and write results.json',
      (y) =>
        y
          .positional('scenario', { type: 'string', describe: 'Scenario file (.ts), e.g. scenarios/cascade.ts', demandOption: true })
          .options(yargsOptions(RUN_FLAGS)),
      async (args) => {
        exitCode = await runCommand(args as never);
      },
    )
    .command(
      'trace <action> <file>',
      'Read a trace (CSV, Azure, BurstGPT, Mooncake, OTLP JSON, OpenAI log): `stats` prints its workload figures, `fit` writes a scenario that reproduces it',
      (y) =>
        y
          .positional('action', { type: 'string', choices: ['stats', 'fit'], describe: 'stats | fit', demandOption: true })
          .positional('file', { type: 'string', describe: 'The trace file', demandOption: true })
          .options(yargsOptions(TRACE_FLAGS)),
      async (args) => {
        exitCode = await traceCommand(args as never);
      },
    )
    .command(
      'calibrate',
      "Measure an OpenAI-compatible endpoint over a grid of prompt × output lengths × concurrency and fit the catalog's latency parameters (an overlay file)",
      (y) => y.options(yargsOptions(CALIBRATE_FLAGS)),
      async (args) => {
        exitCode = await calibrateCommand(args as never);
      },
    )
    .command(
      'report <results>',
      'Rebuild the self-contained HTML report of a run',
      (y) => y.positional('results', { type: 'string', describe: 'A results.json', demandOption: true }).options(yargsOptions(REPORT_FLAGS)),
      async (args) => {
        exitCode = await reportCommand(args as never);
      },
    )
    .command(
      'compare <a> <b>',
      'Compare two runs of the same scenario: deltas on the terminal and compare.html',
      (y) =>
        y
          .positional('a', { type: 'string', describe: 'results.json of the first run (before)', demandOption: true })
          .positional('b', { type: 'string', describe: 'results.json of the second run (after)', demandOption: true })
          .options(yargsOptions(COMPARE_FLAGS)),
      async (args) => {
        exitCode = await compareCommand(args as never);
      },
    )
    .command(
      'mock',
      'Start the OpenAI-compatible mock LLM server (streaming, latency, pricing, ledger, faults)',
      (y) => y.options(yargsOptions(MOCK_FLAGS)),
      async (args) => {
        exitCode = await mockCommand(args as never);
      },
    )
    .command(
      'worker',
      'Run agent jobs of live runs started with `bench run --live --redis <url>` (BullMQ), until interrupted',
      (y) => y.options(yargsOptions(WORKER_FLAGS)),
      async (args) => {
        exitCode = await workerCommand(args as never);
      },
    )
    .command(
      'probe <url>',
      'Closed-loop capacity probe of an HTTP endpoint (autocannon): max requests/s and latency at N connections',
      (y) =>
        y
          .positional('url', { type: 'string', describe: 'Endpoint URL, e.g. http://127.0.0.1:8080/agent', demandOption: true })
          .options(yargsOptions(PROBE_FLAGS)),
      async (args) => {
        exitCode = await probeCommand(args as never);
      },
    )
    .command(
      'gate <target>',
      'Fail CI when a change makes the agent slower, costlier or worse: rerun (or read) and compare with a baseline',
      (y) =>
        y
          .positional('target', { type: 'string', describe: 'A scenario (.ts) to run, or a results.json', demandOption: true })
          .options(yargsOptions(GATE_FLAGS)),
      async (args) => {
        exitCode = await gateCommand(args as never);
      },
    )
    .command(
      'baseline <scenario>',
      'Write or update a baseline for `bench gate` (results/baselines/<scenario>.json by default)',
      (y) => y.positional('scenario', { type: 'string', describe: 'Scenario file (.ts)', demandOption: true }).options(yargsOptions(BASELINE_FLAGS)),
      async (args) => {
        exitCode = await baselineCommand(args as never);
      },
    )
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
      throw new BenchError('USAGE', unknownArgumentMessage(msg, argv, flagTable));
    });
  try {
    if (commandName !== undefined && !commandName.startsWith('-') && !(commandName in COMMAND_FLAGS)) {
      const names = Object.keys(COMMAND_FLAGS);
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
