/**
 * The request bodies the mock accepts, validated once at the edge with zod. Unknown fields are
 * accepted and ignored (clients send many parameters the mock has no use for); known fields
 * must have the types OpenAI documents.
 */
import { z } from 'zod';
import { invalidRequest, type ApiError } from './errors.ts';

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

const message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  name: z.string().optional(),
  tool_calls: z.array(z.looseObject({ function: z.looseObject({ name: z.string(), arguments: z.string() }).optional() })).optional(),
});

const metadataValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const maxTokens = z.number().int().min(1).nullable().optional();
/** The most choices (`n`) one request may ask for, as OpenAI allows. */
const MAX_CHOICES = 128;

/** The streaming and sampling fields OpenAI's chat and legacy completions share, with OpenAI's types and ranges. */
export const OPENAI_SAMPLING_FIELDS = {
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().min(1).max(MAX_CHOICES).nullable().optional(),
  stop: z
    .union([z.string(), z.array(z.string()).max(4)])
    .nullable()
    .optional(),
};

/** POST /v1/chat/completions. */
export const ChatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  ...OPENAI_SAMPLING_FIELDS,
  max_tokens: maxTokens,
  max_completion_tokens: maxTokens,
  tools: z.array(z.unknown()).optional(),
  user: z.string().optional(),
  seed: z.number().int().nullable().optional(),
  metadata: z.record(z.string(), metadataValue).nullable().optional(),
});

/** A validated chat request. */
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

/** POST /v1/embeddings (token-array inputs are not supported and get 400). */
export const EmbeddingsRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
  dimensions: z.number().int().min(1).optional(),
  encoding_format: z.enum(['float', 'base64']).optional(),
  user: z.string().optional(),
});

/** A validated embeddings request. */
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;

/**
 * Parses JSON then validates; every failure is a 400 that names the field and what was expected.
 * `accepts`, when given, is a fast check that returns true only for values the schema accepts
 * unchanged (it may return false for valid ones): those skip zod, everything else goes through it.
 */
export function parseBody<T>(schema: z.ZodType<T>, body: string, accepts?: (json: Record<string, unknown>) => boolean): T | ApiError {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return invalidRequest(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return invalidRequest(`The request body must be a JSON object, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}.`);
  }
  if (accepts?.(json as Record<string, unknown>)) return json as T;
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.path[0] === 'input' && Array.isArray((json as { input?: unknown }).input)) {
    return invalidRequest("Invalid 'input': the mock accepts a string or an array of strings (token arrays are not supported).", 'input');
  }
  const problem = fieldProblem(issue, json);
  return invalidRequest(problem.message, problem.param, problem.code);
}

/** What is wrong with one field of a request, in words any provider's error shape can carry. */
export interface FieldProblem {
  /** The field's path, e.g. `messages.0.content`; null for the body itself. */
  param: string | null;
  message: string;
  code: 'missing_required_parameter' | 'invalid_type' | 'invalid_value';
}

/**
 * One schema issue as a message naming the field: missing, of the wrong type (the expected type
 * and what was received), or a value out of range. zod reports a present value of the wrong type
 * and an absent one alike; the body tells them apart.
 */
export function fieldProblem(issue: z.core.$ZodIssue, body: unknown): FieldProblem {
  const param = issue.path.map(String).join('.') || null;
  const received = valueAt(body, issue.path);
  if (!received.present) return { param, message: `Missing required parameter: '${param}'.`, code: 'missing_required_parameter' };
  const expected = expectedTypes(issue);
  if (expected !== null) {
    return { param, message: `Invalid type for '${param}': expected ${expected}, but got ${describeValue(received.value)} instead.`, code: 'invalid_type' };
  }
  return { param, message: `Invalid '${param}': ${issue.message}.`, code: 'invalid_value' };
}

const TYPE_NAMES: Readonly<Record<string, string>> = Object.freeze({
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  array: 'an array',
  object: 'an object',
  null: 'null',
});

/** "an integer", "a string or an array" — or null when the issue is not about the value's type. */
function expectedTypes(issue: z.core.$ZodIssue): string | null {
  if (issue.code === 'invalid_type') return Object.hasOwn(TYPE_NAMES, issue.expected) ? TYPE_NAMES[issue.expected]! : issue.expected;
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return null;
  const names: string[] = [];
  for (const branch of issue.errors) {
    const first = branch[0];
    // a branch that failed deeper than the value itself (e.g. one array element): not a type mismatch
    if (first === undefined || first.path.length > 0 || first.code !== 'invalid_type') return null;
    const name = expectedTypes(first);
    if (name !== null && !names.includes(name)) names.push(name);
  }
  return names.join(' or ');
}

