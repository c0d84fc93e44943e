/**
 * New prompts' tokens, counted on the tokenizer thread in batches. A request whose messages are
 * not all in the token cache (src/provider/tokens.ts) waits for the thread; the messages missing
 * from every request that arrives in one turn of the event loop go to the thread in one message,
 * each distinct message once (the same new system prompt in fifty concurrent requests is counted
 * once), and come back in one answer. Under load the server reads many requests per turn: one
 * message each cost the event loop a postMessage, a promise and a wake-up of the thread per
 * request, and every request of a turn waited for the thread anyway.
 *
 * A batch is sent at the end of the turn (setImmediate), or as soon as it holds BATCH_CHARS
 * characters; a request whose missing messages are longer than that goes alone, after the batch
 * before it, so that a short prompt never waits for a long one's count that arrived after it.
 * Requests are resumed in the order they arrived.
 */
import type { Counted } from './call.ts';
import type { CoreRequest, ResponseSink } from './exchange.ts';
import { tokenizeMessages } from '../src/provider/tokenizer.ts';
import { cachedMessageTokens, rememberMessageTokens, type TokenIds } from '../src/provider/tokens.ts';

/** Characters of missing messages a batch holds at most (a request longer than this goes alone). */
export const BATCH_CHARS = 16 * 1024;

/** A request waiting for its prompt's count. */
class Waiting {
  constructor(
    readonly req: CoreRequest,
    readonly sink: ResponseSink,
    readonly counted: Counted,
    /** Indices of its messages not in the cache. */
    readonly missing: number[],
    /** Where each missing message is in its batch. */
    readonly at: number[],
  ) {}
}

/** Messages to count in one message to the thread, and the requests waiting for them. */
class Batch {
  readonly pairs: (readonly [role: string, content: string])[] = [];
  /** Each distinct message's place in `pairs`, by role then content. */
  private readonly places = new Map<string, Map<string, number>>();
  readonly waiting: Waiting[] = [];
  chars = 0;

  /** The place of a message in the batch (added once). */
  place(role: string, content: string): number {
    let byContent = this.places.get(role);
    if (byContent === undefined) this.places.set(role, (byContent = new Map()));
    let at = byContent.get(content);
    if (at === undefined) {
      at = this.pairs.length;
      this.pairs.push([role, content]);
      this.chars += content.length;
      byContent.set(content, at);
    }
    return at;
  }
}

/**
 * Fills `parts` with each message's cached ids; returns the indices of the messages the cache
 * lacks, or undefined when it has them all.
 */
export function cachedParts(messages: Counted['request']['messages'], parts: TokenIds[]): number[] | undefined {
  let missing: number[] | undefined;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const ids = cachedMessageTokens(m.role, m.content);
    if (ids === undefined) (missing ??= []).push(i);
    else parts[i] = ids;
  }
  return missing;
}

/** What to do with a request once its prompt is counted, or when counting failed; and a batch's size when it is sent. */
export interface PromptCountedHandler {
  counted(req: CoreRequest, sink: ResponseSink, c: Counted): void;
  failed(req: CoreRequest, sink: ResponseSink, c: Counted, err: Error): void;
  sent(messages: number): void;
}

/** Batches of missing messages (see above); one per core. */
export class PromptBatcher {
  private open: Batch | undefined;
  private scheduled = false;

  constructor(
    private readonly handler: PromptCountedHandler,
    /** Counts messages' tokens (the tokenizer thread; a test may count otherwise). */
    private readonly tokenize: (pairs: (readonly [role: string, content: string])[]) => Promise<TokenIds[]> = tokenizeMessages,
  ) {}

  /** Counts the messages of `c`'s prompt at `missing` (see cachedParts), fills `c.promptParts`, then hands the request to the handler. */
  count(req: CoreRequest, sink: ResponseSink, c: Counted, missing: number[]): void {
    const messages = c.request.messages;
    let chars = 0;
    for (const i of missing) chars += messages[i]!.content.length;
    let batch = this.open;
    if (batch !== undefined && batch.chars + chars > BATCH_CHARS) {
      this.sendOpen();
      batch = undefined;
    }
    if (batch === undefined) {
      batch = this.open = new Batch();
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(endOfTurn, this);
      }
    }
    const at = new Array<number>(missing.length);
    for (let j = 0; j < missing.length; j++) at[j] = batch.place(messages[missing[j]!]!.role, messages[missing[j]!]!.content);
    batch.waiting.push(new Waiting(req, sink, c, missing, at));
    if (batch.chars >= BATCH_CHARS) this.sendOpen();
  }

  /** At the end of the turn the open batch was opened in: sends it (unless it was sent already, full). */
  turnEnded(): void {
    this.scheduled = false;
    this.sendOpen();
  }

  /** Sends the open batch (at the end of the turn, or when full). */
  private sendOpen(): void {
    const batch = this.open;
    if (batch === undefined) return;
    this.open = undefined;
    this.handler.sent(batch.pairs.length);
    // a count that throws at once (the thread could not be started or reached) fails the batch's
    // requests like one that rejects: never an exception in the end-of-turn callback
    new Promise<TokenIds[]>((resolve) => resolve(this.tokenize(batch.pairs))).then(
      (ids) => this.answered(batch, ids),
      (err: Error) => {
        for (const w of batch.waiting) this.handler.failed(w.req, w.sink, w.counted, err);
      },
    );
  }

  private answered(batch: Batch, ids: TokenIds[]): void {
    const pairs = batch.pairs;
    for (let k = 0; k < pairs.length; k++) rememberMessageTokens(pairs[k]![0], pairs[k]![1], ids[k]!);
    for (const w of batch.waiting) {
      const parts = w.counted.promptParts;
      for (let j = 0; j < w.missing.length; j++) parts[w.missing[j]!] = ids[w.at[j]!]!;
      this.handler.counted(w.req, w.sink, w.counted);
    }
  }
}

function endOfTurn(batcher: PromptBatcher): void {
  batcher.turnEnded();
}
