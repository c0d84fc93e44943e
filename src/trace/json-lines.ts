/**
 * JSON Lines traces: Mooncake (`timestamp` ms, `input_length`, `output_length`, `hash_ids`),
 * OpenTelemetry GenAI spans as OTLP JSON (one export request per line, as the collector's file
 * exporter writes them) and OpenAI-style request logs (request body, usage, timestamps).
 */
import { BenchError } from '../core/errors.ts';
import { isCount } from './csv.ts';
import { forEachLine } from './lines.ts';
import { jsonTimeMs } from './timestamp.ts';
import { TraceBuilder, type Trace, type TraceFormat, type TraceRow } from './trace.ts';

type Json = Record<string, unknown>;

/** Which JSON Lines format a parsed first line is, or null. */
export function jsonFormatOf(first: unknown): 'mooncake' | 'otel' | 'openai-log' | null {
  if (typeof first !== 'object' || first === null) return null;
  const o = first as Json;
  if (Array.isArray(o.resourceSpans)) return 'otel';
  if ('input_length' in o || 'hash_ids' in o) return 'mooncake';
  if ('usage' in o || 'response' in o || 'request' in o || 'body' in o) return 'openai-log';
  return null;
}

/** Reads a JSON Lines trace of `format`. */
export async function readJsonLinesTrace(file: string, format: 'mooncake' | 'otel' | 'openai-log'): Promise<Trace> {
  const builder = new TraceBuilder(file, format, format !== 'mooncake');
  const rowsOf = ROWS[format];
  await forEachLine(file, (line, lineNo) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return builder.reject(lineNo, 'not valid JSON');
    }
    if (typeof value !== 'object' || value === null) return builder.reject(lineNo, 'not a JSON object');
    rowsOf(value as Json, lineNo, builder);
  });
  return builder.finish();
}

type RowsOf = (o: Json, lineNo: number, b: TraceBuilder) => void;

const ROWS: Record<'mooncake' | 'otel' | 'openai-log', RowsOf> = {
  mooncake(o, lineNo, b) {
    const timeMs = jsonTimeMs(o.timestamp, 'ms');
    if (!Number.isFinite(timeMs)) return b.reject(lineNo, `timestamp ${JSON.stringify(o.timestamp)} is not a number of ms`);
    const blocks = o.hash_ids ?? [];
    if (!Array.isArray(blocks) || !blocks.every((h) => Number.isInteger(h))) return b.reject(lineNo, 'hash_ids is not a list of integers');
    addChecked(b, lineNo, { timeMs, inputTokens: o.input_length, outputTokens: o.output_length, blocks }, 'input_length', 'output_length');
  },
  otel(o, lineNo, b) {
    let spans = 0;
    for (const rs of asArray(o.resourceSpans)) {
      for (const ss of asArray((rs as Json).scopeSpans)) {
        for (const span of asArray((ss as Json).spans)) {
          spans++;
          otelSpan(span as Json, lineNo, b);
        }
      }
    }
    if (spans === 0) b.reject(lineNo, 'no spans in resourceSpans[].scopeSpans[].spans[]');
  },
  'openai-log'(o, lineNo, b) {
    const req = (o.request ?? o.body ?? {}) as Json;
    const res = (o.response ?? {}) as Json;
    const usage = (o.usage ?? res.usage ?? {}) as Json;
    const when = o.timestamp ?? o.start_time ?? o.created_at ?? o.created ?? res.created;
    // `created` of an OpenAI response is in seconds; the log's own fields are ISO or ms
    const timeMs = jsonTimeMs(when, when === o.created || when === res.created ? 's' : 'ms');
    if (!Number.isFinite(timeMs)) return b.reject(lineNo, 'no timestamp (timestamp, start_time, created_at or created)');
    const durationMs = o.duration_ms ?? o.latency_ms;
    const session = o.session_id ?? (o.metadata as Json | undefined)?.session_id ?? req.user ?? o.user;
    const model = req.model ?? o.model ?? res.model;
    addChecked(
      b,
      lineNo,
      {
        timeMs,
        inputTokens: usage.prompt_tokens ?? usage.input_tokens,
        outputTokens: usage.completion_tokens ?? usage.output_tokens,
        ...(typeof model === 'string' ? { model } : {}),
        ...(typeof session === 'string' ? { session } : {}),
        ...(typeof durationMs === 'number' ? { durationMs } : {}),
      },
      'usage.prompt_tokens',
      'usage.completion_tokens',
    );
  },
};

