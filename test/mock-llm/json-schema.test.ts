import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { generateValue, type JsonSchema } from '../../mock-llm/json-schema.ts';
import { schemaProblem } from '../../mock-llm/schema-check.ts';
import { Rng } from '../../src/core/random.ts';

const ajv = new Ajv({ strict: false });
const ajv2020 = new Ajv2020({ strict: false });

/** Schemas of the kinds agents send: nested objects and arrays, enums, bounds, refs, unions. */
const SCHEMAS: Record<string, JsonSchema> = {
  weather: {
    type: 'object',
    properties: {
      city: { type: 'string', minLength: 3, maxLength: 12 },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      days: { type: 'integer', minimum: 1, maximum: 7 },
    },
    required: ['city', 'unit'],
    additionalProperties: false,
  },
  nested: {
    type: 'object',
    properties: {
      order: {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'uuid' },
          placed: { type: 'string', format: 'date-time' },
          lines: {
            type: 'array',
            minItems: 2,
            maxItems: 4,
            items: {
              type: 'object',
              properties: {
                sku: { type: 'string' },
                qty: { type: 'integer', exclusiveMinimum: 0, maximum: 9 },
                price: { type: 'number', minimum: 0.5, maximum: 2, multipleOf: 0.25 },
              },
              required: ['sku', 'qty', 'price'],
            },
          },
          note: { type: ['string', 'null'] },
          tags: { type: 'array', items: { enum: ['a', 'b', 'c'] }, uniqueItems: true, maxItems: 3 },
        },
        required: ['id', 'placed', 'lines', 'note'],
      },
      ok: { type: 'boolean' },
      kind: { const: 'order' },
    },
    required: ['order', 'ok', 'kind'],
  },
  refs: {
    type: 'object',
    $defs: {
      node: {
        type: 'object',
        properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } },
        required: ['name', 'children'],
      },
    },
    properties: {
      root: { $ref: '#/$defs/node' },
      choice: {
        anyOf: [
          { type: 'string', maxLength: 5 },
          { type: 'number', maximum: -3 },
        ],
      },
    },
    required: ['root', 'choice'],
  },
  allOf: {
    allOf: [
      { type: 'object', properties: { a: { type: 'integer', multipleOf: 5, minimum: 1 } }, required: ['a'] },
      { properties: { b: { type: 'string', format: 'email' } }, required: ['b'] },
    ],
  },
};

describe('values generated from a JSON Schema', () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    it(`are valid against the "${name}" schema for 200 seeds (ajv)`, () => {
      const validate = ajv.compile(schema);
      for (let seed = 0; seed < 200; seed++) {
        const value = generateValue(schema, new Rng(seed));
        expect(validate(value), `${JSON.stringify(value)}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      }
    });
  }

  it('are the same for the same generator seed and differ across seeds', () => {
    const a = JSON.stringify(generateValue(SCHEMAS['nested']!, new Rng(42)));
    expect(JSON.stringify(generateValue(SCHEMAS['nested']!, new Rng(42)))).toBe(a);
    const distinct = new Set(Array.from({ length: 20 }, (_, s) => JSON.stringify(generateValue(SCHEMAS['nested']!, new Rng(s)))));
    expect(distinct.size).toBeGreaterThan(15);
  });

  it('handle 2020-12 prefixItems and items: false', () => {
    const schema = { type: 'array', prefixItems: [{ type: 'integer' }, { type: 'string' }], items: false };
    const validate = ajv2020.compile(schema);
    for (let seed = 0; seed < 50; seed++) expect(validate(generateValue(schema, new Rng(seed)))).toBe(true);
  });

  it('define a "__proto__" property as an own key', () => {
    // parsed, as a request body is: a literal "__proto__" key would set the prototype instead
    const schema = JSON.parse('{"type":"object","properties":{"__proto__":{"type":"integer","minimum":3,"maximum":3}},"required":["__proto__"]}');
    const value = generateValue(schema, new Rng(1));
    expect(JSON.stringify(value)).toBe('{"__proto__":3}');
  });
});

describe('schema checks', () => {
  it('accept every schema above', () => {
    for (const [name, schema] of Object.entries(SCHEMAS)) expect(schemaProblem(schema, `function '${name}'`, false)).toBeNull();
  });

  it('reject a schema that is not JSON Schema, naming the place', () => {
    expect(schemaProblem({ type: 'objekt' }, "function 'f'", false)).toMatch(
      /^Invalid schema for function 'f': \/type must be equal to one of the allowed values|^Invalid schema for function 'f': \/type/,
    );
    expect(schemaProblem({ type: 'object', required: 'city' }, "function 'f'", false)).toBe("Invalid schema for function 'f': /required must be array.");
    expect(schemaProblem('object', "function 'f'", false)).toBe("Invalid schema for function 'f': expected a JSON Schema object, got string.");
  });

  it('reject a root that is not an object', () => {
    expect(schemaProblem({ type: 'array', items: {} }, "response_format 'r'", false)).toBe(
      `Invalid schema for response_format 'r': schema must be a JSON Schema of 'type: "object"', got 'type: "array"'.`,
    );
  });

  it('apply the strict rules: additionalProperties false and every property required, nested too', () => {
    expect(schemaProblem(SCHEMAS['weather'], "function 'w'", true)).toBe(
      "Invalid schema for function 'w': In context=(root), 'required' is required to be supplied and to be an array including every key in properties. Missing 'days' (strict mode).",
    );
    const nested = {
      type: 'object',
      properties: { a: { type: 'object', properties: { b: { type: 'string' } }, required: ['b'] } },
      required: ['a'],
      additionalProperties: false,
    };
    expect(schemaProblem(nested, "function 'n'", true)).toBe(
      "Invalid schema for function 'n': In context=properties.a, 'additionalProperties' is required to be supplied and to be false (strict mode).",
    );
  });
});
