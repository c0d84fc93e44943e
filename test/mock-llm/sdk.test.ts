import OpenAI from 'openai';
import { encode, encodeChat } from 'gpt-tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, cosineSimilarity, startMockServer, type LedgerSnapshot, type MockServer } from '../../mock-llm/index.ts';

/** A model with exact latencies: TTFT 80 ms + 0.1 ms per prompt token, 8 ms per token, no load slowdown. */
const models = buildCatalog({
  exact: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 80, prefillMsPerInputToken: 0.1, ttftCv: 0, itlMs: 8, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 12,
  },
  quick: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 1, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 0, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 20,
  },
  limited: { extends: 'quick' },
  /** Random TTFT and gaps: a stream draws its gaps as it goes, and must land where its headers said. */
  jittery: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 30, prefillMsPerInputToken: 0, ttftCv: 0.3, itlMs: 15, itlCv: 0.5, slowdownAtCap: 0 },
    defaultOutputTokens: 16,
  },
  'emb-fast': { extends: 'text-embedding-3-small', latency: { ttftBaseMs: 1, prefillMsPerInputToken: 0, ttftCv: 0 } },
});

let server: MockServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startMockServer({
    port: 0,
    host: '127.0.0.1',
    models,
    seed: 7,
    limits: { limited: { requestsPerMinute: 1, windowMs: 150 } },
  });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

const messages = [
  { role: 'system' as const, content: 'You are a terse assistant.' },
  { role: 'user' as const, content: 'Summarise the quarterly report in two sentences, please.' },
];
const expectedPromptTokens = encodeChat(messages, 'gpt-4o').length;

