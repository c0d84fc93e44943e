import { createOpenAI } from '@ai-sdk/openai';
import { generateObject, generateText, stepCountIs, streamText, tool, type LanguageModel } from 'ai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildCatalog, startMockServer, type LedgerSnapshot, type MockServer } from '../../mock-llm/index.ts';

/** zod's JSON Schemas are draft 2020-12. */
const ajv = new Ajv2020({ strict: false });
const models = buildCatalog({
  quick: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 1, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 1, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 10,
  },
});

let server: MockServer;
let provider: ReturnType<typeof createOpenAI>;
beforeAll(async () => {
  server = await startMockServer({ port: 0, models, seed: 21 });
  provider = createOpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test' });
});
afterAll(async () => {
  await server.close();
});

const weatherInput = z.object({ city: z.string().min(2), unit: z.enum(['celsius', 'fahrenheit']), days: z.number().int().min(1).max(7) });
const weatherSchema = z.toJSONSchema(weatherInput);

const variants: [string, () => LanguageModel][] = [
  ['.chat()', () => provider.chat('quick')],
  ['.responses()', () => provider.responses('quick')],
];

describe.each(variants)('Vercel AI SDK through %s', (_name, model) => {
  it('runs a generateText tool loop with stopWhen: a tool call with valid input, its result, then a text answer', async () => {
    const inputs: unknown[] = [];
    const result = await generateText({
      model: model(),
      prompt: 'What is the weather in Oslo this week?',
      tools: {
        weather: tool({
          description: 'Weather for a city',
          inputSchema: weatherInput,
          execute: async (input) => {
            inputs.push(input);
            return { tempC: 4 };
          },
        }),
      },
      stopWhen: stepCountIs(5),
    });
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]!.finishReason).toBe('tool-calls');
    expect(inputs).toHaveLength(1);
    expect(ajv.validate(weatherSchema, inputs[0]), ajv.errorsText()).toBe(true);
    expect(result.finishReason).toBe('stop');
    expect(result.text.split(' ')).toHaveLength(10);
    expect(result.totalUsage.outputTokens).toBeGreaterThan(10);
  });

  it('generateObject returns an object valid against the zod schema', async () => {
    const schema = z.object({
      title: z.string(),
      tags: z.array(z.string()).min(1).max(3),
      score: z.number().min(0).max(1),
      status: z.enum(['draft', 'final']),
    });
    const { object } = await generateObject({ model: model(), schema, prompt: 'Describe the report.' });
    expect(schema.parse(object)).toEqual(object);
    expect(ajv.validate(z.toJSONSchema(schema), object)).toBe(true);
  });

  it('streamText streams the text and reports usage', async () => {
    const result = streamText({ model: model(), prompt: 'Say something.' });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text.split(' ')).toHaveLength(10);
    expect((await result.usage).outputTokens).toBe(10);
  });
});

describe('the ledger sees the SDK calls', () => {
  it('records one row per HTTP call, by endpoint', async () => {
    const ledger = (await (await fetch(`${server.url}/v1/ledger`)).json()) as LedgerSnapshot;
    const byEndpoint: Record<string, number> = {};
    for (const r of ledger.rows) byEndpoint[r.endpoint] = (byEndpoint[r.endpoint] ?? 0) + 1;
    expect(byEndpoint).toEqual({ chat: 4, responses: 4 });
    expect(ledger.rows.every((r) => r.outcome === 'ok' && r.costUsd > 0)).toBe(true);
  });
});
