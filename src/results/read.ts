/**
 * Reading a results.json: the edge where untrusted JSON becomes a `ResultsFile`. Validated once
 * here (kind, schema version, shape, cross-field rules); everything downstream trusts the types.
 */
import { readFile } from 'node:fs/promises';
import { BenchError } from '../core/errors.ts';
import { RESULTS_KIND, RESULTS_SCHEMA_VERSION, resultsFileSchema, type ResultsFile } from './schema.ts';

/** Renders a zod issue path as `configurations[0].latencyMs.e2e.p95`. */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function invalid(source: string, message: string): BenchError {
  return new BenchError('INVALID_RESULTS', `${source} is not a valid results file: ${message}`);
}

/**
 * Validates parsed JSON as a results file; `source` names it in errors (a path, or "the first run").
 * Throws BenchError('INVALID_RESULTS') naming the first offending field path.
 */
export function parseResults(data: unknown, source: string): ResultsFile {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw invalid(source, `expected a JSON object, received ${describe(data)}.`);
  }
  const record = data as Record<string, unknown>;
  if (record.kind !== RESULTS_KIND) {
    throw invalid(source, `kind is ${describe(record.kind)}, expected "${RESULTS_KIND}". Pass a results.json written by \`bench run\`.`);
  }
  if (record.schemaVersion !== RESULTS_SCHEMA_VERSION) {
    throw invalid(
      source,
      `schemaVersion is ${describe(record.schemaVersion)}; this version of llm-scale-bench reads schemaVersion ${RESULTS_SCHEMA_VERSION}. Re-run the scenario with this version to get a readable file.`,
    );
  }
  const parsed = resultsFileSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    throw invalid(source, `${formatPath(first.path)}: ${first.message}${more}.`);
  }
  const results = parsed.data;
  checkCrossFields(results, source);
  return results;
}

/** Rules the shape cannot express: unique configuration names, aligned time-series arrays. */
function checkCrossFields(results: ResultsFile, source: string): void {
  const seen = new Set<string>();
  results.configurations.forEach((config, i) => {
    if (seen.has(config.name)) {
      throw invalid(
        source,
        `configurations[${i}].name: ${describe(config.name)} appears twice; configuration names must be unique (compare matches them by name).`,
      );
    }
    seen.add(config.name);
    const ts = config.timeSeries;
    const length = ts.tS.length;
    for (const key of [
      'arrivals',
      'completions',
      'arrivalRps',
      'completionRps',
      'queueDepthMean',
      'queueDepthMax',
      'workers',
      'utilization',
      'costUsd',
    ] as const) {
      if (ts[key].length !== length) {
        throw invalid(
          source,
          `configurations[${i}].timeSeries.${key}: has ${ts[key].length} entries but timeSeries.tS has ${length}; every series needs one entry per interval.`,
        );
      }
    }
  });
}

/** Reads and validates a results.json; throws BenchError('USAGE' | 'INVALID_RESULTS') with the path in the message. */
export async function readResultsFile(path: string): Promise<ResultsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new BenchError(
      'USAGE',
      `Cannot read results file ${path}: ${reason}. Pass the path of a results.json written by \`bench run\` (results/<scenario>/<timestamp>/results.json).`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw invalid(path, `it is not JSON (${(error as Error).message}).`);
  }
  return parseResults(data, path);
}