function otelSpan(span: Json, lineNo: number, b: TraceBuilder): void {
  const attrs = new Map<string, unknown>();
  for (const a of asArray(span.attributes)) attrs.set(String((a as Json).key), otelValue((a as Json).value));
  // spans of the trace that are not LLM calls (tools, the agent's own) are skipped, not bad
  if (!attrs.has('gen_ai.usage.input_tokens') && !attrs.has('gen_ai.request.model')) return;
  const startMs = nanosToMs(span.startTimeUnixNano);
  if (Number.isNaN(startMs)) return b.reject(lineNo, `span ${String(span.spanId)}: startTimeUnixNano is not a whole number`);
  const endMs = nanosToMs(span.endTimeUnixNano);
  const model = attrs.get('gen_ai.request.model') ?? attrs.get('gen_ai.response.model');
  const session = attrs.get('gen_ai.conversation.id') ?? attrs.get('session.id') ?? span.traceId;
  addChecked(
    b,
    lineNo,
    {
      timeMs: startMs,
      inputTokens: attrs.get('gen_ai.usage.input_tokens'),
      outputTokens: attrs.get('gen_ai.usage.output_tokens'),
      ...(typeof model === 'string' ? { model } : {}),
      ...(typeof session === 'string' ? { session } : {}),
      ...(endMs >= startMs ? { durationMs: endMs - startMs } : {}),
    },
    `span ${String(span.spanId)}: gen_ai.usage.input_tokens`,
    `span ${String(span.spanId)}: gen_ai.usage.output_tokens`,
  );
}

/** OTLP's uint64 nanoseconds (a decimal string in JSON) as ms, to the µs; NaN when not one. */
function nanosToMs(v: unknown): number {
  const text = typeof v === 'number' ? String(Math.round(v)) : typeof v === 'string' ? v : '';
  return /^\d+$/.test(text) ? Number(BigInt(text) / 1000n) / 1000 : NaN;
}

/** An OTLP JSON AnyValue as a JS value (int64 values arrive as strings). */
function otelValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Json;
  if ('stringValue' in o) return o.stringValue;
  if ('intValue' in o) return Number(o.intValue);
  if ('doubleValue' in o) return Number(o.doubleValue);
  if ('boolValue' in o) return o.boolValue;
  return undefined;
}

function addChecked(
  b: TraceBuilder,
  lineNo: number,
  row: Omit<TraceRow, 'inputTokens' | 'outputTokens'> & { inputTokens: unknown; outputTokens: unknown },
  inputName: string,
  outputName: string,
): void {
  if (typeof row.inputTokens !== 'number' || !isCount(row.inputTokens)) {
    return b.reject(lineNo, `${inputName} ${JSON.stringify(row.inputTokens) ?? 'missing'} is not a whole number ≥ 0`);
  }
  if (typeof row.outputTokens !== 'number' || !isCount(row.outputTokens)) {
    return b.reject(lineNo, `${outputName} ${JSON.stringify(row.outputTokens) ?? 'missing'} is not a whole number ≥ 0`);
  }
  b.add(row as TraceRow);
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The error for a JSON trace file whose first line is not one JSON object. */
export function notJsonLines(file: string, format: TraceFormat): BenchError {
  return new BenchError(
    'INVALID_TRACE',
    `${file}: a ${format} trace is JSON Lines (one JSON object per line); the first line is not a whole JSON object (pretty-printed JSON is not read: write one object per line)`,
  );
}
