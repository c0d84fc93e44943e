/**
 * What OpenAI's three APIs (chat, responses, completions) share: credentials, the tool and
 * structured-output checks, and the usage object.
 */
import { ApiError, invalidRequest } from '../errors.ts';
import type { JsonSchema } from '../json-schema.ts';
import type { OutputFormat } from '../model-request.ts';
import type { CallView, HeaderReader } from '../protocol.ts';
import { schemaProblem } from '../schema-check.ts';
import type { ToolChoice, ToolSpec } from '../tools.ts';

/** OpenAI's 401, with the hint its API gives. */
export function openaiUnauthorized(header: HeaderReader): ApiError {
  return new ApiError(
    401,
    header.header('authorization') === undefined
      ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
      : 'Incorrect API key provided. Please pass the key the mock server was started with as Authorization: Bearer <key>.',
    'invalid_request_error',
    'invalid_api_key',
  );
}

const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const EMPTY_PARAMETERS: JsonSchema = Object.freeze({ type: 'object', properties: {} });

/** One function tool, checked: its name, and its parameters as a usable JSON Schema (strict rules under strict). */
export function functionTool(name: unknown, parameters: unknown, strict: unknown, param: string): ToolSpec | ApiError {
  if (typeof name !== 'string') return invalidRequest(`Missing required parameter: '${param}.name'.`, `${param}.name`, 'missing_required_parameter');
  if (!FUNCTION_NAME.test(name)) {
    return invalidRequest(
      `Invalid '${param}.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'.`,
      `${param}.name`,
      'invalid_value',
    );
  }
  if (strict !== undefined && strict !== null && typeof strict !== 'boolean') {
    return invalidRequest(`Invalid type for '${param}.strict': expected a boolean, but got ${typeName(strict)} instead.`, `${param}.strict`, 'invalid_type');
  }
  if (parameters === undefined || parameters === null) return { name, parameters: EMPTY_PARAMETERS, strict: strict === true };
  const problem = schemaProblem(parameters, `function '${name}'`, strict === true);
  if (problem !== null) return invalidRequest(`${problem} (param: ${param}.parameters)`, `${param}.parameters`, 'invalid_function_parameters');
  return { name, parameters: parameters as JsonSchema, strict: strict === true };
}

/** No two tools may share a name. */
export function duplicateTool(tools: readonly ToolSpec[], param: string): ApiError | undefined {
  const seen = new Set<string>();
  for (const t of tools) {
    if (seen.has(t.name)) return invalidRequest(`Invalid '${param}': duplicate function name '${t.name}'; tool names must be unique.`, param, 'invalid_value');
    seen.add(t.name);
  }
  return undefined;
}

/**
 * `tool_choice` as a ToolChoice: "auto" / "none" / "required", or the named function, which
 * must be one of the tools. `named` reads the name from an object choice (its shape differs by API).
 */
export function toolChoice(raw: unknown, tools: readonly ToolSpec[], named: (o: Record<string, unknown>) => unknown): ToolChoice | ApiError {
  if (raw === undefined || raw === null) return { kind: tools.length > 0 ? 'auto' : 'none' };
  if (tools.length === 0 && raw !== 'none') {
    return invalidRequest("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", 'tool_choice', 'invalid_value');
  }
  if (raw === 'auto' || raw === 'none' || raw === 'required') return { kind: raw };
  if (typeof raw === 'object' && !Array.isArray(raw) && (raw as Record<string, unknown>)['type'] === 'function') {
    const name = named(raw as Record<string, unknown>);
    if (typeof name !== 'string')
      return invalidRequest("Missing required parameter: 'tool_choice.function.name'.", 'tool_choice', 'missing_required_parameter');
    if (!tools.some((t) => t.name === name)) {
      return invalidRequest(
        `Invalid value for 'tool_choice': function '${name}' is not one of the tools; tools: ${tools.map((t) => t.name).join(', ')}.`,
        'tool_choice',
        'invalid_value',
      );
    }
    return { kind: 'named', name };
  }
  return invalidRequest(
    `Invalid value for 'tool_choice': expected "none", "auto", "required" or {"type": "function", ...}, got ${JSON.stringify(raw)}.`,
    'tool_choice',
    'invalid_value',
  );
}

/** A JSON-schema output format, checked (chat: response_format.json_schema; responses: text.format). */
export function jsonSchemaFormat(name: unknown, schema: unknown, strict: unknown, param: string): OutputFormat | ApiError {
  if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) {
    return invalidRequest(
      `Invalid '${param}.name': expected a string of letters, digits, '_' and '-', at most 64 characters.`,
      `${param}.name`,
      'invalid_value',
    );
  }
  if (strict !== undefined && strict !== null && typeof strict !== 'boolean') {
    return invalidRequest(`Invalid type for '${param}.strict': expected a boolean, but got ${typeName(strict)} instead.`, `${param}.strict`, 'invalid_type');
  }
  const problem = schemaProblem(schema ?? {}, `response_format '${name}'`, strict === true);
  if (problem !== null) return invalidRequest(problem, `${param}.schema`, 'invalid_json_schema');
  return { kind: 'json_schema', name, schema: (schema ?? {}) as JsonSchema, strict: strict === true, schemaJson: JSON.stringify(schema ?? {}) };
}

/** A JSON type name for error messages ("a string", "an array", "null"). */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** Chat-completions and completions usage, as JSON text. */
export function chatUsageJson(call: CallView): string {
  return (
    `{"prompt_tokens":${call.inputTokens},"completion_tokens":${call.outputTokens},"total_tokens":${call.inputTokens + call.outputTokens},` +
    `"prompt_tokens_details":{"cached_tokens":${call.cachedInputTokens},"audio_tokens":0},` +
    `"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`
  );
}

/** A plain object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Verdicts of a check by the checked value's JSON text (bounded; the oldest goes first). */
export class CheckCache<T> {
  private readonly verdicts = new Map<string, T | ApiError>();

  constructor(private readonly max = 512) {}

  /** The cached verdict for `json`, or `check()`'s, remembered. */
  get(json: string, check: () => T | ApiError): T | ApiError {
    let verdict = this.verdicts.get(json);
    if (verdict === undefined) {
      verdict = check();
      if (this.verdicts.size >= this.max) this.verdicts.delete(this.verdicts.keys().next().value!);
      this.verdicts.set(json, verdict);
    }
    return verdict;
  }
}
