/** `bench run`: flags, progress display, summary and files. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { BenchError } from '../core/errors.ts';
import { fidelityMarkdown, fidelityRows, recordSimDivergence } from '../results/fidelity.ts';
import { writeJsonAtomic } from '../results/write.ts';
import type { ResultsFile } from '../results/schema.ts';
import { formatDuration, formatPct } from '../report/numbers.ts';
import { runScenarioFile, type RunOptions } from '../sweep/run.ts';
import { DEFAULT_MAX_REQUESTS, describeRunSize } from '../sweep/run-size.ts';
import type { ConfigDoneEvent, Sweep, SweepProgressEvent } from '../sweep/sweep.ts';
import { type LiveProgress, progressLine } from '../live/meter.ts';
import { durationText, type FlagSpec, parseDurationS, REPLICATIONS_RULE, SEED_RULE, THREADS_HELP, THREADS_RULE, TIME_SCALE_RULE } from './flags.ts';
import { invalidLines, quietLines, summaryJson, summaryNotes, summaryTable } from './summary.ts';
import { watchInterrupts, type Interruption } from './interrupt.ts';
import { ReportThread } from './report-thread.ts';
import { TRACE_FORMATS, type TraceFormat } from '../trace/trace.ts';
import type { TraceSpec } from '../trace/replay.ts';
import { columnsText } from '../trace/csv.ts';
import { redisRunOptions, RUN_REDIS_FLAGS, type RunRedisArgs } from './worker-command.ts';

/** Flags of `bench run`, described once. */
export const RUN_FLAGS = {
  out: { type: 'string', describe: 'Output folder [default: results/<scenario>/<timestamp>/]' },
  seed: { type: 'number', range: SEED_RULE, describe: "Random seed [default: the scenario's seed]" },
  'requests-per-day': { type: 'number', range: { above: 0 }, describe: "Override the scenario's traffic (requests per day)" },
  'duration-hours': { type: 'number', range: { above: 0 }, describe: 'Override the simulated duration (hours)' },
  only: {
    type: 'string',
    describe:
      'Run only the configurations named: a whole name, or axis choices (draft, streaming=draft, "routing=mini workers=8"), each matched exactly; several separated by commas (draft,off)',
  },
  replications: { type: 'number', range: REPLICATIONS_RULE, describe: 'Seeds per configuration (noise estimate) [default: 1]' },
  threads: { type: 'number', range: THREADS_RULE, describe: THREADS_HELP },
  'max-requests': {
    type: 'number',
    range: { integer: true, min: 1 },
    describe: `Refuse a run whose configurations would each simulate more requests than this (memory and time grow with it) [default: ${DEFAULT_MAX_REQUESTS.toLocaleString('en-US')}]`,
  },
  json: {
    type: 'boolean',
    default: false,
    describe:
      'Print a JSON summary (headline metrics per configuration and the findings, under 100 KB) instead of the table; the full data stays in results.json',
  },
  quiet: { type: 'boolean', default: false, describe: 'Print only the headline finding and the paths of the files written' },
  ledger: { type: 'boolean', default: false, describe: 'Also write every call of each configuration to ledger-<configuration>.csv' },
  live: { type: 'boolean', default: false, describe: 'Play the traffic in real time over HTTP (mock-llm unless --target) instead of simulating' },
  target: { type: 'string', describe: 'Live: OpenAI-compatible base URL with /v1 (key from env BENCH_API_KEY or OPENAI_API_KEY) [default: start mock-llm]' },
  'time-scale': { type: 'number', range: TIME_SCALE_RULE, default: 1, describe: 'Live: play k times faster (mock-llm latencies scaled alike)' },
  duration: { type: 'string', check: durationText, describe: 'Live: play only this much wall time of the day, e.g. 90s, 10m, 1h (sets --duration-hours)' },
  'compare-sim': { type: 'boolean', default: false, describe: 'Live: also simulate, and print simulated vs live per metric' },
  trace: { type: 'string', describe: "Replay this trace file (CSV, Azure, BurstGPT, Mooncake, OTLP JSON, OpenAI log) instead of the scenario's traffic" },
  'trace-format': { type: 'string', choices: TRACE_FORMATS, describe: 'Trace: its format [default: detected from the first line]' },
  columns: {
    type: 'string',
    check: columnsText,
    describe: 'Trace (CSV): columns, e.g. timestamp=ts:ms,input=prompt_tokens,output=completion_tokens,model=model,session=user',
  },
  prices: {
    type: 'string',
    describe:
      'JSON file of prices per model ({ "gpt-4o": { "inputPer1M": 2.5, "outputPer1M": 10, "source": "…", "asOf": "YYYY-MM-DD" } }) replacing the catalog\'s',
  },
  'trace-speed': { type: 'number', range: { above: 0 }, describe: 'Trace: play k times faster than logged (or use --requests-per-day) [default: 1]' },
  ...RUN_REDIS_FLAGS,
} as const satisfies Record<string, FlagSpec>;

