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
    const bytes = request.body === null ? new Uint8Array(0) : new Uint8Array(await request.arrayBuffer());
    return new Promise<Response>((resolve) => {
      const exchange = new MswExchange(request, resolve);
      core.handle(exchange.coreRequest(bytes, maxBody), exchange.sink);
    });
  });
  return { handlers: [handler], baseUrl, stats: () => core.stats(), close: () => core.close() };
}

/** One request through msw: the core's view of it, and the sink whose writes become msw's Response. */
class MswExchange {
  private readonly abortCallbacks: (() => void)[] = [];
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private readonly stream: ReadableStream<Uint8Array>;
  private readonly encoder = new TextEncoder();
  private headed = false;
  private closed = false;
  private finished = false;

  constructor(
    private readonly request: Request,
    private readonly resolve: (response: Response) => void,
  ) {
    this.stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.controller = c;
      },
      cancel: () => {
        this.aborted();
        this.closed = true;
      },
    });
    request.signal.addEventListener('abort', this.aborted, { once: true });
  }

  private readonly aborted = (): void => {
    for (const cb of this.abortCallbacks.splice(0)) cb();
  };

  coreRequest(bytes: Uint8Array, maxBody: number): CoreRequest {
    const { request } = this;
    const url = new URL(request.url);
    const tooLarge = bytes.byteLength > maxBody;
    return {
      method: request.method,
      path: url.pathname,
      query: url.search.slice(1),
      header: (name) => request.headers.get(name) ?? undefined,
      body: tooLarge ? '' : new TextDecoder().decode(bytes),
      bodyTooLarge: tooLarge,
      gone: () => this.closed || request.signal.aborted,
      onAbort: (cb) => {
        this.abortCallbacks.push(() => {
          if (!this.finished) cb();
        });
      },
    };
  }

  private done(): void {
    this.request.signal.removeEventListener('abort', this.aborted);
  }

  readonly sink: ResponseSink = {
    send: (status, headers, text) => {
      this.finished = true;
      this.closed = true;
      this.done();
      this.resolve(new Response(text, { status, headers }));
    },
    head: (status, headers) => {
      this.headed = true;
      this.resolve(new Response(this.stream, { status, headers }));
    },
    write: (chunk) => {
      if (!this.closed) this.controller.enqueue(this.encoder.encode(chunk));
    },
    writeBytes: (source, byteLength) => {
      if (this.closed) return;
      const bytes = new Uint8Array(byteLength);
      source.encodeInto(bytes, 0);
      this.controller.enqueue(bytes);
    },
    end: (chunk) => {
      this.finished = true;
      if (this.closed) return;
      if (chunk !== undefined && chunk !== '') this.controller.enqueue(this.encoder.encode(chunk));
      this.closed = true;
      this.controller.close();
      this.done();
    },
    destroy: () => {
      this.finished = true;
      if (!this.headed) this.resolve(Response.error());
      if (this.closed) return;
      this.closed = true;
      this.controller.error(new TypeError('mock-llm: connection cut'));
      this.done();
    },
  };
}
