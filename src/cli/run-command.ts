/** `bench run`: flags, progress display, summary and files. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { Options } from 'yargs';
import { runScenarioFile } from '../run.ts';
import { ConfigDoneEvent, SweepProgressEvent } from '../sweep/sweep.ts';
import { summaryNotes, summaryTable } from './summary.ts';

/** Flags of `bench run`, described once. */
export const RUN_FLAGS = {
  out: { type: 'string', describe: 'Output folder [default: results/<scenario>/<timestamp>/]' },
  seed: { type: 'number', describe: "Random seed [default: the scenario's seed]" },
  'requests-per-day': { type: 'number', describe: "Override the scenario's traffic (requests per day)" },
  'duration-hours': { type: 'number', describe: 'Override the simulated duration (hours)' },
  only: { type: 'string', describe: 'Run only configurations whose name contains this text' },
  replications: { type: 'number', describe: 'Seeds per configuration (noise estimate) [default: 1]' },
  threads: { type: 'number', describe: 'Worker threads [default: one per core]' },
  json: { type: 'boolean', default: false, describe: 'Print results JSON to stdout instead of the summary' },
} as const satisfies Record<string, Options>;

interface RunArgs {
  scenario: string;
  out?: string;
  seed?: number;
  'requests-per-day'?: number;
  'duration-hours'?: number;
  only?: string;
  replications?: number;
  threads?: number;
  json: boolean;
}

/** Runs `bench run`; resolves with the exit code. */
export async function runCommand(args: RunArgs): Promise<number> {
  const tty = process.stderr.isTTY === true && !args.json;
  let bar: cliProgress.MultiBar | undefined;
  const bars = new Map<string, cliProgress.SingleBar>();
  const { results, outDir } = await runScenarioFile(args.scenario, {
    ...(args.out !== undefined ? { outDir: args.out } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    ...(args['requests-per-day'] !== undefined ? { requestsPerDay: args['requests-per-day'] } : {}),
    ...(args['duration-hours'] !== undefined ? { durationHours: args['duration-hours'] } : {}),
    ...(args.only !== undefined ? { only: args.only } : {}),
    ...(args.replications !== undefined ? { replications: args.replications } : {}),
    ...(args.threads !== undefined ? { threads: args.threads } : {}),
    listen(sweep) {
      if (tty) {
        bar = new cliProgress.MultiBar(
          { format: ' {bar} {percentage}% | {config}', hideCursor: true, clearOnComplete: false, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        );
      }
      sweep.addEventListener('progress', (e) => {
        if (bar === undefined) return;
        const ev = e as SweepProgressEvent;
        let b = bars.get(ev.config);
        if (b === undefined) bars.set(ev.config, (b = bar.create(ev.total, 0, { config: ev.config })));
        b.update(ev.done, { config: ev.config });
      });
      sweep.addEventListener('config-done', (e) => {
        const r = (e as ConfigDoneEvent).result;
        if (bar !== undefined) {
          bars.get(r.name)?.update(r.requests.total, { config: `${r.name} ✓` });
        } else if (!args.json) {
          process.stderr.write(`done: ${r.name} (${Math.round(r.engine.wallMs)} ms)\n`);
        }
      });
    },
  });
  bar?.stop();
  if (args.json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
    return 0;
  }
  const lines = [`\n${results.scenario.name}: ${results.scenario.description}`, '', summaryTable(results), '', ...summaryNotes(results)];
  if (outDir !== null) {
    const reportPath = await writeReportIfAvailable(results, outDir);
    lines.push('', `results: ${join(outDir, 'results.json')}`);
    if (reportPath !== null) lines.push(`report:  ${reportPath}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

async function writeReportIfAvailable(results: Parameters<typeof summaryTable>[0], outDir: string): Promise<string | null> {
  const path = join(outDir, 'report.html');
  const { renderReport } = await import('../report/index.ts');
  writeFileSync(path, renderReport(results));
  return path;
}
