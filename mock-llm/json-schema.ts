/**
 * Values generated from a JSON Schema, deterministically from a seeded generator: the mock's
 * tool-call arguments and structured output. Covers what function and response schemas use
 * (types and type lists, enum, const, properties/required, items/prefixItems, min/max items,
 * lengths and bounds, multipleOf, anyOf/oneOf/allOf, $ref into $defs/definitions, common
 * formats); `pattern` is not honoured (a generated string may not match it). The generated
 * value is checked against the schema with ajv in the tests (test/mock-llm/json-schema.test.ts).
 */
import type { Rng } from '../src/core/random.ts';
import { GENERATION_VOCABULARY } from '../src/provider/tokens.ts';

/** A JSON Schema as it arrives in a request (already checked to be an object). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** Deeper than this, optional properties are left out and arrays get their minimum length (recursive schemas end). */
const MAX_DEPTH = 6;
/** Arrays without maxItems get at most this many items. */
const DEFAULT_MAX_ITEMS = 3;
const DEFAULT_MAX_WORDS = 4;

/** A value valid against `schema`, drawn from `rng` (same schema and generator state: same value). */
export function generateValue(schema: JsonSchema, rng: Rng): unknown {
  return new Generator(schema, rng).value(schema, 0);
}

class Generator {
  constructor(
    private readonly root: JsonSchema,
    private readonly rng: Rng,
  ) {}

  value(schema: JsonSchema | boolean | undefined, depth: number): unknown {
    if (schema === undefined || typeof schema === 'boolean') return this.words(1, 2);
    const s = this.resolve(schema);
    if ('const' in s) return s['const'];
    if (Array.isArray(s['enum']) && s['enum'].length > 0) return s['enum'][this.rng.int(s['enum'].length)];
    const branches = (s['anyOf'] ?? s['oneOf']) as JsonSchema[] | undefined;
    if (Array.isArray(branches) && branches.length > 0) return this.value(this.pickBranch(branches, depth), depth);
    if (Array.isArray(s['allOf']))
      return this.value(
        mergeAll(
          s,
          (s['allOf'] as JsonSchema[]).map((b) => this.resolve(b)),
        ),
        depth,
      );
    switch (this.typeOf(s, depth)) {
      case 'object':
        return this.object(s, depth);
      case 'array':
        return this.array(s, depth);
      case 'integer':
        return this.number(s, true);
      case 'number':
        return this.number(s, false);
      case 'boolean':
        return this.rng.chance(0.5);
      case 'null':
        return null;
      default:
        return this.string(s);
    }
  }

  /** Follows `$ref` (local references only: "#", "#/$defs/x", "#/definitions/x", any JSON pointer). */
  private resolve(schema: JsonSchema): JsonSchema {
    let s = schema;
    for (let hops = 0; typeof s['$ref'] === 'string' && hops < 32; hops++) {
      const target = resolvePointer(this.root, s['$ref'] as string);
      if (target === undefined) return {};
      const { $ref: _, ...rest } = s;
      s = Object.keys(rest).length === 0 ? target : { ...target, ...rest };
    }
    return s;
  }

  /** A branch of anyOf/oneOf: any at shallow depth; deep down, a null or non-recursive one if there is one. */
  private pickBranch(branches: JsonSchema[], depth: number): JsonSchema {
    if (depth >= MAX_DEPTH) {
      const leaf = branches.find((b) => b['type'] === 'null') ?? branches.find((b) => b['$ref'] === undefined);
      if (leaf !== undefined) return leaf;
    }
    return branches[this.rng.int(branches.length)]!;
  }

  private typeOf(s: JsonSchema, depth: number): string {
    const type = s['type'];
    if (typeof type === 'string') return type;
    if (Array.isArray(type) && type.length > 0) {
      const real = type.filter((t) => t !== 'null');
      if (real.length === 0 || (depth >= MAX_DEPTH && type.includes('null'))) return 'null';
      return real[this.rng.int(real.length)] as string;
    }
    if (s['properties'] !== undefined || s['required'] !== undefined || s['additionalProperties'] !== undefined) return 'object';
    if (s['items'] !== undefined || s['prefixItems'] !== undefined) return 'array';
    if (s['minimum'] !== undefined || s['maximum'] !== undefined) return 'number';
    return 'string';
  }

