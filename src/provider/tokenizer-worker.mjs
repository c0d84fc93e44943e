// The mock's tokenizer thread (see tokenizer.ts): counts off the server's event loop, so that a
// long new prompt (30 ms for 50k tokens) delays no other stream's tokens.
// Request: { id, messages: [role, content][] } or { id, texts: string[] }.
// Answer: { id, ids: (number[] | Uint32Array)[] } (a short message's ids cloned as a plain array, a long
// one's as a transferred typed array), { id, counts: number[] } or { id, error }.
import { parentPort } from 'node:worker_threads';
import { countTextTokens, messageIds } from './tokenize.mjs';

/** Ids of a message sent as a plain array at most (see below). */
const PLAIN_IDS_MAX = 256;

parentPort.on('message', (request) => {
  try {
    if (request.messages !== undefined) {
      // a short message's ids as a plain array (cloned: no ArrayBuffer with its own memory to allocate
      // and free on the server's side per message), a long one's as a transferred typed array (4 bytes an id)
      const ids = request.messages.map(([role, content]) => {
        const m = messageIds(role, content);
        return m.length <= PLAIN_IDS_MAX ? m : Uint32Array.from(m);
      });
      const transfer = [];
      for (const a of ids) if (!Array.isArray(a)) transfer.push(a.buffer);
      parentPort.postMessage({ id: request.id, ids }, transfer);
    } else {
      parentPort.postMessage({ id: request.id, counts: request.texts.map(countTextTokens) });
    }
  } catch (err) {
    parentPort.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err) });
  }
});
