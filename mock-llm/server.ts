/**
 * The node:http adapter of the mock core: a plain, fast HTTP/1.1 server (no framework).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { MockCore, type MockStats } from './core.ts';
import type { ByteSource, CoreRequest, ResponseSink } from './exchange.ts';
import { resolveMockOptions, type MockServerOptions } from './options.ts';
import { tokenizerReady } from '../src/provider/tokenizer.ts';

/** A running mock server. */
export interface MockServer {
  /** Base URL without the /v1 suffix, e.g. http://127.0.0.1:8787. */
  url: string;
  port: number;
  /** Live counters plus the number of open TCP connections. */
  stats(): MockStats & { connections: number };
  /** Ends in-flight calls, clears timers, closes every connection and stops listening. */
  close(): Promise<void>;
}

const BAD_HTTP_BODY = JSON.stringify({
  error: { message: 'Malformed HTTP request.', type: 'invalid_request_error', param: null, code: 'bad_http_request' },
});
const BAD_HTTP_RESPONSE =
  'HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n' +
  `Content-Length: ${Buffer.byteLength(BAD_HTTP_BODY)}\r\n\r\n${BAD_HTTP_BODY}`;

/**
 * Starts the mock LLM server; resolves once it listens and its tokenizer and timer threads run (so
 * the first new prompts and tokens of a load test are not delayed by a thread's start). Throws
 * MockConfigError on bad options.
 */
export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const resolved = resolveMockOptions(options);
  const core = new MockCore(resolved);
  const sockets = new Set<Socket>();

  // idle keep-alive connections stay open 65 s (node closes them after 5 s): a load generator's warm pool survives a lull
  const server = createServer({ noDelay: true, keepAlive: true, keepAliveTimeout: 65_000, requestTimeout: 0 }, requestHandler(core, resolved.maxBodyBytes));
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code !== 'ECONNRESET' && socket.writable) socket.end(BAD_HTTP_RESPONSE);
    else socket.destroy();
  });

  const ready = Promise.all([tokenizerReady(), core.ready()]);
  await listen(server, resolved.port, resolved.host);
  await ready;
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : resolved.port;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => ({ ...core.stats(), connections: sockets.size }),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        core.close();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
        sockets.clear();
      })),
  };
}

/** The server's request handler: reads the body (at most `maxBody` bytes) and hands the request to the core. */
function requestHandler(core: MockCore, maxBody: number): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    req.on('error', noop);
    res.on('error', noop);
    const declared = Number(req.headers['content-length']);
    if (declared > maxBody) {
      res.setHeader('connection', 'close');
      dispatch(core, req, res, '', true);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxBody) {
        tooLarge = true;
        chunks.length = 0;
        res.setHeader('connection', 'close');
        dispatch(core, req, res, '', true);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return;
      dispatch(core, req, res, chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'), false);
    });
  };
}

/** Resolves once the server listens (rejects on a listen error, e.g. the port is taken). */
function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function dispatch(core: MockCore, req: IncomingMessage, res: ServerResponse, body: string, bodyTooLarge: boolean): void {
  core.handle(new HttpExchange(req, res, body, bodyTooLarge), new HttpSink(res));
}

/**
 * One request as the core sees it. Classes rather than object literals of arrow functions: tsx
 * compiles with keepNames, so every named closure made per request costs a defineProperty call.
 */
class HttpExchange implements CoreRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly body: string,
    readonly bodyTooLarge: boolean,
  ) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.method = req.method ?? 'GET';
    this.path = q === -1 ? url : url.slice(0, q);
    this.query = q === -1 ? '' : url.slice(q + 1);
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }

  gone(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  onAbort(callback: () => void): void {
    const res = this.res;
    res.once('close', () => {
      if (!res.writableFinished) callback();
    });
  }
}

/** Where the core writes the response (see HttpExchange on why a class). */
class HttpSink implements ResponseSink {
  constructor(private readonly res: ServerResponse) {}

  send(status: number, headers: Record<string, string>, text: string, byteLength?: number): void {
    const res = this.res;
    if (res.headersSent || res.destroyed) return;
    headers['content-length'] = String(byteLength ?? Buffer.byteLength(text));
    res.writeHead(status, headers);
    res.end(text);
  }

  head(status: number, headers: Record<string, string>): void {
    const res = this.res;
    if (!res.headersSent) {
      res.writeHead(status, headers);
      res.flushHeaders();
    }
  }

  write(chunk: string): void {
    if (!this.res.destroyed) this.res.write(chunk);
  }

  /**
   * Bytes of a response whose headers are sent. node:http frames a chunked write as four socket
   * writes (length, CRLF, data, CRLF) under a cork released on the next tick; a stream writes
   * every token on its own, so this frames the bytes itself, in the one buffer they are encoded
   * into, and writes that to the socket in one call: less CPU per token, and less garbage (fewer
   * collector pauses to delay other streams' tokens). Only once the response owns the socket (a
   * pipelined response waiting for its turn has none yet) and uses chunked encoding; otherwise
   * node:http frames them.
   */
  writeBytes(source: ByteSource, byteLength: number): void {
    const res = this.res;
    if (res.destroyed || byteLength === 0) return; // an empty chunk would end the chunked body
    const socket = res.socket;
    if (socket !== null && res.headersSent && (res as ChunkedFlag).chunkedEncoding === true) {
      let digits = 1; // of the chunk size in hex, written without making a string
      for (let v = byteLength >>> 4; v > 0; v >>>= 4) digits++;
      const buf = Buffer.allocUnsafe(digits + byteLength + 4);
      for (let d = digits - 1, v = byteLength; d >= 0; d--, v >>>= 4) buf[d] = HEX_DIGITS[v & 15]!;
      let o = digits;
      buf[o++] = CR;
      buf[o++] = LF;
      source.encodeInto(buf, o);
      o += byteLength;
      buf[o++] = CR;
      buf[o] = LF;
      socket.write(buf);
      return;
    }
    const buf = Buffer.allocUnsafe(byteLength);
    source.encodeInto(buf, 0);
    res.write(buf);
  }

  end(chunk?: string): void {
    if (!this.res.destroyed) this.res.end(chunk);
  }

  destroy(): void {
    // flush what was written (a cut stream delivers its first half), then break the connection
    const res = this.res;
    const socket = res.socket;
    if (socket === null || socket.destroyed || !res.headersSent) return void res.destroy();
    socket.end(() => socket.destroy());
  }
}

const CR = 13;
const LF = 10;
const HEX_DIGITS = Buffer.from('0123456789abcdef');

/** node:http's own flag, set when it sends `Transfer-Encoding: chunked` (not in its typings). */
interface ChunkedFlag {
  chunkedEncoding?: boolean;
}

function noop(): void {}
