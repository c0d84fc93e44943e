import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../src/live/real-clock.ts';
import { SendThread } from '../../src/live/sender.ts';
import type { ChatCall } from '../../src/llm/client.ts';
import { HttpLlmClient } from '../../src/llm/http-client.ts';
import { buildCatalog } from '../../src/provider/catalog.ts';
import { epochNow, UndiciTransport } from '../../src/llm/http-transport.ts';

/** A server streaming three content tokens 5 ms apart (role chunk first, usage last), or a 429. */
let server: Server;
let baseUrl: string;
const seen: { path: string; body: Record<string, unknown>; atEpoch: number }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      if (req.url?.endsWith('/models')) return void res.end('{"data":[]}');
      seen.push({ path: req.url ?? '', body: JSON.parse(text) as Record<string, unknown>, atEpoch: epochNow() });
      if (req.headers['x-mock-output-tokens'] === '999') return; // never answers
      if (req.headers['x-mock-output-tokens'] === '429') {
        res.writeHead(429, { 'retry-after-ms': '250' });
        return void res.end('{"error":{"message":"slow down"}}');
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-mock-correct': 'false', 'x-mock-confidence': '0.25' });
      const events = [
        { choices: [{ delta: { role: 'assistant', content: '' } }] },
        { choices: [{ delta: { content: 'a' } }] },
        { choices: [{ delta: { content: 'b' } }] },
        { choices: [{ delta: { content: 'c' }, finish_reason: 'stop' }] },
        { choices: [], usage: { prompt_tokens: 30, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 0 } } },
      ];
      let i = 0;
      const next = () => {
        if (i === events.length) return void res.end('data: [DONE]\n\n');
        res.write(`data: ${JSON.stringify(events[i++])}\n\n`);
        setTimeout(next, 5);
      };
      next();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const call: ChatCall = {
  model: 'gpt-4o-mini',
  step: 'answer',
  jobId: 7,
  jobSeed: 1,
  callIndex: 0,
  stepSeed: 1,
  inputTokens: 30,
  prefixTokens: 10,
  outputTokens: 3,
  difficulty: 0.5,
  stream: true,
};

