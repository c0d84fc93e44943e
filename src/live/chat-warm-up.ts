/**
 * Warms the send thread's chat path before a live run's clock starts, without a request to the
 * target: a server on this thread streams a canned answer, and `UndiciTransport` sends it calls
 * as the run will (prompt text, JSON body, held until a time, SSE parsing, token timestamps).
 * A cold thread runs that code in V8's interpreter and grows its heap in small steps (a
 * scavenge every few hundred kilobytes): its first few hundred real requests at 1,000/s reached a
 * connection up to 0.3 s late. Every function is compiled and the heap sized before the clock runs.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ChatWire, epochNow, UndiciTransport } from '../llm/http-transport.ts';

/** Calls in flight at once during the warm-up. */
const BATCH = 50;

/** Content tokens of the canned answer (the live benchmark's answers are 16). */
const TOKENS = 16;

/** The canned answer, as OpenAI-compatible servers (and mock-llm) stream it: role, tokens, finish, usage, [DONE]. */
function cannedEvents(): string[] {
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    `data: ${JSON.stringify({ id: 'warm', object: 'chat.completion.chunk', created: 0, model: 'warm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const events = [chunk({ role: 'assistant', content: '' }, null)];
  for (let i = 0; i < TOKENS; i++) events.push(chunk({ content: ` w${i}` }, null));
  events.push(chunk({}, 'stop'));
  events.push(`data: ${JSON.stringify({ id: 'warm', choices: [], usage: { prompt_tokens: 100, completion_tokens: TOKENS } })}\n\n`);
  events.push('data: [DONE]\n\n');
  return events;
}

/** The i-th warm-up call: every other one held for a fraction of a millisecond (the held-send path). */
function warmWire(i: number): ChatWire {
  const wire: ChatWire = {
    model: 'warm',
    step: 'warm',
    prefixTokens: 60,
    inputTokens: 100,
    wording: `warm${i}`,
    outputTokens: TOKENS,
    difficulty: 0.5,
    qualitySeed: i,
  };
  if (i % 2 === 1) wire.notBeforeEpoch = epochNow() + 0.3;
  return wire;
}

/** Sends `calls` chat calls to a canned local stream (in batches of BATCH), then closes it all; returns the calls answered as canned. */
export async function warmChatPath(calls: number): Promise<number> {
  if (calls <= 0) return 0;
  const events = cannedEvents();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-mock-correct': 'true', 'x-mock-confidence': '0.9' });
      for (const e of events) res.write(e);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const transport = new UndiciTransport({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, connections: BATCH });
  try {
    for (let sent = 0; sent < calls; sent += BATCH) {
      const n = Math.min(BATCH, calls - sent);
      const facts = await Promise.all(Array.from({ length: n }, (_, i) => transport.chat(warmWire(sent + i))));
      const bad = facts.find((f) => f.status !== 200 || f.contentChunks !== TOKENS);
      if (bad !== undefined) throw new Error(`canned answer read as ${JSON.stringify({ status: bad.status, tokens: bad.contentChunks })}`);
    }
    return calls;
  } finally {
    await transport.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
