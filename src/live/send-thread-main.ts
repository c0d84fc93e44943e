/**
 * The live generator's send thread: owns the keep-alive connection pool and does every request's
 * wire work (prompt text, HTTP, SSE parsing, token timestamps) on its own event loop, so the
 * agent and strategy code on the run's thread never delays a send or a token's timestamp.
 * Messages are batches: `SendRequest[]` in, `SendAnswer[]` out (the answers finished in one turn of
 * this loop, posted together).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ChatWire, type EmbedWire, type TransportOptions, UndiciTransport } from '../llm/http-transport.ts';
import { warmChatPath } from './chat-warm-up.ts';
import type { SendAnswer, SendRequest, WarmedUp, WarmUp } from './sender.ts';

const port = parentPort!;
const transport = new UndiciTransport(workerData as TransportOptions);

let outbox: SendAnswer[] = [];
const answer = (a: SendAnswer): void => {
  if (outbox.length === 0) setImmediate(flush);
  outbox.push(a);
};
function flush(): void {
  const batch = outbox;
  outbox = [];
  port.postMessage(batch);
}

function handle(msg: SendRequest): void {
  const done = (facts: unknown) => answer({ id: msg.id, facts });
  const fail = (err: unknown) => answer({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  if (msg.op === 'chat') transport.chat(msg.wire as ChatWire).then(done, fail);
  else if (msg.op === 'embed') transport.embed(msg.wire as EmbedWire).then(done, fail);
  else if (msg.op === 'warm') warm(msg.wire as WarmUp).then(done, fail);
  else transport.close().then(done, fail);
}

/**
 * Connections to the target first, then the chat path against a canned local stream
 * (chat-warm-up.ts). The chat path's warm-up only speeds the first sends: if it fails (no local
 * port, a canned answer read wrongly), the run goes on and says so.
 */
async function warm({ connections, chatCalls }: WarmUp): Promise<WarmedUp> {
  await transport.warmUp(connections);
  try {
    return { chatCalls: await warmChatPath(chatCalls) };
  } catch (err) {
    return { chatCalls: 0, skipped: err instanceof Error ? err.message : String(err) };
  }
}

port.on('message', (batch: SendRequest[]) => {
  for (const msg of batch) handle(msg);
});
port.postMessage({ ready: true });