describe('the send thread (live requests off the run thread)', () => {
  it('builds the prompt, sends it over its pool, parses the stream and timestamps each token on its own thread', async () => {
    const sender = await SendThread.start({ baseUrl });
    try {
      await sender.warmUp(2);
      const f = await sender.chat({
        model: 'gpt-4o-mini',
        step: 'answer',
        prefixTokens: 10,
        inputTokens: 30,
        wording: 'w1',
        outputTokens: 3,
        difficulty: 0.5,
        qualitySeed: 1,
      });
      expect(f).toMatchObject({ kind: 'response', status: 200, contentChunks: 3, finished: true, failed: false, correct: 'false', confidence: '0.25' });
      expect(f.usage?.completion_tokens).toBe(3);
      expect(f.gaps).toHaveLength(2);
      expect(f.sentAt).toBeLessThanOrEqual(f.firstTokenAt);
      expect(f.firstTokenAt).toBeLessThanOrEqual(f.endAt);
      // the request as the mock expects it: the prompt built from the call's step and wording
      const sent = seen.at(-1)!;
      expect(sent.path).toBe('/v1/chat/completions');
      expect(sent.body).toMatchObject({ model: 'gpt-4o-mini', stream: true, max_completion_tokens: 3, metadata: { step: 'answer' } });
      expect((sent.body['messages'] as unknown[]).length).toBe(2);
    } finally {
      await sender.close();
    }
  });

  it('through HttpLlmClient: results on the run clock, token gaps and each call’s dispatch lag reported, a 429 with its wait', async () => {
    const sender = await SendThread.start({ baseUrl });
    const client = new HttpLlmClient({ baseUrl, catalog: buildCatalog(), clock: new RealClock(2), timeScale: 2, transport: sender });
    const gaps: number[] = [];
    const dispatches: [number, number][] = [];
    client.observeTokenGaps((g) => gaps.push(g));
    client.observeDispatches((jobId, lag) => dispatches.push([jobId, lag]));
    try {
      const r = await client.chat(call);
      expect(r).toMatchObject({ outcome: 'ok', inputTokens: 30, outputTokens: 3, correct: false, confidence: 0.25 });
      expect(r.ttftMs).toBeGreaterThan(0);
      expect(r.latencyMs).toBeGreaterThan(r.ttftMs);
      expect(gaps).toHaveLength(2);
      // (not asserted against the server's 5 ms: on a loaded machine two tokens can arrive in one read)
      for (const g of gaps) expect(g).toBeGreaterThanOrEqual(0);
      expect(dispatches).toHaveLength(1);
      expect(dispatches[0]![0]).toBe(7);
      expect(dispatches[0]![1]).toBeGreaterThanOrEqual(0);
      const limited = await client.chat({ ...call, outputTokens: 429 });
      expect(limited.outcome).toBe('rate_limited');
      expect(limited.retryAfterMs).toBe(500); // 250 ms wall at ×2
    } finally {
      await client.close();
    }
  });

  it('warms its chat path against a canned stream of its own: no warm-up call reaches the target', async () => {
    const sender = await SendThread.start({ baseUrl });
    try {
      const before = seen.length;
      expect(await sender.prepare(2, 120)).toEqual({ chatCalls: 120 }); // every warm-up call answered by the canned stream
      expect(seen.length).toBe(before);
      // and it sends to the target afterwards as before
      const f = await sender.chat({
        model: 'gpt-4o-mini',
        step: 'answer',
        prefixTokens: 10,
        inputTokens: 30,
        wording: 'w2',
        outputTokens: 3,
        difficulty: 0.5,
        qualitySeed: 1,
      });
      expect(f).toMatchObject({ status: 200, contentChunks: 3 });
      expect(seen.length).toBe(before + 1);
    } finally {
      await sender.close();
    }
  });

  it('a request past its timeout is aborted and reported as a timeout, and a dead endpoint as a network failure', async () => {
    const transport = new UndiciTransport({ baseUrl });
    const wire = { model: 'gpt-4o-mini', step: 'answer', prefixTokens: 0, inputTokens: 10, wording: 'w', outputTokens: 999, difficulty: 0.5, qualitySeed: 1 };
    const before = epochNow();
    const f = await transport.chat({ ...wire, timeoutWallMs: 50 });
    expect(f.kind).toBe('timeout');
    expect(f.endAt - before).toBeGreaterThanOrEqual(49);
    await transport.close();
    const dead = new UndiciTransport({ baseUrl: 'http://127.0.0.1:1/v1' });
    expect((await dead.chat({ ...wire, outputTokens: 3 })).kind).toBe('network');
    await dead.close();
  });

  it("a job's first call made before its arrival time waits on the send thread until then, and its latency counts from then", async () => {
    const sender = await SendThread.start({ baseUrl });
    const clock = new RealClock(2);
    const client = new HttpLlmClient({ baseUrl, catalog: buildCatalog(), clock, timeScale: 2, transport: sender });
    const dispatches: number[] = [];
    client.observeDispatches((_, lag) => dispatches.push(lag));
    try {
      await sender.warmUp(1);
      // the wall-clock bound read first: the due time read after it is never earlier (read the other
      // way round, a pause between the two reads made the bound later than the due time)
      const dueEpoch = epochNow() + 100;
      const due = clock.now() + 200; // 100 ms of wall time ahead at ×2
      client.holdFirstCall(8, due);
      const r = await client.chat({ ...call, jobId: 8 });
      expect(r.outcome).toBe('ok');
      expect(seen.at(-1)!.atEpoch).toBeGreaterThanOrEqual(dueEpoch - 0.5); // never early beyond 0.2 ms (node timers alone can fire ms early)
      // counted from the due time: the stream itself takes ~25 ms of wall time (50 scenario ms), not the 100 ms wait
      expect(r.latencyMs).toBeLessThan(200);
      expect(r.ttftMs).toBeLessThan(r.latencyMs);
      expect(dispatches[0]!).toBeLessThan(100);
      // only the first call is held
      const second = epochNow();
      await client.chat({ ...call, jobId: 8 });
      expect(seen.at(-1)!.atEpoch - second).toBeLessThan(100);
    } finally {
      await client.close();
    }
  });
});
