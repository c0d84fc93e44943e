/**
 * Requests answered before, by protocol and body: the same body gets the same answer, and a load
 * test or an agent's retry sends the same ones again. A repeat skips parsing and checking the
 * request (tools, schemas), counting its prompt and, for a fixed answer, generating, counting
 * and splitting it (see MockCore.modelCall and promptCounted).
 */
import type { Answer } from './answer.ts';
import type { Counted, KnownRequest } from './call.ts';
import type { Protocol } from './protocol.ts';

/** Requests kept, and the longest body kept (bounds the memory: 256 × 16 KB). */
const MAX_REQUESTS = 256;
const MAX_BODY = 16 * 1024;

export class KnownRequests {
  private readonly byProtocol = new Map<Protocol, Map<string, KnownRequest>>();

  /** The request `body` to `protocol`, if kept (a long body is never looked up: it would be hashed for nothing). */
  get(protocol: Protocol, body: string): KnownRequest | undefined {
    if (this.byProtocol.size === 0 || body.length > MAX_BODY || protocol.requestInPath === true) return undefined;
    return this.byProtocol.get(protocol)?.get(body);
  }

  /**
   * Keeps a request with its fixed answer, or none (generated words, as many as each repeat asks
   * for). Not a long body, a Gemini request (its path is part of it), nor a Responses request
   * continuing a stored response (that one may be dropped before a repeat, which must then fail).
   */
  keep(body: string, c: Counted, answer: Answer | undefined): void {
    if (body.length > MAX_BODY || c.protocol.requestInPath === true) return;
    if (c.request.previousResponseId !== undefined && c.request.previousResponseId !== null) return;
    let byBody = this.byProtocol.get(c.protocol);
    if (byBody === undefined) this.byProtocol.set(c.protocol, (byBody = new Map()));
    remember(byBody, body, { request: c.request, requestKey: c.requestKey, promptParts: c.promptParts, answer }, MAX_REQUESTS);
  }
}

/** Adds to a bounded map (the oldest entry goes first). */
export function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}