  private object(s: JsonSchema, depth: number): Record<string, unknown> {
    const props = (s['properties'] ?? {}) as Record<string, JsonSchema>;
    const required = new Set(Array.isArray(s['required']) ? (s['required'] as string[]) : []);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(props)) {
      // optional properties: about half, none deep down (keeps recursive schemas finite)
      if (!required.has(key) && (depth >= MAX_DEPTH || this.rng.chance(0.5))) continue;
      defineKey(out, key, this.value(props[key], depth + 1));
    }
    for (const key of required) if (!Object.hasOwn(out, key)) defineKey(out, key, this.words(1, 2));
    return out;
  }

  private array(s: JsonSchema, depth: number): unknown[] {
    const prefix = Array.isArray(s['prefixItems']) ? (s['prefixItems'] as JsonSchema[]) : [];
    const min = Math.max(nonNegative(s['minItems']) ?? 0, s['items'] === false ? prefix.length : 0);
    const maxItems = nonNegative(s['maxItems']);
    const max = s['items'] === false ? prefix.length : (maxItems ?? Math.max(min, DEFAULT_MAX_ITEMS));
    const count = depth >= MAX_DEPTH ? min : min + this.rng.int(Math.max(0, Math.min(max, min + DEFAULT_MAX_ITEMS) - min) + 1);
    const items = typeof s['items'] === 'object' ? (s['items'] as JsonSchema) : undefined;
    const out: unknown[] = [];
    const seen = new Set<string>();
    for (let i = 0, tries = 0; out.length < count && tries < count * 8; tries++) {
      const v = this.value(i < prefix.length ? prefix[i] : items, depth + 1);
      if (s['uniqueItems'] === true) {
        const key = JSON.stringify(v);
        if (seen.has(key)) continue;
        seen.add(key);
      }
      out.push(v);
      i++;
    }
    return out;
  }

  private number(s: JsonSchema, integer: boolean): number {
    let lo = finite(s['minimum']) ?? -Infinity;
    let hi = finite(s['maximum']) ?? Infinity;
    const exLo = s['exclusiveMinimum'];
    const exHi = s['exclusiveMaximum'];
    // draft 2019+: numbers; draft 4: booleans that make minimum/maximum exclusive
    const step = integer ? 1 : 0.01;
    if (typeof exLo === 'number') lo = Math.max(lo, exLo + step);
    else if (exLo === true) lo += step;
    if (typeof exHi === 'number') hi = Math.min(hi, exHi - step);
    else if (exHi === true) hi -= step;
    if (lo === -Infinity && hi === Infinity) [lo, hi] = [0, 100];
    else if (lo === -Infinity) lo = hi - 100;
    else if (hi === Infinity) hi = lo + 100;
    const multipleOf = finite(s['multipleOf']);
    if (multipleOf !== undefined && multipleOf > 0) {
      const first = Math.ceil(lo / multipleOf);
      const last = Math.floor(hi / multipleOf);
      const k = last >= first ? first + this.rng.int(last - first + 1) : first;
      return roundTo(k * multipleOf, multipleOf);
    }
    if (integer) {
      const a = Math.ceil(lo);
      const b = Math.floor(hi);
      return b >= a ? a + this.rng.int(b - a + 1) : a;
    }
    return Math.min(hi, Math.max(lo, Math.round((lo + this.rng.next() * (hi - lo)) * 100) / 100));
  }

  private string(s: JsonSchema): string {
    const format = FORMATS[s['format'] as string];
    if (format !== undefined) return format(this.rng);
    const minLength = nonNegative(s['minLength']) ?? 0;
    const maxLength = nonNegative(s['maxLength']) ?? Infinity;
    let text = this.words(1, DEFAULT_MAX_WORDS);
    while (text.length < minLength) text += ' ' + this.words(1, DEFAULT_MAX_WORDS);
    if (text.length > maxLength) text = text.slice(0, maxLength).trimEnd();
    while (text.length < minLength) text += 'x'; // a maxLength cut that went below the minimum
    return text;
  }

  /** Between `min` and `max` words of the generation vocabulary, space-separated. */
  private words(min: number, max: number): string {
    const n = min + this.rng.int(max - min + 1);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(GENERATION_VOCABULARY[this.rng.int(GENERATION_VOCABULARY.length)]!);
    return out.join(' ');
  }
}

/** Generators of the string formats agents' schemas use. */
const FORMATS: Readonly<Record<string, (rng: Rng) => string>> = Object.freeze({
  'date-time': (rng) => new Date(Date.UTC(2025, 0, 1) + rng.int(365 * 86_400) * 1000).toISOString().replace('.000Z', 'Z'),
  date: (rng) => new Date(Date.UTC(2025, 0, 1) + rng.int(365) * 86_400_000).toISOString().slice(0, 10),
  time: (rng) => `${pad2(rng.int(24))}:${pad2(rng.int(60))}:${pad2(rng.int(60))}Z`,
  email: (rng) => `${GENERATION_VOCABULARY[rng.int(GENERATION_VOCABULARY.length)]}@example.com`,
  uri: (rng) => `https://example.com/${GENERATION_VOCABULARY[rng.int(GENERATION_VOCABULARY.length)]}`,
  url: (rng) => `https://example.com/${GENERATION_VOCABULARY[rng.int(GENERATION_VOCABULARY.length)]}`,
  hostname: (rng) => `${GENERATION_VOCABULARY[rng.int(GENERATION_VOCABULARY.length)]}.example.com`,
  ipv4: (rng) => [rng.int(256), rng.int(256), rng.int(256), rng.int(256)].join('.'),
  uuid: (rng) => {
    const hex = (n: number): string => Array.from({ length: n }, () => rng.int(16).toString(16)).join('');
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[rng.int(4)]}${hex(3)}-${hex(12)}`;
  },
});

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function nonNegative(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

/** `x` rounded to the decimals of `step` (0.1 * 3 is 0.30000000000000004, not a multiple of 0.1 to ajv). */
function roundTo(x: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(x.toFixed(Math.min(decimals, 12)));
}

/** An own data property, even for "__proto__" (a plain assignment would set the prototype). */
function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A schema with its allOf parts merged in (properties and required united; other keywords: the last one wins). */
function mergeAll(base: JsonSchema, parts: JsonSchema[]): JsonSchema {
  const { allOf: _, ...rest } = base;
  let out: Record<string, unknown> = { ...rest };
  for (const p of parts) {
    const properties = { ...((out['properties'] as object) ?? {}), ...((p['properties'] as object) ?? {}) };
    const required = [...((out['required'] as string[]) ?? []), ...((p['required'] as string[]) ?? [])];
    out = { ...out, ...p, properties, required: [...new Set(required)] };
  }
  return out;
}

/** The schema a local `$ref` points to, or undefined. */
function resolvePointer(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node !== null && typeof node === 'object' ? (node as JsonSchema) : undefined;
}
