/**
 * TTFT counts to the first content token, not to the role-only chunk: the fixture server writes
 * the role chunk at once, then waits before the first content token, in separate writes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/provider/catalog.ts';
import { RealClock } from '../../src/live/real-clock.ts';
import type { ChatCall } from '../../src/llm/client.ts';
import { HttpLlmClient } from '../../src/llm/http-client.ts';

/** Wall ms between the role chunk and the first content token. */
const ROLE_TO_CONTENT_MS = 150;
const delta = (d: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: d, finish_reason: finish }] })}\n\n`;
const usage = `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 12, completion_tokens: 2 } })}\n\n`;

let server: Server;
let origin: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      res.write(delta({ role: 'assistant', content: '' }));
      setTimeout(() => {
        res.write(delta({ content: 'a' }));
        setTimeout(() => res.end(`${delta({ content: 'b' })}${delta({}, 'stop')}${usage}data: [DONE]\n\n`), 5);
      }, ROLE_TO_CONTENT_MS);
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
  outputTokens: 2,
  difficulty: 0.5,
  stream: true,
};

describe('TTFT of a stream whose role chunk arrives well before the first token', () => {
  it('is at least the wait between the role chunk and the first content token', async () => {
    const client = new HttpLlmClient({ baseUrl: `${origin}/v1`, catalog: buildCatalog(), clock: new RealClock() });
    try {
      const r = await client.chat(call);
      expect(r.outcome).toBe('ok');
      expect(r.outputTokens).toBe(2);
      // timers fire no earlier than asked; 1 ms of slack for clock rounding
      expect(r.ttftMs).toBeGreaterThanOrEqual(ROLE_TO_CONTENT_MS - 1);
      expect(r.ttftMs).toBeLessThanOrEqual(r.latencyMs);
    } finally {
      await client.close();
    }
  });
});