interface RunArgs extends RunRedisArgs {
  scenario: string;
  out?: string;
  seed?: number;
  'requests-per-day'?: number;
  'duration-hours'?: number;
  only?: string;
  replications?: number;
  threads?: number;
  'max-requests'?: number;
  json: boolean;
  quiet: boolean;
  ledger: boolean;
  live: boolean;
  target?: string;
  'time-scale': number;
  duration?: string;
  'compare-sim': boolean;
  trace?: string;
  'trace-format'?: TraceFormat;
  columns?: string;
  'trace-speed'?: number;
  prices?: string;
}

/** The trace part of `bench run`'s flags, or undefined without --trace. */
function traceSpec(args: RunArgs): TraceSpec | undefined {
  if (args.trace === undefined) {
    if (args['trace-format'] !== undefined || args.columns !== undefined || args['trace-speed'] !== undefined) {
      throw new BenchError('USAGE', '--trace-format, --columns and --trace-speed need --trace <file>');
    }
    return undefined;
  }
  if (args.redis !== undefined)
    throw new BenchError('USAGE', '--trace with --redis is not supported yet: BullMQ workers draw their requests from the scenario');
  return {
    file: args.trace,
    ...(args['trace-format'] !== undefined ? { format: args['trace-format'] } : {}),
    ...(args.columns !== undefined ? { columns: args.columns } : {}),
    ...(args['trace-speed'] !== undefined ? { speed: args['trace-speed'] } : {}),
  };
}

/** Runs `bench run`; resolves with the exit code. */
export async function runCommand(args: RunArgs): Promise<number> {
  if (args.json && args.quiet) throw new BenchError('USAGE', '--json and --quiet cannot be used together: pick one output');
  const tty = process.stderr.isTTY === true && !args.json && !args.quiet;
  if (!args.live && (args.target !== undefined || args.duration !== undefined || args['compare-sim'])) {
    throw new BenchError('USAGE', '--target, --duration and --compare-sim need --live');
  }
  const durationHours = args.duration !== undefined ? (parseDurationS(args.duration) * args['time-scale']) / 3600 : args['duration-hours'];
  const apiKey = process.env.BENCH_API_KEY ?? process.env.OPENAI_API_KEY;
  const redis = redisRunOptions(args);
  const trace = traceSpec(args);
  const liveView: LiveView = {};
  const live = args.live
    ? {
        timeScale: args['time-scale'],
        ...(args.target !== undefined ? { target: args.target } : {}),
        ...(args.target !== undefined && apiKey ? { apiKey } : {}),
        ...(redis !== undefined ? { redis } : {}),
        // running req/s, p95 e2e, errors and send lag; shown once the display exists (runAndReport)
        onLiveProgress: (p: LiveProgress) => liveView.show?.(p),
      }
    : undefined;
  // started now: its modules load while the run runs, and an interrupted run can wait for the page with a deadline
  const report = new ReportThread();
  const interruption = watchInterrupts();
  try {
    return await runAndReport(args, { durationHours, live, liveView, trace, tty, report, signal: interruption.signal }, interruption);
  } finally {
    interruption.dispose();
    void report.close();
  }
}

/** Where a live run's running figures go (set once the progress display exists). */
interface LiveView {
  show?: (p: LiveProgress) => void;
}

interface RunPlan {
  durationHours: number | undefined;
  live: RunOptions['live'];
  liveView: LiveView;
  trace: RunOptions['trace'];
  tty: boolean;
  report: ReportThread;
  signal: AbortSignal;
}

