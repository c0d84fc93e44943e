/**
 * The msw adapter of the mock core: request handlers for `setupServer` / `setupWorker` that
 * answer exactly as the HTTP server does (same core, same state per handler set).
 */
import { http, type HttpHandler } from 'msw';
import { MockCore, type MockStats } from './core.ts';
import type { CoreRequest, ResponseSink } from './exchange.ts';
import { resolveMockOptions, type MockServerOptions } from './options.ts';

/** Options of `createMockHandlers`: the server options (port and host unused) plus the base URL. */
export interface MockHandlersOptions extends Omit<MockServerOptions, 'port' | 'host'> {
  /**
   * Origin the handlers answer for (paths are the server's: /v1/chat/completions, /health, ...).
   * @default 'http://mock-llm.local'
   */
  baseUrl?: string;
}

/** The handlers plus control over the shared state behind them. */
export interface MockHandlers {
  /** Pass to `setupServer(...handlers)`. */
  handlers: HttpHandler[];
  baseUrl: string;
  /** Live counters (in-flight, queued, timers). */
  stats(): MockStats;
  /** Ends calls in progress and clears timers. */
  close(): void;
}

/** Default origin of the msw handlers. */
export const DEFAULT_MSW_BASE_URL = 'http://mock-llm.local';

/** Builds msw handlers backed by one mock core. Throws MockConfigError on bad options. */
export function createMockHandlers(options: MockHandlersOptions = {}): MockHandlers {
  const core = new MockCore(resolveMockOptions(options));
  const baseUrl = (options.baseUrl ?? DEFAULT_MSW_BASE_URL).replace(/\/+$/, '');
  const maxBody = core.options.maxBodyBytes;
  const handler = http.all(`${baseUrl}/*`, async ({ request }) => {
    const url = new URL(request.url);
    const bytes = request.body === null ? new Uint8Array(0) : new Uint8Array(await request.arrayBuffer());
    const tooLarge = bytes.byteLength > maxBody;
    return new Promise<Response>((resolve) => {
      const abortCallbacks: (() => void)[] = [];
      const aborted = (): void => {
        for (const cb of abortCallbacks.splice(0)) cb();
      };
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      let headed = false;
      let closed = false;
      let finished = false;
      const stream = new ReadableStream<Uint8Array>({
        start: (c) => {
          controller = c;
        },
        cancel: () => {
          aborted();
          closed = true;
        },
      });
      const encoder = new TextEncoder();
      request.signal.addEventListener('abort', aborted, { once: true });
      const coreRequest: CoreRequest = {
        method: request.method,
        path: url.pathname,
        query: url.search.slice(1),
        header: (name) => request.headers.get(name) ?? undefined,
        body: tooLarge ? '' : new TextDecoder().decode(bytes),
        bodyTooLarge: tooLarge,
        gone: () => closed || request.signal.aborted,
        onAbort: (cb) => {
          abortCallbacks.push(() => {
            if (!finished) cb();
          });
        },
      };
      const sink: ResponseSink = {
        send: (status, headers, text) => {
          finished = true;
          closed = true;
          request.signal.removeEventListener('abort', aborted);
          resolve(new Response(text, { status, headers }));
        },
        head: (status, headers) => {
          headed = true;
          resolve(new Response(stream, { status, headers }));
        },
        write: (chunk) => {
          if (!closed) controller.enqueue(encoder.encode(chunk));
        },
        writeBytes: (source, byteLength) => {
          if (closed) return;
          const bytes = new Uint8Array(byteLength);
          source.encodeInto(bytes, 0);
          controller.enqueue(bytes);
        },
        end: (chunk) => {
          finished = true;
          if (closed) return;
          if (chunk !== undefined && chunk !== '') controller.enqueue(encoder.encode(chunk));
          closed = true;
          controller.close();
          request.signal.removeEventListener('abort', aborted);
        },
        destroy: () => {
          finished = true;
          if (!headed) resolve(Response.error());
          if (closed) return;
          closed = true;
          controller.error(new TypeError('mock-llm: connection cut'));
          request.signal.removeEventListener('abort', aborted);
        },
      };
      core.handle(coreRequest, sink);
    });
  });
  return { handlers: [handler], baseUrl, stats: () => core.stats(), close: () => core.close() };
}
