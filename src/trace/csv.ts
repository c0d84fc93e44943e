/**
 * CSV traces: a header row and a column mapping (`--columns timestamp=…,input=…,output=…,
 * model=…,session=…`), with presets for the public Azure LLM inference traces (2023/2024) and
 * BurstGPT. The file streams line by line.
 */
import { BenchError } from '../core/errors.ts';
import { forEachLine } from './lines.ts';
import { parseTimeMs, TIME_UNITS, type TimeUnit } from './timestamp.ts';
import { TraceBuilder, type Trace, type TraceFormat } from './trace.ts';

/** Which header column holds each field; `timestampUnit` says how times are written. */
export interface ColumnMap {
  timestamp: string;
  timestampUnit: TimeUnit;
  input: string;
  output: string;
  model?: string;
  session?: string;
}

/** Column presets of the public traces. */
const CSV_PRESETS = {
  /** Azure LLM inference traces 2023 and 2024 (AzurePublicDataset): absolute date-times, UTC. */
  azure: { timestamp: 'TIMESTAMP', timestampUnit: 'datetime', input: 'ContextTokens', output: 'GeneratedTokens' },
  /** BurstGPT (HPMLL/BurstGPT): seconds since the trace's start; later releases add `Session ID`. */
  burstgpt: { timestamp: 'Timestamp', timestampUnit: 's', input: 'Request tokens', output: 'Response tokens', model: 'Model', session: 'Session ID' },
} as const satisfies Record<string, ColumnMap>;

const FIELDS = ['timestamp', 'input', 'output', 'model', 'session'] as const;

/**
 * Parses `timestamp=ts:ms,input=prompt_tokens,output=completion_tokens[,model=…][,session=…]`
 * (the unit after a colon: datetime, s, ms, us or ns; default s, or datetime for date-times).
 */
export function parseColumns(spec: string): Partial<ColumnMap> {
  const out: Partial<ColumnMap> = {};
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    if (eq <= 0 || !(FIELDS as readonly string[]).includes(key)) {
      throw new BenchError('USAGE', `--columns "${spec}": "${part}" is not field=column; fields are ${FIELDS.join(', ')}`);
    }
    let column = part.slice(eq + 1).trim();
    if (key === 'timestamp') {
      const colon = column.lastIndexOf(':');
      const unit = colon > 0 ? column.slice(colon + 1) : '';
      if ((TIME_UNITS as readonly string[]).includes(unit)) {
        out.timestampUnit = unit as TimeUnit;
        column = column.slice(0, colon);
      }
    }
    (out as Record<string, string>)[key] = column;
  }
  return out;
}

/** `--columns` as a flag check (`TextCheck` of the CLI's flag tables): the text when it parses. */
export function columnsText(_flag: string, text: string): string {
  parseColumns(text);
  return text;
}

/** Splits one CSV line (RFC 4180 quotes honoured; the fast path has none). */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') out.push(field), (field = '');
    else field += c;
  }
  out.push(field);
  return out;
}

/** The preset whose columns a header has, if any. */
export function presetOfHeader(header: string): 'azure' | 'burstgpt' | null {
  const cols = splitCsvLine(header).map((c) => c.trim());
  const has = (m: ColumnMap) => [m.timestamp, m.input, m.output].every((c) => cols.includes(c));
  if (has(CSV_PRESETS.azure)) return 'azure';
  if (has(CSV_PRESETS.burstgpt)) return 'burstgpt';
  return null;
}

