/**
 * A stream's generated tokens as SSE events encoded by copying bytes: `<head><first?><token><tail>`
 * per token. A stream's tokens are the server's most frequent writes, and a string per token
 * (concatenated, then flattened again when written to the socket) made most of its garbage and
 * so of its collector pauses. Used by the adapters whose token events differ only in the token
 * (OpenAI chat and completions).
 */
import type { GeneratedText } from '../src/provider/tokens.ts';

/** Tokens `from` to `to` of a generated text as events (set the range, then write). */
export class TokenEvents {
  from = 0;
  to = 0;
  private readonly head: Uint8Array;
  /** Where the first event's extra fields go in the head, in bytes. */
  private readonly firstInsertAt: number;
  private readonly firstExtra: Uint8Array;
  private readonly tail: Uint8Array;

  constructor(
    /** The event up to where the first event has extra fields (e.g. `data: {…"delta":{`). */
    headStart: string,
    /** The first event's extra fields (e.g. the chat role field); '' for none. */
    firstExtra: string,
    /** The rest of the event up to the token (e.g. `"content":"`). */
    headEnd: string,
    /** The event after the token (from its closing quote on). */
    tail: string,
    private readonly text: GeneratedText,
  ) {
    const start = Buffer.from(headStart);
    this.head = Buffer.concat([start, Buffer.from(headEnd)]);
    this.firstInsertAt = start.length;
    this.firstExtra = Buffer.from(firstExtra);
    this.tail = Buffer.from(tail);
  }

  byteLength(): number {
    let len = (this.to - this.from) * (this.head.length + this.tail.length);
    if (this.from === 0 && this.to > 0) len += this.firstExtra.length;
    for (let i = this.from; i < this.to; i++) len += this.text.tokenBytes(i).length;
    return len;
  }

  /** The same bytes as text. */
  toText(): string {
    const bytes = Buffer.allocUnsafe(this.byteLength());
    this.encodeInto(bytes, 0);
    return bytes.toString();
  }

  encodeInto(target: Uint8Array, offset: number): void {
    const { head, tail, text, firstExtra, firstInsertAt } = this;
    let o = offset;
    for (let i = this.from; i < this.to; i++) {
      if (i === 0 && firstExtra.length > 0) {
        // the first event has extra fields (the role) inside its head
        target.set(head.subarray(0, firstInsertAt), o);
        o += firstInsertAt;
        target.set(firstExtra, o);
        o += firstExtra.length;
        target.set(head.subarray(firstInsertAt), o);
        o += head.length - firstInsertAt;
      } else {
        target.set(head, o);
        o += head.length;
      }
      const token = text.tokenBytes(i);
      target.set(token, o);
      o += token.length;
      target.set(tail, o);
      o += tail.length;
    }
  }
}
