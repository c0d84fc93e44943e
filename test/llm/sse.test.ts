import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/provider/catalog.ts';
import { RealClock } from '../../src/live/real-clock.ts';
import type { ChatCall } from '../../src/llm/client.ts';
import { HttpLlmClient } from '../../src/llm/http-client.ts';
import { TOOL_CALL_SLACK_TOKENS } from '../../src/llm/http-transport.ts';

const chunk = (content: string | null, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 'c',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: content === null ? { role: 'assistant', content: '' } : { content }, finish_reason: null }],
    ...extra,
  });
const finish = JSON.stringify({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
const usage = JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 12, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 0 } } });
/** The same JSON with a space after every colon and comma, as Python's json.dumps writes it. */
const spaced = (json: string) => json.replace(/":/g, '": ').replace(/,"/g, ', "');

/** Each variant: the raw body the fixture server streams (role chunk, three tokens, finish, usage-only chunk, [DONE]). */
const VARIANTS: Record<string, string> = {
  lf: [chunk(null), chunk('a'), chunk('b'), chunk('c'), finish, usage, '[DONE]'].map((d) => `data: ${d}\n\n`).join(''),
  crlf: [chunk(null), chunk('a'), chunk('b'), chunk('c'), finish, usage, '[DONE]'].map((d) => `data: ${d}\r\n\r\n`).join(''),
  cr: [chunk(null), chunk('a'), chunk('b'), chunk('c'), finish, usage, '[DONE]'].map((d) => `data: ${d}\r\r`).join(''),
  'no-space': [chunk(null), chunk('a'), chunk('b'), chunk('c'), finish, usage, '[DONE]'].map((d) => `data:${d}\n\n`).join(''),
  comments: `: hello\n\n${[chunk(null), chunk('a'), chunk('b'), chunk('c'), finish, usage, '[DONE]'].map((d) => `: keep-alive\ndata: ${d}\n\n`).join('')}`,
  'keep-alive': [chunk(null), chunk('a'), chunk('b'), chunk('c'), finish, usage, '[DONE]'].map((d) => `:\n\n\n\ndata: ${d}\n\n`).join(''),
  'multi-line': [chunk(null), chunk('a'), chunk('b'), chunk('c'), finish, usage, '[DONE]']
    .map(
      (d) =>
        `${(d === '[DONE]' ? d : JSON.stringify(JSON.parse(d), null, 1))
          .split('\n')
          .map((l) => `data: ${l}`)
          .join('\n')}\n\n`,
    )
    .join(''),
  'spaced-json': [chunk(null), chunk('a'), chunk('b'), chunk('c'), finish, usage, '[DONE]'].map((d) => `data: ${spaced(d)}\n\n`).join(''),
  'event-field': [chunk(null), chunk('a'), chunk('b'), chunk('c'), finish, usage, '[DONE]'].map((d) => `event: message\ndata: ${d}\nid: 1\n\n`).join(''),
};

/** A role chunk alone, or as some servers send it with `tool_calls` null or empty, 60 ms before the content. */
const roleWithTools = (toolCalls: unknown) =>
  JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { role: 'assistant', content: null, tool_calls: toolCalls }, finish_reason: null }] });
const PAUSED: Record<string, [string, string]> = Object.fromEntries(
  (
    [
      ['role-only', undefined],
      ['tool-calls-null', null],
      ['tool-calls-empty', []],
      ['tool-calls-null-entry', [null]],
    ] as const
  ).map(([name, toolCalls]) => [
    name,
    [`data: ${roleWithTools(toolCalls)}\r\n\r\n`, [chunk('a'), chunk('b'), chunk('c'), finish, usage, '[DONE]'].map((d) => `data: ${d}\r\n\r\n`).join('')],
  ]),
);

let server: Server;
let lastBody: Record<string, unknown> = {};
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    // the variant is the first path segment: /<variant>/v1/chat/completions
    const variant = decodeURIComponent((req.url ?? '').split('/')[1] ?? '');
    let request = '';
    req.on('data', (d: Buffer) => (request += d.toString()));
    req.on('end', () => {
      lastBody = JSON.parse(request) as Record<string, unknown>;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const paused = PAUSED[variant];
      if (paused !== undefined) {
        res.write(paused[0]);
        setTimeout(() => res.end(paused[1]), 60);
        return;
      }
      const body = VARIANTS[variant]!;
      // byte by byte in a few writes, so events and even line endings straddle reads
      const cut = [0, 7, 61, 62, Math.floor(body.length / 2), body.length - 1, body.length];
      let i = 0;
      const next = () => {
        if (i + 1 >= cut.length) return res.end();
        res.write(body.slice(cut[i]!, cut[i + 1]!));
        i++;
        setTimeout(next, 2);
      };
      next();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const call: ChatCall = {
  model: 'gpt-4o-mini',
  step: 'answer',
  jobId: 1,
  jobSeed: 1,
  stepSeed: 1,
  callIndex: 0,
  inputTokens: 12,
  prefixTokens: 0,
  outputTokens: 3,
  difficulty: 0.5,
  stream: true,
};

describe('SSE through eventsource-parser', () => {
  it.each(Object.keys(VARIANTS))('reads the %s variant: three tokens, usage, TTFT at the first content token', async (variant) => {
    const client = new HttpLlmClient({ baseUrl: `${origin}/${variant}/v1`, catalog: buildCatalog(), clock: new RealClock() });
    const gaps: number[] = [];
    client.observeTokenGaps?.((g, n) => gaps.push(...Array<number>(n).fill(g)));
    try {
      const r = await client.chat(call);
      expect(r.outcome).toBe('ok');
      expect(r.inputTokens).toBe(12);
      expect(r.outputTokens).toBe(3);
      expect(r.ttftMs).toBeGreaterThan(0);
      expect(r.ttftMs).toBeLessThan(r.latencyMs);
      // two gaps between three content tokens; the role chunk is not a token
      expect(gaps).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it.each(Object.keys(PAUSED))('reads a role chunk with %s as no token and no tool call: TTFT at the first content token', async (variant) => {
    const client = new HttpLlmClient({ baseUrl: `${origin}/${variant}/v1`, catalog: buildCatalog(), clock: new RealClock() });
    try {
      const r = await client.chat(call);
      expect(r.outcome).toBe('ok');
      expect(r.outputTokens).toBe(3);
      expect(r.toolCalls).toBeUndefined();
      expect(r.ttftMs).toBeGreaterThanOrEqual(55); // the role chunk came 60 ms before the first token
    } finally {
      await client.close();
    }
  });

  it('caps a plain call at its output tokens, and gives a tool call room for another framing', async () => {
    const client = new HttpLlmClient({ baseUrl: `${origin}/lf/v1`, catalog: buildCatalog(), clock: new RealClock() });
    try {
      await client.chat(call);
      expect(lastBody['max_completion_tokens']).toBe(3);
      const offer = { tools: [], choose: 'kb_search', tokens: 0 };
      await client.chat({ ...call, outputTokens: 11, tools: { offer, answersWithCall: true } });
      expect(lastBody['max_completion_tokens']).toBe(11 + TOOL_CALL_SLACK_TOKENS);
    } finally {
      await client.close();
    }
  });
});
