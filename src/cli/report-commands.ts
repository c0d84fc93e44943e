/** `bench report` and `bench compare`: pages from results files. */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FlagSpec } from './flags.ts';
import { readResultsFile } from '../results/read.ts';
import { invalidLines } from './summary.ts';

/** Flags of `bench report`. */
export const REPORT_FLAGS = {
  out: { type: 'string', describe: 'Where to write the page [default: report.html beside results.json]' },
} as const satisfies Record<string, FlagSpec>;

/** Flags of `bench compare`. */
export const COMPARE_FLAGS = {
  out: { type: 'string', describe: 'Where to write the page [default: compare.html beside the second results.json]' },
} as const satisfies Record<string, FlagSpec>;

/** Rebuilds report.html from a results file. */
export async function reportCommand(args: { results: string; out?: string }): Promise<number> {
  const results = await readResultsFile(args.results);
  const { renderReport } = await loadReport();
  const out = args.out ?? join(dirname(args.results), 'report.html');
  writeFileSync(out, renderReport(results));
  process.stdout.write(`report: ${out}\n`);
  return 0;
}

/** Compares two runs: the delta table on the terminal, the page on disk. */
export async function compareCommand(args: { a: string; b: string; out?: string }): Promise<number> {
  const [a, b] = await Promise.all([readResultsFile(args.a), readResultsFile(args.b)]);
  const { compareTable, costVerdict, formatCompareTable, invalidRuns, renderCompare, runChanges } = await loadReport();
  const html = renderCompare(a, b);
  const out = args.out ?? join(dirname(args.b), 'compare.html');
  writeFileSync(out, html);
  const changes = runChanges(a, b);
  const lines = [
    changes.length === 0
      ? 'What changed: nothing (same scenario, traffic, seed, code and machine).'
      : `What changed:\n${changes.map((c) => `  ${c}`).join('\n')}`,
    '',
    costVerdict(a, b),
    '',
    formatCompareTable(compareTable(a, b), { color: process.stdout.isTTY === true, invalid: invalidRuns(a, b) }),
    ...[...invalidLines(a.configurations, 'in a: '), ...invalidLines(b.configurations, 'in b: ')].flatMap((l, i) => (i === 0 ? ['', l] : [l])),
    '',
    `compare: ${out}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** The report's code, loaded by the commands that draw a page: vega-lite and vega are ~400 modules no other command needs at start-up. */
function loadReport() {
  return import('../report/index.ts');
}