describe('chat completions through the openai SDK', () => {
  it('answers a plain request with usage equal to the tokenizer counts', async () => {
    const res = await client.chat.completions.create({ model: 'quick', messages });
    const text = res.choices[0]!.message.content!;
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage!.prompt_tokens).toBe(expectedPromptTokens);
    expect(res.usage!.completion_tokens).toBe(20);
    expect(encode(text).length).toBe(20);
    expect(res.usage!.total_tokens).toBe(expectedPromptTokens + 20);
  });

  it('streams with include_usage: content chunks, a finish chunk, a usage chunk with empty choices', async () => {
    const stream = await client.chat.completions.create({
      model: 'quick',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const finish: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.choices.length === 0) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.delta.content ?? '';
        if (c.finish_reason !== null) finish.push(c.finish_reason);
      }
    }
    expect(chunks).toBe(20 + 2);
    expect(finish).toEqual(['stop']);
    expect(usage!.prompt_tokens).toBe(expectedPromptTokens);
    expect(usage!.completion_tokens).toBe(encode(text).length);
    expect(usage!.completion_tokens).toBe(20);
  });

  it('returns the same text for the same seed and body', async () => {
    const a = await client.chat.completions.create({ model: 'quick', messages });
    const b = await client.chat.completions.create({ model: 'quick', messages });
    const c = await client.chat.completions.create({ model: 'quick', messages: [{ role: 'user', content: 'other' }] });
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    expect(c.choices[0]!.message.content).not.toBe(a.choices[0]!.message.content);
  });

  it('caps the output at max_tokens with finish_reason "length"', async () => {
    const res = await client.chat.completions.create({ model: 'quick', messages, max_tokens: 5 });
    expect(res.choices[0]!.finish_reason).toBe('length');
    expect(res.usage!.completion_tokens).toBe(5);
    expect(encode(res.choices[0]!.message.content!).length).toBe(5);
  });

  it('produces the length asked by x-mock-output-tokens or metadata.mock_output_tokens', async () => {
    const byHeader = await client.chat.completions.create({ model: 'quick', messages }, { headers: { 'x-mock-output-tokens': '37' } });
    const byMeta = await client.chat.completions.create({ model: 'quick', messages, metadata: { mock_output_tokens: '3' } });
    expect(byHeader.usage!.completion_tokens).toBe(37);
    expect(encode(byHeader.choices[0]!.message.content!).length).toBe(37);
    expect(byMeta.usage!.completion_tokens).toBe(3);
  });

  it('attaches the quality judgement when the request carries a difficulty', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'quick', messages, metadata: { difficulty: '0.4' } }).withResponse();
    const mock = (data as unknown as { mock: { correct: boolean; confidence: number; difficulty: number } }).mock;
    expect(mock.difficulty).toBe(0.4);
    expect(typeof mock.correct).toBe('boolean');
    expect(mock.confidence).toBeGreaterThan(0);
    expect(mock.confidence).toBeLessThan(1);
    expect(response.headers.get('x-mock-correct')).toBe(String(mock.correct));
    expect(Number(response.headers.get('x-mock-confidence'))).toBeCloseTo(mock.confidence, 3);
  });

  it('answers 400 context_length_exceeded when prompt + max tokens exceed the context window', async () => {
    const err = await client.chat.completions.create({ model: 'quick', messages, max_tokens: 200_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
  });

  it('answers 404 model_not_found for an unknown model', async () => {
    const err = await client.chat.completions.create({ model: 'gpt-nope', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('lists the catalog at /v1/models', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain('exact');
    expect(ids).toContain('gpt-4o');
  });
});

describe('retries', () => {
  it('lets the SDK retry a 429 forced on the first attempt only', async () => {
    const retrying = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 2 });
    const body = { model: 'quick', messages: [{ role: 'user' as const, content: 'retry me ' + Date.now() }] };
    const { data, response } = await retrying.chat.completions.create(body, { headers: { 'x-mock-fault-once': '429' } }).withResponse();
    expect(response.status).toBe(200);
    expect(data.usage!.completion_tokens).toBe(20);
    const ledger = (await (await fetch(`${server.url}/v1/ledger`)).json()) as LedgerSnapshot;
    const outcomes = ledger.rows.filter((r) => r.model === 'quick').map((r) => r.outcome);
    expect(outcomes.slice(-2)).toEqual(['rate_limited', 'ok']);
  });

  it('answers 429 with Retry-After and x-ratelimit headers at 1 request per window, and the SDK gets through', async () => {
    const first = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'limited', messages }),
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('1');
    await first.text();
    const second = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'limited', messages }),
    });
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(second.headers.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(Number(second.headers.get('retry-after-ms'))).toBeLessThanOrEqual(150);
    const body = (await second.json()) as { error: { type: string; code: string; message: string; param: null } };
    expect(body.error.code).toBe('rate_limit_exceeded');
    expect(body.error.type).toBe('requests');
    const retrying = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 3 });
    const res = await retrying.chat.completions.create({ model: 'limited', messages });
    expect(res.choices[0]!.finish_reason).toBe('stop');
  });
});