/** Reads a CSV trace with `columns` (missing fields taken from the format's preset). */
export async function readCsvTrace(file: string, format: TraceFormat, columns: Partial<ColumnMap>): Promise<Trace> {
  const preset: Partial<ColumnMap> = format === 'azure' || format === 'burstgpt' ? CSV_PRESETS[format] : {};
  const map = { ...preset, ...columns };
  let index: ReturnType<typeof headerIndex> | null = null;
  let unit: TimeUnit = map.timestampUnit ?? 's';
  let builder: TraceBuilder | null = null;
  /** Where each field of the current line ends (see fieldsOf), reused line after line. */
  let ends = new Int32Array(0);
  await forEachLine(file, (line, lineNo) => {
    if (index === null) {
      if (line.trim() === '') return;
      index = headerIndex(
        file,
        splitCsvLine(line.replace(/^\uFEFF/, '')).map((c) => c.trim()),
        map,
      );
      ends = new Int32Array(index.last + 2).fill(-1);
      return;
    }
    if (line.length === 0) return;
    if (builder === null) {
      // a date-time column needs no unit; decide once, from the first data row
      const t = splitCsvLine(line)[index.t] ?? '';
      if (map.timestampUnit === undefined && /^\d{4}-\d{2}-\d{2}/.test(t.trim())) unit = 'datetime';
      builder = new TraceBuilder(file, format, unit === 'datetime');
    }
    const fields = line.includes('"') ? splitCsvLine(line) : fieldsOf(line, index.last, ends);
    const f = (k: number): string | undefined => (fields !== null ? fields[k] : fieldAt(line, ends, k));
    const t = f(index.t) ?? '';
    const timeMs = parseTimeMs(t, unit);
    if (!Number.isFinite(timeMs)) return builder.reject(lineNo, `timestamp "${t}" is not a ${unit === 'datetime' ? 'date-time' : `number (${unit})`}`);
    const inputTokens = fields !== null ? toCount(fields[index.in]) : countAt(line, ends, index.in);
    if (!isCount(inputTokens)) return builder.reject(lineNo, `input tokens "${f(index.in) ?? ''}" is not a whole number ≥ 0`);
    const outputTokens = fields !== null ? toCount(fields[index.out]) : countAt(line, ends, index.out);
    if (!isCount(outputTokens)) return builder.reject(lineNo, `output tokens "${f(index.out) ?? ''}" is not a whole number ≥ 0`);
    builder.addCounts(
      timeMs,
      inputTokens,
      outputTokens,
      index.model >= 0 ? f(index.model)?.trim() : undefined,
      index.session >= 0 ? f(index.session)?.trim() : undefined,
    );
  });
  if (index === null) throw new BenchError('INVALID_TRACE', `${file}: empty file (expected a CSV header row)`);
  return (builder ?? new TraceBuilder(file, format, false)).finish();
}

function headerIndex(file: string, cols: string[], map: Partial<ColumnMap>) {
  const find = (field: 'timestamp' | 'input' | 'output', guesses: string[]): number => {
    const name = map[field];
    const i = name !== undefined ? cols.indexOf(name) : cols.findIndex((c) => guesses.includes(c.toLowerCase()));
    if (i < 0) {
      const how = name !== undefined ? `has no column "${name}" for ${field}` : `has no ${field} column I recognise`;
      throw new BenchError(
        'INVALID_TRACE',
        `${file}: the header ${how}; its columns are ${cols.join(', ')}; map them with --columns timestamp=…,input=…,output=…`,
      );
    }
    return i;
  };
  const optional = (name: string | undefined, guesses: string[]): number =>
    name !== undefined ? cols.indexOf(name) : cols.findIndex((c) => guesses.includes(c.toLowerCase()));
  const index = {
    t: find('timestamp', ['timestamp', 'time', 'ts', 'created', 'created_at', 'start_time']),
    in: find('input', ['input_tokens', 'prompt_tokens', 'input_length', 'contexttokens', 'request tokens']),
    out: find('output', ['output_tokens', 'completion_tokens', 'output_length', 'generatedtokens', 'response tokens']),
    model: optional(map.model, ['model']),
    session: optional(map.session, ['session', 'session_id', 'conversation_id']),
  };
  return { ...index, last: Math.max(index.t, index.in, index.out, index.model, index.session) };
}

/**
 * The fast path for a line without quotes: records in `ends` where fields 0…last end (field k
 * is `line.slice(ends[k] + 1, ends[k + 1])`, `ends[0]` being -1) and returns null, so no field string is made for
 * the numbers; a line with fewer fields falls back to the split (its missing field reads as
 * undefined there).
 */
function fieldsOf(line: string, last: number, ends: Int32Array): string[] | null {
  let at = -1;
  for (let k = 0; k <= last; k++) {
    if (at === line.length) return splitCsvLine(line);
    const comma = line.indexOf(',', at + 1);
    at = comma === -1 ? line.length : comma;
    ends[k + 1] = at;
  }
  return null;
}

/** Field `k` of a line measured by `fieldsOf`. */
function fieldAt(line: string, ends: Int32Array, k: number): string {
  return line.slice(ends[k]! + 1, ends[k + 1]);
}

/** Field `k` of a line measured by `fieldsOf` as a count: plain digits read in place, anything else through `toCount`. */
function countAt(line: string, ends: Int32Array, k: number): number {
  const from = ends[k]! + 1;
  const to = ends[k + 1]!;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9 || i - from > 9) return toCount(line.slice(from, to));
    v = v * 10 + d;
  }
  return to > from ? v : NaN;
}

/** A CSV field as a number (NaN when empty: `Number('')` would be 0). */
function toCount(text: string | undefined): number {
  return text === undefined || text.trim() === '' ? NaN : Number(text);
}

/** A token count: a whole number, at least 0. */
export function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}
