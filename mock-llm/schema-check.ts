/**
 * Checks the JSON Schemas a request brings (tool parameters, response formats) as the providers
 * do: a valid JSON Schema (ajv's meta-schema check, draft-07 or 2020-12 by its `$schema`), an
 * object at the root, and under `strict` OpenAI's structured-output rules (every object lists
 * all its properties in `required` and sets `additionalProperties: false`). Verdicts are cached
 * by the schema's text: an agent resends the same tools with every turn.
 */
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { JsonSchema } from './json-schema.ts';

const draft07 = new Ajv({ strict: false, validateFormats: false });
const draft2020 = new Ajv2020({ strict: false, validateFormats: false });
const verdicts = new Map<string, string | null>();
const MAX_VERDICTS = 2048;

/**
 * Why `schema` cannot be used (a sentence naming the place in it), or null when it can.
 * `what` names the schema in the message, e.g. "function 'get_weather'".
 */
export function schemaProblem(schema: unknown, what: string, strict: boolean): string | null {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    return `Invalid schema for ${what}: expected a JSON Schema object, got ${schema === null ? 'null' : Array.isArray(schema) ? 'an array' : typeof schema}.`;
  }
  const key = `${strict ? 1 : 0}${what}\u0000${JSON.stringify(schema)}`;
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  const verdict = check(schema as JsonSchema, what, strict);
  if (verdicts.size >= MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value!);
  verdicts.set(key, verdict);
  return verdict;
}

function check(schema: JsonSchema, what: string, strict: boolean): string | null {
  const declared = typeof schema['$schema'] === 'string' ? schema['$schema'] : '';
  const ajv = /2019-09|2020-12/.test(declared) ? draft2020 : draft07;
  const { $schema: _, ...body } = schema; // any draft URL: checked against the meta-schema chosen above
  let valid: boolean;
  try {
    valid = ajv.validateSchema(body) as boolean;
  } catch (err) {
    return `Invalid schema for ${what}: ${(err as Error).message}.`;
  }
  if (!valid) {
    const e = ajv.errors?.[0];
    return `Invalid schema for ${what}: ${e === undefined ? 'not a valid JSON Schema' : `${e.instancePath || '(root)'} ${e.message}`}.`;
  }
  const type = schema['type'];
  if (type !== undefined && type !== 'object') {
    return `Invalid schema for ${what}: schema must be a JSON Schema of 'type: "object"', got 'type: "${String(type)}"'.`;
  }
  return strict ? strictProblem(schema, what, [], new Set()) : null;
}

/** OpenAI's strict-mode rules on every object in the schema (in properties, items, anyOf and $defs). */
function strictProblem(node: unknown, what: string, path: string[], seen: Set<unknown>): string | null {
  if (node === null || typeof node !== 'object' || seen.has(node)) return null;
  seen.add(node);
  const s = node as Record<string, unknown>;
  const at = path.length === 0 ? '(root)' : path.join('.');
  const isObject = s['type'] === 'object' || (Array.isArray(s['type']) && s['type'].includes('object')) || s['properties'] !== undefined;
  if (isObject) {
    if (s['additionalProperties'] !== false) {
      return `Invalid schema for ${what}: In context=${at}, 'additionalProperties' is required to be supplied and to be false (strict mode).`;
    }
    const props = Object.keys((s['properties'] ?? {}) as object);
    const required = new Set(Array.isArray(s['required']) ? s['required'] : []);
    const missing = props.find((p) => !required.has(p));
    if (missing !== undefined) {
      return `Invalid schema for ${what}: In context=${at}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing}' (strict mode).`;
    }
  }
  const children: [string, unknown][] = [];
  for (const [k, v] of Object.entries((s['properties'] ?? {}) as object)) children.push([`properties.${k}`, v]);
  for (const k of ['$defs', 'definitions']) for (const [name, v] of Object.entries((s[k] ?? {}) as object)) children.push([`${k}.${name}`, v]);
  if (s['items'] !== undefined) children.push(['items', s['items']]);
  for (const k of ['anyOf', 'allOf', 'oneOf', 'prefixItems']) if (Array.isArray(s[k])) (s[k] as unknown[]).forEach((v, i) => children.push([`${k}.${i}`, v]));
  for (const [name, child] of children) {
    const problem = strictProblem(child, what, [...path, name], seen);
    if (problem !== null) return problem;
  }
  return null;
}
