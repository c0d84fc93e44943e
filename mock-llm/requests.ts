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
  tool_calls: z
    .array(z.looseObject({ function: z.looseObject({ name: z.string(), arguments: z.string() }).optional() }))
    .optional(),
});

const metadataValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const maxTokens = z.number().int().min(1).nullable().optional();

/** POST /v1/chat/completions. */
export const ChatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: maxTokens,
  max_completion_tokens: maxTokens,
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.literal(1).nullable().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional(),
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

/** Parses JSON then validates; every failure is a 400 that names the field and what was expected. */
export function parseBody<T>(schema: z.ZodType<T>, body: string): T | ApiError {
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
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = issue.path.map(String).join('.') || null;
  if (issue.path[0] === 'input' && Array.isArray((json as { input?: unknown }).input)) {
    return invalidRequest("Invalid 'input': the mock accepts a string or an array of strings (token arrays are not supported).", 'input');
  }
  if (issue.path[0] === 'n') {
    return invalidRequest("Invalid 'n': the mock returns one choice only; please send n=1 or leave it out.", 'n');
  }
  const missing = issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined;
  return invalidRequest(
    missing ? `Missing required parameter: '${param}'.` : `Invalid '${param}': ${issue.message}.`,
    param,
    missing ? 'missing_required_parameter' : 'invalid_value',
  );
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
