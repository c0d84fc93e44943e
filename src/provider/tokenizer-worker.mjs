// The mock's tokenizer thread (see tokenizer.ts): counts off the server's event loop, so that a
// long new prompt (30 ms for 50k tokens) delays no other stream's tokens.
// Request: { id, messages: [role, content][] } or { id, texts: string[] }.
// Answer: { id, ids: Uint32Array[] } (transferred), { id, counts: number[] } or { id, error }.
import { parentPort } from 'node:worker_threads';
import { countTextTokens, messageIds } from './tokenize.mjs';

parentPort.on('message', (request) => {
  try {
    if (request.messages !== undefined) {
      const ids = request.messages.map(([role, content]) => Uint32Array.from(messageIds(role, content)));
      parentPort.postMessage(
        { id: request.id, ids },
        ids.map((a) => a.buffer),
      );
    } else {
      parentPort.postMessage({ id: request.id, counts: request.texts.map(countTextTokens) });
    }
  } catch (err) {
    parentPort.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err) });
  }
});
