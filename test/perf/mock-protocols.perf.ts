/**
 * Throughput of mock-llm's agent features against its plain chat answer, same server, same
 * run: requests/s of chat with a tool call and with json_schema output (each whole and
 * streamed), and of the Responses and Anthropic Messages APIs, each as a ratio to plain chat.
 * Goal: tool-call and json_schema requests >= 0.90 of plain chat. autocannon, 50 connections,
 * CANNON_SECONDS per run, the kinds in a rotating order in every round; the ratio is the median
 * over rounds of kind ÷ the same round's plain chat. The zero-latency model of mock.perf.ts (100
 * output tokens of text; a tool call or a JSON object is as long as its schema makes it).
 */
import type autocannon from 'autocannon';
import { MESSAGES, ZERO_MODEL } from './harness/mock-setup.ts';
import { startChild } from './harness/servers.ts';
import { median, processCpuMs, round3 } from './harness/stats.ts';

const CANNON_SECONDS = 2;
const CANNON_CONNECTIONS = 50;
const ROUNDS = Number(process.env['MOCK_PERF_PROTOCOL_ROUNDS'] ?? 4);

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    strict: true,
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer', minimum: 1, maximum: 7 } },
      required: ['city', 'unit', 'days'],
      additionalProperties: false,
    },
  },
};
const ORDER_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['open', 'shipped', 'lost'] },
    lines: {
      type: 'array',
      minItems: 2,
      maxItems: 4,
      items: {
        type: 'object',
        properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1, maximum: 9 } },
        required: ['sku', 'qty'],
        additionalProperties: false,
      },
    },
  },
  required: ['id', 'status', 'lines'],
  additionalProperties: false,
};

/** Each kind: its path and body. */
const KINDS: Record<string, { path: string; body: unknown; headers?: Record<string, string> }> = {
  chat: { path: '/v1/chat/completions', body: { model: ZERO_MODEL, messages: MESSAGES } },
  chatToolCall: { path: '/v1/chat/completions', body: { model: ZERO_MODEL, messages: MESSAGES, tools: [WEATHER_TOOL], tool_choice: 'required' } },
  chatJsonSchema: {
    path: '/v1/chat/completions',
    body: {
      model: ZERO_MODEL,
      messages: MESSAGES,
      response_format: { type: 'json_schema', json_schema: { name: 'order', schema: ORDER_SCHEMA, strict: true } },
    },
  },
  chatStreamed: { path: '/v1/chat/completions', body: { model: ZERO_MODEL, messages: MESSAGES, stream: true } },
  chatToolCallStreamed: {
    path: '/v1/chat/completions',
    body: { model: ZERO_MODEL, messages: MESSAGES, tools: [WEATHER_TOOL], tool_choice: 'required', stream: true },
  },
  chatJsonSchemaStreamed: {
    path: '/v1/chat/completions',
    body: {
      model: ZERO_MODEL,
      messages: MESSAGES,
      stream: true,
      response_format: { type: 'json_schema', json_schema: { name: 'order', schema: ORDER_SCHEMA, strict: true } },
    },
  },
  responses: { path: '/v1/responses', body: { model: ZERO_MODEL, instructions: MESSAGES[0]!.content, input: MESSAGES[1]!.content } },
  anthropicMessages: {
    path: '/v1/messages',
    body: { model: ZERO_MODEL, max_tokens: 1000, system: MESSAGES[0]!.content, messages: [MESSAGES[1]] },
    headers: { 'anthropic-version': '2023-06-01' },
  },
};

type Cannon = (kind: string, seconds: number) => Promise<autocannon.Result>;
type Child = Awaited<ReturnType<typeof startChild>>;

/** An autocannon run of one kind against the mock for `seconds`. */
async function cannonFor(mock: Child): Promise<Cannon> {
  const { default: autocannonRun } = await import('autocannon');
  return (kind, seconds) =>
    autocannonRun({
      url: `${mock.url}${KINDS[kind]!.path}`,
      method: 'POST',
      body: JSON.stringify(KINDS[kind]!.body),
      headers: { 'content-type': 'application/json', ...KINDS[kind]!.headers },
      connections: CANNON_CONNECTIONS,
      duration: seconds,
    });
}

/** Each kind's response size, checking it answers 200, then a 1 s warm-up run. */
async function sizesAndWarmUp(mock: Child, cannon: Cannon, names: readonly string[]): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const kind of names) {
    const res = await fetch(`${mock.url}${KINDS[kind]!.path}`, {
      method: 'POST',
      body: JSON.stringify(KINDS[kind]!.body),
      headers: { 'content-type': 'application/json' },
    });
    if (res.status !== 200) throw new Error(`${kind}: status ${res.status}: ${await res.text()}`);
    sizes[kind] = (await res.text()).length;
    await cannon(kind, 1);
  }
  return sizes;
}

/** ROUNDS rounds of every kind in a rotating order: requests/s and the server's cores used, per kind and round. */
async function rounds(mock: Child, cannon: Cannon, names: readonly string[]) {
  const rps: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const serverCores: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  let errors = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of names.map((_, i) => names[(i + round) % names.length]!)) {
      const before = processCpuMs(mock.process.pid);
      const wallBefore = performance.now();
      const r = await cannon(kind, CANNON_SECONDS);
      serverCores[kind]!.push((processCpuMs(mock.process.pid) - before) / (performance.now() - wallBefore));
      rps[kind]!.push(r.requests.average);
      errors += r.errors + r.non2xx;
    }
  }
  return { rps, serverCores, errors };
}

/** Runs the benchmark and returns its figures. */
export default async function run(): Promise<Record<string, unknown>> {
  const mock = await startChild('mock', {});
  try {
    const cannon = await cannonFor(mock);
    const names = Object.keys(KINDS);
    const sizes = await sizesAndWarmUp(mock, cannon, names);
    const { rps, serverCores, errors } = await rounds(mock, cannon, names);
    const figures: Record<string, unknown> = {};
    for (const kind of names) {
      const base = kind.endsWith('Streamed') ? 'chatStreamed' : 'chat';
      const ratios = rps[kind]!.map((x, i) => x / rps[base]![i]!);
      figures[kind] = {
        responseBytes: sizes[kind],
        requestsPerSec: Math.round(median(rps[kind]!)),
        ratioToPlainChat: round3(median(ratios)),
        comparedWith: base,
        perRound: rps[kind]!.map(Math.round),
        serverCores: round3(median(serverCores[kind]!)),
      };
    }
    return {
      connections: CANNON_CONNECTIONS,
      secondsPerRun: CANNON_SECONDS,
      rounds: ROUNDS,
      goalRatio: 0.9,
      errorsOrNon2xx: errors,
      kinds: figures,
    };
  } finally {
    mock.process.kill();
  }
}