describe('embeddings through the openai SDK', () => {
  it('decodes the default base64 encoding into unit vectors of the requested width', async () => {
    const res = await client.embeddings.create({ model: 'emb-fast', input: ['the cat sat on the mat'], dimensions: 256 });
    const v = res.data[0]!.embedding;
    expect(v).toHaveLength(256);
    expect(Math.hypot(...v)).toBeCloseTo(1, 4);
    expect(res.usage.prompt_tokens).toBe(encode('the cat sat on the mat').length);
  });

  it('returns the same vector as floats and as base64', async () => {
    const f = await client.embeddings.create({ model: 'emb-fast', input: 'hello world', encoding_format: 'float' });
    const b = await client.embeddings.create({ model: 'emb-fast', input: 'hello world' });
    expect(f.data[0]!.embedding).toHaveLength(1536);
    expect(b.data[0]!.embedding).toEqual(f.data[0]!.embedding);
  });

  it('puts paraphrases close and unrelated texts apart', async () => {
    const res = await client.embeddings.create({
      model: 'emb-fast',
      input: ['how do I reset my account password', 'how can I reset the password of my account', 'best hiking trails near the alps in summer'],
    });
    const [a, b, c] = res.data.map((d) => d.embedding) as [number[], number[], number[]];
    expect(cosineSimilarity(a, b)).toBeGreaterThan(0.7);
    expect(Math.abs(cosineSimilarity(a, c))).toBeLessThan(0.3);
  });

  it('rejects token arrays with 400', async () => {
    const err = await client.embeddings.create({ model: 'emb-fast', input: [[1, 2, 3]] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
  });
});

// Timing is wall-clock: a loaded machine (other test files run in parallel) can deschedule the
// process for many milliseconds, so these tests retry; the strict figure is in test/perf/mock.perf.ts.
describe('timing follows the configured model', { retry: 2 }, () => {
  it('streams with TTFT and inter-token gaps within tolerance of the exact latencies', async () => {
    const TOLERANCE_MS = 12;
    const start = performance.now();
    const { data: stream, response } = await client.chat.completions.create({ model: 'exact', messages, stream: true }).withResponse();
    const arrivals: number[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) arrivals.push(performance.now() - start);
    const ttftMs = 80 + 0.1 * expectedPromptTokens;
    expect(Number(response.headers.get('x-mock-ttft-ms'))).toBeCloseTo(ttftMs, 6);
    expect(arrivals).toHaveLength(12);
    expect(Math.abs(arrivals[0]! - ttftMs)).toBeLessThan(TOLERANCE_MS);
    expect(Math.abs(arrivals[11]! - (ttftMs + 11 * 8))).toBeLessThan(TOLERANCE_MS);
    for (let i = 1; i < arrivals.length; i++) expect(Math.abs(arrivals[i]! - arrivals[i - 1]! - 8)).toBeLessThan(TOLERANCE_MS);
  });

  it('sends a stream with random gaps when its headers said, first token and last (server-side, from the ledger)', async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'jittery', messages, stream: true }) });
    expect((await res.text()).match(/"content":"/g)).toHaveLength(16);
    const id = res.headers.get('x-request-id');
    const ledger = (await (await fetch(`${server.url}/v1/ledger`)).json()) as LedgerSnapshot;
    const row = ledger.rows.find((r) => r.id === id)!;
    // sent when due, or a little late (a busy machine): never early beyond the scheduler's tolerance
    const ttftLate = row.ttftMs! - Number(res.headers.get('x-mock-ttft-ms'));
    const lastLate = row.latencyMs - Number(res.headers.get('x-mock-total-ms'));
    expect(ttftLate).toBeGreaterThan(-1);
    expect(ttftLate).toBeLessThan(25);
    expect(lastLate).toBeGreaterThan(-1); // 15 gaps of 15 ms ± 50% drawn differently would miss by tens of ms
    expect(lastLate).toBeLessThan(25);
  });

  it('answers a plain request after TTFT plus all gaps', async () => {
    const start = performance.now();
    const res = await client.chat.completions.create({ model: 'exact', messages, max_tokens: 6 });
    const elapsed = performance.now() - start;
    const expected = 80 + 0.1 * expectedPromptTokens + 5 * 8;
    expect(res.usage!.completion_tokens).toBe(6);
    expect(Math.abs(elapsed - expected)).toBeLessThan(12);
  });

  it('divides every latency by timeScale', async () => {
    const fast = await startMockServer({ port: 0, models, timeScale: 4 });
    try {
      const res = await fetch(`${fast.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'exact', messages }),
      });
      await res.text();
      expect(Number(res.headers.get('x-mock-total-ms'))).toBeCloseTo((80 + 0.1 * expectedPromptTokens + 11 * 8) / 4, 6);
    } finally {
      await fast.close();
    }
  });
});

describe('api key', () => {
  it('answers 401 without the right bearer key, 200 with it', async () => {
    const locked = await startMockServer({ port: 0, models, apiKey: 'sekrit' });
    try {
      const bad = new OpenAI({ baseURL: `${locked.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
      const err = await bad.chat.completions.create({ model: 'quick', messages }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
      const good = new OpenAI({ baseURL: `${locked.url}/v1`, apiKey: 'sekrit', maxRetries: 0 });
      const res = await good.chat.completions.create({ model: 'quick', messages });
      expect(res.usage!.completion_tokens).toBe(20);
      expect((await fetch(`${locked.url}/health`)).status).toBe(200);
    } finally {
      await locked.close();
    }
  });
});
