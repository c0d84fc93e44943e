/** `bench calibrate`: measure an endpoint over a designed grid and write a latency overlay for the catalog. */
import { existsSync, writeFileSync } from 'node:fs';
import { BenchError } from '../core/errors.ts';
import { CALIBRATE_DEFAULTS, measureEndpoint } from '../live/calibrate.ts';
import { buildCatalog, findModel } from '../provider/catalog.ts';
import { calibrationOverlay, fitLatency } from '../provider/calibration.ts';
import { durationText, parseDurationS, TIME_SCALE_RULE, type FlagSpec } from './flags.ts';

const listText = (flag: string, text: string): string => {
  parseList(flag, text);
  return text;
};

/** Flags of `bench calibrate`. */
export const CALIBRATE_FLAGS = {
  target: { type: 'string', demandOption: true, describe: 'OpenAI-compatible base URL with /v1, e.g. http://127.0.0.1:8787/v1' },
  model: { type: 'string', demandOption: true, describe: 'The model to calibrate (its id at the endpoint, and in the overlay)' },
  'api-key-env': { type: 'string', describe: 'Environment variable holding the API key (the key is never written anywhere)' },
  requests: {
    type: 'number',
    range: { integer: true, min: 3 },
    default: CALIBRATE_DEFAULTS.requests,
    describe: 'Requests in all, spread over the concurrency levels',
  },
  concurrency: { type: 'string', check: listText, default: CALIBRATE_DEFAULTS.concurrency.join(','), describe: 'Concurrency levels, comma-separated' },
  'prompt-tokens': { type: 'string', check: listText, default: CALIBRATE_DEFAULTS.promptTokens.join(','), describe: 'Prompt lengths of the grid' },
  'output-tokens': { type: 'string', check: listText, default: CALIBRATE_DEFAULTS.outputTokens.join(','), describe: 'Output lengths (max_tokens) of the grid' },
  'max-duration': {
    type: 'string',
    check: durationText,
    default: `${CALIBRATE_DEFAULTS.maxDurationS}s`,
    describe: 'Stop sending new requests after this long',
  },
  'time-scale': {
    type: 'number',
    range: TIME_SCALE_RULE,
    default: 1,
    describe: 'The target runs k times faster than real (a mock started with --time-scale k)',
  },
  extends: { type: 'string', describe: 'Catalog model to start from when --model is not in the catalog [default: gpt-4o-mini]' },
  out: { type: 'string', demandOption: true, describe: "The overlay file to write (.json), for `bench mock --models` and a scenario's models" },
  force: { type: 'boolean', default: false, describe: 'Overwrite --out if it exists' },
} as const satisfies Record<string, FlagSpec>;

interface CalibrateArgs {
  target: string;
  model: string;
  'api-key-env'?: string;
  requests: number;
  concurrency: string;
  'prompt-tokens': string;
  'output-tokens': string;
  'max-duration': string;
  'time-scale': number;
  extends?: string;
  out: string;
  force: boolean;
}

function parseList(flag: string, text: string): number[] {
  const values = text.split(',').map((v) => Number(v.trim()));
  if (values.length === 0 || !values.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new BenchError('USAGE', `--${flag} "${text}": expected whole numbers ≥ 1, comma-separated, e.g. 1,4,16`);
  }
  return values;
}

/** Runs `bench calibrate`; resolves with the exit code. */
export async function calibrateCommand(args: CalibrateArgs): Promise<number> {
  if (existsSync(args.out) && !args.force) throw new BenchError('USAGE', `--out ${args.out} exists; pass --force to overwrite it`);
  const catalog = buildCatalog();
  const baseId = findModel(catalog, args.model) !== undefined ? args.model : (args.extends ?? 'gpt-4o-mini');
  const base = findModel(catalog, baseId);
  if (base === undefined || base.kind !== 'chat')
    throw new BenchError('USAGE', `--extends "${baseId}" is not a chat model in the catalog; known: ${Object.keys(catalog).join(', ')}`);
  const keyVar = args['api-key-env'];
  const apiKey = keyVar === undefined ? undefined : process.env[keyVar];
  if (keyVar !== undefined && !apiKey) throw new BenchError('USAGE', `--api-key-env ${keyVar}: the variable is not set`);
  const run = await measureEndpoint({
    target: args.target,
    model: args.model,
    ...(apiKey ? { apiKey } : {}),
    requests: args.requests,
    concurrency: parseList('concurrency', args.concurrency),
    promptTokens: parseList('prompt-tokens', args['prompt-tokens']),
    outputTokens: parseList('output-tokens', args['output-tokens']),
    maxDurationS: parseDurationS(args['max-duration'], 'max-duration'),
    timeScale: args['time-scale'],
    onSample: (_s, done, total) => process.stderr.write(`\rcalibrate: ${done}/${total} requests`),
  });
  process.stderr.write('\n');
  let fit: ReturnType<typeof fitLatency>;
  try {
    fit = fitLatency(run.samples, base);
  } catch (err) {
    throw new BenchError('USAGE', `calibrate: ${(err as Error).message}${run.stoppedBecause ? ` (${run.stoppedBecause})` : ''}`);
  }
  const overlay = calibrationOverlay(args.model, base, fit, { target: args.target, at: new Date().toISOString(), requests: run.samples.length });
  writeFileSync(args.out, `${JSON.stringify(overlay, null, 2)}\n`);
  const l = fit.latency;
  const was = base.latency;
  process.stdout.write(
    [
      `${args.model} at ${args.target}: ${run.samples.length} requests${run.retriedAfter429 > 0 ? `, ${run.retriedAfter429} retried after 429` : ''}${run.stoppedBecause ? `; stopped early: ${run.stoppedBecause}` : ''}`,
      `TTFT base ${l.ttftBaseMs} ms (catalog ${was.ttftBaseMs}), prefill ${l.prefillMsPerInputToken} ms/token (${was.prefillMsPerInputToken}), spread cv ${l.ttftCv} (${was.ttftCv}); R² ${fit.ttft.r2}, mean |residual| ${fit.ttft.meanAbsResidualMs} ms`,
      `ITL ${l.itlMs} ms (catalog ${was.itlMs}), spread cv ${l.itlCv} (${was.itlCv}); slowdown at cap ${l.slowdownAtCap} (${was.slowdownAtCap}) with the cap kept at ${l.concurrencyCap}; R² ${fit.itl.r2}, mean |residual| ${fit.itl.meanAbsResidualMs} ms`,
      `wrote ${args.out}: load it with \`bench mock --models ${args.out}\` or \`models: loadModels('${args.out}')\` in a scenario`,
    ].join('\n') + '\n',
  );
  return 0;
}