function valueAt(body: unknown, path: ReadonlyArray<PropertyKey>): { present: boolean; value?: unknown } {
  let v = body;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, key)) return { present: false };
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v === undefined ? { present: false } : { present: true, value: v };
}

/** `a string ("10")`, `a decimal number (1.5)`, `an object` — short, for an error message. */
function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
    case 'number':
      return Number.isInteger(v) ? `an integer (${v})` : `a decimal number (${v})`;
    case 'boolean':
      return `a boolean (${v})`;
    default:
      return 'an object';
  }
}

/** The text of one message for counting: string content, text parts, and tool calls as `name(arguments)`. */
export function messageText(m: ChatRequest['messages'][number]): string {
  let text = '';
  if (typeof m.content === 'string') text = m.content;
  else if (Array.isArray(m.content)) for (const p of m.content) if (typeof p.text === 'string') text += p.text;
  if (m.tool_calls !== undefined) {
    for (const c of m.tool_calls) if (c.function !== undefined) text += `${c.function.name}(${c.function.arguments})`;
  }
  return text;
}

// ---- fast acceptance --------------------------------------------------------------------------
// zod costs several microseconds per chat request, a large share of a zero-latency answer. These
// checks accept only what ChatRequestSchema accepts as is (no transform: the parsed JSON is then
// used directly, and the mock reads only the known fields); anything unusual returns false and
// gets zod's verdict and messages. test/mock-llm/units.test.ts compares both on random bodies.

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(v: unknown): boolean {
  return v === undefined || typeof v === 'string';
}

/** Absent, null, or a (safe) integer >= min. */
function optionalInt(v: unknown, min: number): boolean {
  return v === undefined || v === null || (typeof v === 'number' && Number.isSafeInteger(v) && v >= min);
}

/** Absent, null, or a finite number in [min, max]. */
function optionalRange(v: unknown, min: number, max: number): boolean {
  return v === undefined || v === null || (typeof v === 'number' && v >= min && v <= max);
}

function isMessage(m: unknown): boolean {
  if (!isPlainObject(m)) return false;
  const role = m['role'];
  if (typeof role !== 'string' || !ROLES.has(role)) return false;
  const content = m['content'];
  if (content !== undefined && content !== null && typeof content !== 'string') {
    if (!Array.isArray(content)) return false;
    for (const p of content) if (!isPlainObject(p) || typeof p['type'] !== 'string' || !optionalString(p['text'])) return false;
  }
  if (!optionalString(m['name'])) return false;
  const calls = m['tool_calls'];
  if (calls !== undefined) {
    if (!Array.isArray(calls)) return false;
    for (const c of calls) {
      if (!isPlainObject(c)) return false;
      const f = c['function'];
      if (f !== undefined && (!isPlainObject(f) || typeof f['name'] !== 'string' || typeof f['arguments'] !== 'string')) return false;
    }
  }
  return true;
}

/** True only when ChatRequestSchema accepts `v` unchanged (see above). */
export function acceptsChatRequest(v: Record<string, unknown>): boolean {
  const model = v['model'];
  if (typeof model !== 'string' || model.length === 0) return false;
  const messages = v['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return false;
  for (const m of messages) if (!isMessage(m)) return false;
  const stream = v['stream'];
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') return false;
  const streamOptions = v['stream_options'];
  if (streamOptions !== undefined && streamOptions !== null) {
    if (!isPlainObject(streamOptions)) return false;
    const inc = streamOptions['include_usage'];
    if (inc !== undefined && typeof inc !== 'boolean') return false;
  }
  if (!optionalInt(v['max_tokens'], 1) || !optionalInt(v['max_completion_tokens'], 1)) return false;
  if (!optionalRange(v['temperature'], 0, 2) || !optionalRange(v['top_p'], 0, 1)) return false;
  const n = v['n'];
  if (!optionalInt(n, 1) || (typeof n === 'number' && n > MAX_CHOICES)) return false;
  const stop = v['stop'];
  if (stop !== undefined && stop !== null && typeof stop !== 'string') {
    if (!Array.isArray(stop) || stop.length > 4) return false;
    for (const s of stop) if (typeof s !== 'string') return false;
  }
  const tools = v['tools'];
  if (tools !== undefined && !Array.isArray(tools)) return false;
  if (!optionalString(v['user'])) return false;
  if (!optionalInt(v['seed'], -Infinity)) return false;
  const metadata = v['metadata'];
  if (metadata !== undefined && metadata !== null) {
    if (!isPlainObject(metadata) || Object.hasOwn(metadata, '__proto__')) return false; // zod drops that key
    for (const key in metadata) {
      const x = metadata[key];
      if (x !== null && typeof x !== 'string' && typeof x !== 'boolean' && !(typeof x === 'number' && Number.isFinite(x))) return false;
    }
  }
  return true;
}
