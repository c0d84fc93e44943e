/**
 * The two halves of one HTTP exchange as the core sees them, whatever carries it (node:http in
 * server.ts, msw in msw.ts): the request, and the sink the response is written to.
 */

/** A request as the adapters hand it over (body already read, up to the size limit). */
export interface CoreRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** The query string without '?'. */
  query: string;
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /** The body as UTF-8 text (empty when too large). */
  body: string;
  /** True when the body exceeded `maxBodyBytes` (the core answers 413). */
  bodyTooLarge: boolean;
  /** Registers the callback to run if the client goes away before the response ends. */
  onAbort(callback: () => void): void;
  /** True once the client has gone away (or the response was ended). */
  gone(): boolean;
}

/** Where the core writes a response; each adapter implements it once. */
export interface ResponseSink {
  /**
   * A complete response in one go (the adapter adds Content-Length); `byteLength`, when given,
   * is the body's UTF-8 length (the caller knew it: no pass over the text).
   */
  send(status: number, headers: Record<string, string>, body: string, byteLength?: number): void;
  /** Status line and headers of a response written in parts; sent at once. */
  head(status: number, headers: Record<string, string>): void;
  /** A part of the body. */
  write(chunk: string): void;
  /**
   * A part of the body given as bytes that `source.encodeInto` writes, exactly `byteLength` of
   * them (at least one), into a buffer of the adapter's (the node:http adapter frames them in
   * the same buffer): a stream's tokens make no string each.
   */
  writeBytes(source: ByteSource, byteLength: number): void;
  end(chunk?: string): void;
  /** Breaks the connection without a proper end (cut stream, shutdown, hang at close). */
  destroy(): void;
}

/** Bytes written on demand into a buffer the caller provides (see ResponseSink.writeBytes). */
export interface ByteSource {
  encodeInto(target: Uint8Array, offset: number): void;
}

/** Faults a request can force with `x-mock-fault` (every time) or `x-mock-fault-once` (first time for this body). */
export const FORCEABLE_FAULTS = ['429', '500', '503', 'hang', 'cut', 'context_length'] as const;
/** One forceable fault. */
export type ForcedFault = (typeof FORCEABLE_FAULTS)[number];