async function runAndReport(args: RunArgs, plan: RunPlan, interruption: Interruption): Promise<number> {
  const { durationHours, live, trace } = plan;
  const progress = new RunProgress(args, plan);
  const { results, outDir } = await runScenarioFile(args.scenario, {
    signal: plan.signal,
    ...(args.out !== undefined ? { outDir: args.out } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    ...(args['requests-per-day'] !== undefined ? { requestsPerDay: args['requests-per-day'] } : {}),
    ...(durationHours !== undefined ? { durationHours } : {}),
    ...(live !== undefined ? { live } : {}),
    ...(trace !== undefined ? { trace } : {}),
    ...(args.prices !== undefined ? { pricesFile: args.prices } : {}),
    ...(args.ledger ? { ledger: true } : {}),
    ...(args.only !== undefined ? { only: args.only } : {}),
    ...(args.replications !== undefined ? { replications: args.replications } : {}),
    ...(args.threads !== undefined ? { threads: args.threads } : {}),
    ...(args['max-requests'] !== undefined ? { maxRequests: args['max-requests'] } : {}),
    listen: (sweep) => progress.listen(sweep),
  });
  progress.stop();
  const stoppedBy = interruption.received();
  if (stoppedBy !== null) {
    const kept = `${results.configurations.length} of ${results.configurations.length + results.missing.length} configurations`;
    let where = 'nothing written';
    if (outDir !== null) {
      const resultsPath = join(outDir, 'results.json');
      // results.json is on disk already; the page only if it is drawn within the stop bound
      const reportPath = await writeReport(plan.report, results, outDir, interruption.saveUntilMs());
      where =
        reportPath === null
          ? `in ${resultsPath} (marked partial: ${results.missing.length} did not finish); report.html was not drawn within the stop bound: \`bench report ${resultsPath}\` draws it`
          : `in ${resultsPath} and ${reportPath} (marked partial: ${results.missing.length} did not finish)`;
    }
    process.stderr.write(`bench run: interrupted by ${stoppedBy}; kept ${kept} ${where}\n`);
    return interruption.exitCode(0);
  }
  const fidelity = args['compare-sim'] ? await compareWithSimulation(args, plan, results, outDir) : null;
  const reportPath = outDir === null ? null : await writeReport(plan.report, results, outDir);
  const paths = { results: outDir === null ? null : join(outDir, 'results.json'), report: reportPath };
  if (args.json) process.stdout.write(`${JSON.stringify(summaryJson(results, paths))}\n`);
  else if (args.quiet) process.stdout.write(`${quietLines(results, paths).join('\n')}\n`);
  else process.stdout.write(`${summaryLines(results, fidelity, paths).join('\n')}\n`);
  return 0;
}

/** What a run prints while it runs: its size, then a bar per configuration on a terminal, or a line every few seconds. */
class RunProgress {
  private bar: cliProgress.MultiBar | undefined;
  private readonly bars = new Map<string, cliProgress.SingleBar>();

  constructor(
    private readonly args: RunArgs,
    private readonly plan: RunPlan,
  ) {}

  listen(sweep: Sweep): void {
    const { args, plan } = this;
    if (!args.quiet) {
      process.stderr.write(
        `${plan.live === undefined ? describeRunSize(sweep.size(), sweep.threads()) : `playing ${sweep.size().configurations} configuration(s) live`}\n`,
      );
      if (!plan.tty) reportProgressEvery(sweep, PROGRESS_EVERY_MS, plan.live === undefined ? 'simulated' : 'played');
      // without a terminal: one line of live figures every PROGRESS_EVERY_MS, not every second
      if (!plan.tty && plan.live !== undefined)
        plan.liveView.show = everyMs(PROGRESS_EVERY_MS, (p) => process.stderr.write(`live: ${p.configuration}: ${progressLine(p)}\n`));
    }
    if (plan.tty) {
      const multi = new cliProgress.MultiBar(
        { format: ' {bar} {percentage}% | {config} {live}', hideCursor: true, clearOnComplete: false, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      );
      this.bar = multi;
      plan.liveView.show = (p) => {
        let b = this.bars.get(p.configuration);
        if (b === undefined) this.bars.set(p.configuration, (b = multi.create(p.total, 0, { config: p.configuration, live: '' })));
        b.update(p.done, { config: p.configuration, live: `| ${progressLine(p)}` });
      };
    }
    sweep.addEventListener('progress', (e) => {
      if (this.bar === undefined) return;
      const ev = e as SweepProgressEvent;
      let b = this.bars.get(ev.config);
      if (b === undefined) this.bars.set(ev.config, (b = this.bar.create(ev.total, 0, { config: ev.config, live: '' })));
      b.update(ev.done, { config: ev.config });
    });
    sweep.addEventListener('config-done', (e) => {
      const r = (e as ConfigDoneEvent).result;
      if (this.bar !== undefined) {
        this.bars.get(r.name)?.update(r.requests.total, { config: `${r.name} ✓` });
      } else if (!args.json && !args.quiet) {
        process.stderr.write(`done: ${r.name} (${Math.round(r.engine.wallMs)} ms)\n`);
      }
    });
  }

  stop(): void {
    this.bar?.stop();
  }
}

/** `--compare-sim`: simulates the same run and sets it beside the live one; the table (also written as fidelity.md). */
async function compareWithSimulation(args: RunArgs, plan: RunPlan, live: ResultsFile, outDir: string | null): Promise<string> {
  const { durationHours, trace } = plan;
  const sim = await runScenarioFile(args.scenario, {
    noWrite: true,
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    ...(args['requests-per-day'] !== undefined ? { requestsPerDay: args['requests-per-day'] } : {}),
    ...(durationHours !== undefined ? { durationHours } : {}),
    ...(args.only !== undefined ? { only: args.only } : {}),
    ...(trace !== undefined ? { trace } : {}),
  });
  const fidelity = fidelityMarkdown(fidelityRows(sim.results, live));
  // live figures far from the simulation of the same configuration: a validity record, so results.json says so too
  recordSimDivergence(sim.results, live);
  if (outDir !== null) {
    writeFileSync(join(outDir, 'fidelity.md'), `${fidelity}\n`);
    writeJsonAtomic(join(outDir, 'results.json'), live);
  }
  return fidelity;
}

/** The terminal summary of a finished run: the table, notes, live facts and where the files are. */
function summaryLines(results: ResultsFile, fidelity: string | null, paths: { results: string | null; report: string | null }): string[] {
  const lines = [`\n${results.scenario.name}: ${results.scenario.description}`, '', summaryTable(results), '', ...summaryNotes(results)];
  if (results.trace !== undefined) lines.push(results.trace.note);
  for (const c of results.configurations) {
    if (c.live === undefined) continue;
    if (c.live.queue !== undefined) lines.push(`${c.name}: BullMQ queue ${c.live.queue.name}, ${c.live.queue.retriedJobs} job(s) retried after a worker died`);
    lines.push(
      `${c.name}: send lag p50 ${formatDuration(c.live.sendLagMs.p50)}, p99 ${formatDuration(c.live.sendLagMs.p99)} (scenario time, ×${c.live.timeScale})`,
    );
    for (const w of c.live.warnings) lines.push(`warning: ${w}`);
    lines.push(...invalidLines([c]));
  }
  if (fidelity !== null) lines.push('', 'Simulated vs live:', fidelity);
  if (paths.results !== null) lines.push('', `results: ${paths.results}`);
  if (paths.report !== null) lines.push(`report:  ${paths.report}`);
  return lines;
}

/** How often a run without a terminal (CI, a log file) prints how far it got. */
const PROGRESS_EVERY_MS = 5_000;

/** Calls `fn` at most once every `ms` (the first call 2 s in, as the other progress lines). */
function everyMs<T>(ms: number, fn: (v: T) => void): (v: T) => void {
  let last = performance.now() - ms + 2_000;
  return (v) => {
    const now = performance.now();
    if (now - last < ms) return;
    last = now;
    fn(v);
  };
}

/** Without a progress bar: one line 2 s into the run, then every `everyMs`, with the share of requests simulated (or played live) so far. */
function reportProgressEvery(sweep: Sweep, everyMs: number, verb: 'simulated' | 'played'): void {
  const done = new Map<string, { done: number; total: number }>();
  let last = performance.now() - everyMs + 2_000;
  sweep.addEventListener('progress', (e) => {
    const ev = e as SweepProgressEvent;
    done.set(ev.config, { done: ev.done, total: ev.total });
    const now = performance.now();
    if (now - last < everyMs) return;
    last = now;
    const size = sweep.size();
    const all = size.configurations * size.replications * size.requestsPerConfiguration;
    const sum = [...done.values()].reduce((a, d) => a + d.done, 0);
    process.stderr.write(
      `progress: ${formatPct(all === 0 ? 1 : sum / all)} of requests ${verb} (${done.size} of ${size.configurations} configurations started)\n`,
    );
  });
}

/** Writes report.html beside results.json; null (nothing written) when the page was not drawn by `deadlineMs` (a `performance.now()` time). */
async function writeReport(report: ReportThread, results: Parameters<typeof summaryTable>[0], outDir: string, deadlineMs = Infinity): Promise<string | null> {
  const html = await report.render(results, deadlineMs);
  if (html === null) return null;
  const path = join(outDir, 'report.html');
  writeFileSync(path, html);
  return path;
}
