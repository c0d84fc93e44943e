/**
 * Reading a trace file of any supported format: the format is detected from the header or
 * the first line (or named with `--trace-format`), the file streams through its reader, and
 * a file without one usable row is an error naming the file.
 */
import { existsSync, statSync } from 'node:fs';
import { BenchError } from '../core/errors.ts';
import { presetOfHeader, readCsvTrace, type ColumnMap } from './csv.ts';
import { jsonFormatOf, notJsonLines, readJsonLinesTrace } from './json-lines.ts';
import { firstLine } from './lines.ts';
import { TRACE_FORMATS, type Trace, type TraceFormat } from './trace.ts';

/** Options of `readTrace`. */
export interface ReadTraceOptions {
  /** The format, instead of detecting it. */
  format?: TraceFormat;
  /** CSV column mapping (`parseColumns` of `--columns`). */
  columns?: Partial<ColumnMap>;
}

/** Detects a trace file's format from its first non-empty line. */
export async function detectTraceFormat(file: string): Promise<TraceFormat> {
  const line = await firstLine(file);
  if (line === null) throw new BenchError('INVALID_TRACE', `${file}: empty file: no usable row`);
  if (line.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw notJsonLines(file, 'mooncake');
    }
    const format = jsonFormatOf(parsed);
    if (format === null) {
      throw new BenchError(
        'INVALID_TRACE',
        `${file}: the first line is JSON but not a trace format I know (Mooncake: input_length/hash_ids; OTLP: resourceSpans; OpenAI log: request/response/usage); name it with --trace-format`,
      );
    }
    return format;
  }
  return presetOfHeader(line) ?? 'csv';
}

/** Reads a whole trace; throws a `BenchError` naming the file when no row is usable. */
export async function readTrace(file: string, options: ReadTraceOptions = {}): Promise<Trace> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new BenchError('INVALID_TRACE', `${file}: no such trace file`);
  if (options.format !== undefined && !(TRACE_FORMATS as readonly string[]).includes(options.format)) {
    throw new BenchError('USAGE', `--trace-format "${options.format}": expected one of ${TRACE_FORMATS.join(', ')}`);
  }
  const format = options.format ?? (await detectTraceFormat(file));
  const trace =
    format === 'csv' || format === 'azure' || format === 'burstgpt'
      ? await readCsvTrace(file, format, options.columns ?? {})
      : await readJsonLinesTrace(file, format);
  if (trace.count === 0) {
    const bad = trace.badRows;
    const why = bad.count === 0 ? 'the file has no data rows' : `all ${bad.count} rows are bad (${bad.examples.slice(0, 3).join('; ')})`;
    throw new BenchError('INVALID_TRACE', `${file}: no usable row in this ${format} trace: ${why}`);
  }
  return trace;
}

/** One line on the bad rows of a trace, or null when there were none. */
export function badRowsNote(trace: Trace): string | null {
  const bad = trace.badRows;
  if (bad.count === 0) return null;
  const more = bad.count > bad.examples.length ? `; ${bad.count - bad.examples.length} more` : '';
  return `${trace.file}: skipped ${bad.count} bad row(s) of ${trace.count + bad.count}: ${bad.examples.join('; ')}${more}`;
}
