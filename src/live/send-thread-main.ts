/**
 * The live generator's send thread: owns the keep-alive connection pool and does every request's
 * wire work (prompt text, HTTP, SSE parsing, token timestamps) on its own event loop, so the
 * agent and strategy code on the run's thread never delays a send or a token's timestamp.
 * Messages: `{ id, op: 'chat' | 'embed' | 'warm', wire }` in, `{ id, facts }` out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ChatWire, type EmbedWire, type TransportOptions, UndiciTransport } from '../llm/http-transport.ts';
import type { SendRequest } from './sender.ts';

const port = parentPort!;
const transport = new UndiciTransport(workerData as TransportOptions);

port.on('message', (msg: SendRequest) => {
  const done = (facts: unknown) => port.postMessage({ id: msg.id, facts });
  const fail = (err: unknown) => port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  if (msg.op === 'chat') transport.chat(msg.wire as ChatWire).then(done, fail);
  else if (msg.op === 'embed') transport.embed(msg.wire as EmbedWire).then(done, fail);
  else if (msg.op === 'warm') transport.warmUp(msg.wire as number).then(done, fail);
  else transport.close().then(done, fail);
});
port.postMessage({ ready: true });
