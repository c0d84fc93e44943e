/** `bench trace stats <file>` and `bench trace fit <file> --out <scenario.ts>`. */
import { existsSync, writeFileSync } from 'node:fs';
import { buildCatalog } from '../provider/catalog.ts';
import { BenchError } from '../core/errors.ts';
import { columnsText, parseColumns } from '../trace/csv.ts';
import { badRowsNote, readTrace } from '../trace/read.ts';
import { fittedScenarioSource } from '../trace/scenario-file.ts';
import { DISPERSION_WINDOWS_S, traceStats, type TraceStats } from '../trace/stats.ts';
import type { TokenFit } from '../trace/token-fit.ts';
import { TRACE_FORMATS, type TraceFormat } from '../trace/trace.ts';
import type { FlagSpec } from './flags.ts';

/** Flags of `bench trace`. */
export const TRACE_FLAGS = {
  'trace-format': { type: 'string', choices: TRACE_FORMATS, describe: 'The trace format [default: detected from the first line]' },
  columns: {
    type: 'string',
    check: columnsText,
    describe: 'CSV columns, e.g. timestamp=ts:ms,input=prompt_tokens,output=completion_tokens,model=model,session=user',
  },
  out: { type: 'string', describe: 'fit: the scenario file to write (.ts)' },
  model: { type: 'string', describe: 'fit: the routing model of kinds whose logged model is not in the catalog [default: gpt-4o-mini]' },
  force: { type: 'boolean', default: false, describe: 'fit: overwrite --out if it exists' },
  json: { type: 'boolean', default: false, describe: 'stats: print the figures as JSON' },
} as const satisfies Record<string, FlagSpec>;

interface TraceArgs {
  action: 'stats' | 'fit';
  file: string;
  'trace-format'?: TraceFormat;
  columns?: string;
  out?: string;
  model?: string;
  force: boolean;
  json: boolean;
}

/** Runs `bench trace <action> <file>`; resolves with the exit code. */
export async function traceCommand(args: TraceArgs): Promise<number> {
  if (args.action === 'fit' && args.out === undefined) throw new BenchError('USAGE', 'bench trace fit needs --out <scenario.ts>');
  if (args.out !== undefined && existsSync(args.out) && !args.force) throw new BenchError('USAGE', `--out ${args.out} exists; pass --force to overwrite it`);
  const trace = await readTrace(args.file, {
    ...(args['trace-format'] !== undefined ? { format: args['trace-format'] } : {}),
    ...(args.columns !== undefined ? { columns: parseColumns(args.columns) } : {}),
  });
  const bad = badRowsNote(trace);
  if (bad !== null) process.stderr.write(`${bad}\n`);
  if (args.action === 'stats') {
    const stats = traceStats(trace);
    process.stdout.write(args.json ? `${JSON.stringify(stats, null, 1)}\n` : `${statsText(stats).join('\n')}\n`);
    return 0;
  }
  const catalog = buildCatalog();
  const model = args.model ?? 'gpt-4o-mini';
  if (catalog[model]?.kind !== 'chat')
    throw new BenchError('USAGE', `--model "${model}" is not a chat model in the catalog; known: ${Object.keys(catalog).join(', ')}`);
  writeFileSync(
    args.out!,
    fittedScenarioSource(trace, (id) => catalog[id]?.kind === 'chat', model),
  );
  process.stdout.write(`wrote ${args.out} (fitted to ${trace.count.toLocaleString('en-US')} requests of ${trace.file}); run it with: bench run ${args.out}\n`);
  return 0;
}

/** The figures of `bench trace stats`, one per line. */
function statsText(s: TraceStats): string[] {
  const hourLabel = s.hoursAre === 'utc' ? 'hour (UTC)' : 'hour since start';
  const lines = [
    `${s.file} (${s.format}): ${s.requests.toLocaleString('en-US')} requests over ${s.spanHours.toFixed(3)} h${s.badRows > 0 ? `, ${s.badRows} bad rows skipped` : ''}`,
    `rate: ${Math.round(s.requestsPerDay).toLocaleString('en-US')} requests/day`,
    `hourly profile (${hourLabel}, relative rate; ${s.coveredHours} of 24 hours covered): ${s.hourlyProfile.map((r) => r.toFixed(2)).join(' ')}`,
    s.diurnal === null
      ? 'diurnal fit: needs a trace of at least a day'
      : `diurnal fit: peak hour ${s.diurnal.peakHour}, peak-to-trough ${s.diurnal.peakToTrough}, R² ${s.diurnal.r2}`,
    `burstiness: inter-arrival CV ${s.interArrivalCv} (Poisson: 1); index of dispersion ${DISPERSION_WINDOWS_S.map((w) => `${fmt(s.dispersion[String(w)])} (${w} s)`).join(', ')} (Poisson: 1)`,
    tokenLine('input tokens', s.inputTokens),
    tokenLine('output tokens', s.outputTokens),
    Object.keys(s.modelMix).length === 0
      ? 'models: not in the trace'
      : `models: ${Object.entries(s.modelMix)
          .map(([m, share]) => `${m} ${(share * 100).toFixed(1)}%`)
          .join(', ')}`,
    s.sessions === null
      ? 'sessions: not in the trace'
      : `sessions: ${s.sessions.count.toLocaleString('en-US')}, ${s.sessions.requestsPerSession} requests each; ${(s.sessions.continuingShare * 100).toFixed(1)}% of requests continue a session`,
  ];
  if (s.prefixReuse !== null)
    lines.push(
      `prefix reuse: ${(s.prefixReuse.reusedTokenShare * 100).toFixed(1)}% of input tokens are in ${s.prefixReuse.blockTokens}-token blocks sent before`,
    );
  return lines;
}

function tokenLine(label: string, f: TokenFit): string {
  const s = f.summary;
  return (
    `${label}: mean ${s.mean.toFixed(1)}, p50 ${s.p50}, p90 ${s.p90}, p99 ${s.p99}, max ${s.max}; ` +
    `lognormal(mean ${f.lognormal.mean}, cv ${f.lognormal.cv}) KS ${f.lognormal.ks.toFixed(4)}, empirical quantiles KS ${f.empirical.ks.toFixed(4)} → ${f.chosen}`
  );
}

function fmt(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? 'n/a' : String(x);
}
