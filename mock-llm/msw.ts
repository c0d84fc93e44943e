/**
 * The msw adapter of the mock core: request handlers for `setupServer` / `setupWorker` that
 * answer exactly as the HTTP server does (same core, same state per handler set).
 */
import { http, type HttpHandler } from 'msw';
import { MockCore, type MockStats } from './core.ts';
import type { ByteSource, CoreRequest, ResponseSink } from './exchange.ts';
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
      const exchange = new MswExchange(request, bytes, bytes.byteLength > maxBody, resolve);
      core.handle(exchange.request, exchange);
    });
  });
  return { handlers: [handler], baseUrl, stats: () => core.stats(), close: () => core.close() };
}

const encoder = new TextEncoder();

/**
 * One msw request as the core sees it: its `CoreRequest`, and the sink whose response resolves
 * the handler's promise (at once for a whole body, at the head for a stream that then flows).
 */
class MswExchange implements ResponseSink {
  readonly request: CoreRequest;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private readonly stream: ReadableStream<Uint8Array>;
  private readonly abortCallbacks: (() => void)[] = [];
  private headed = false;
  private closed = false;
  private finished = false;

  constructor(
    private readonly raw: Request,
    bytes: Uint8Array,
    tooLarge: boolean,
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
    raw.signal.addEventListener('abort', this.aborted, { once: true });
    const url = new URL(raw.url);
    this.request = {
      method: raw.method,
      path: url.pathname,
      query: url.search.slice(1),
      header: (name) => raw.headers.get(name) ?? undefined,
      body: tooLarge ? '' : new TextDecoder().decode(bytes),
      bodyTooLarge: tooLarge,
      gone: () => this.closed || raw.signal.aborted,
      onAbort: (cb) => {
        this.abortCallbacks.push(() => {
          if (!this.finished) cb();
        });
      },
    };
  }

  private readonly aborted = (): void => {
    for (const cb of this.abortCallbacks.splice(0)) cb();
  };

  send(status: number, headers: Record<string, string>, text: string): void {
    this.finished = true;
    this.closed = true;
    this.raw.signal.removeEventListener('abort', this.aborted);
    this.resolve(new Response(text, { status, headers }));
  }

  head(status: number, headers: Record<string, string>): void {
    this.headed = true;
    this.resolve(new Response(this.stream, { status, headers }));
  }

  write(chunk: string): void {
    if (!this.closed) this.controller.enqueue(encoder.encode(chunk));
  }

  writeBytes(source: ByteSource, byteLength: number): void {
    if (this.closed) return;
    const bytes = new Uint8Array(byteLength);
    source.encodeInto(bytes, 0);
    this.controller.enqueue(bytes);
  }

  end(chunk?: string): void {
    this.finished = true;
    if (this.closed) return;
    if (chunk !== undefined && chunk !== '') this.controller.enqueue(encoder.encode(chunk));
    this.closed = true;
    this.controller.close();
    this.raw.signal.removeEventListener('abort', this.aborted);
  }

  destroy(): void {
    this.finished = true;
    if (!this.headed) this.resolve(Response.error());
    if (this.closed) return;
    this.closed = true;
    this.controller.error(new TypeError('mock-llm: connection cut'));
    this.raw.signal.removeEventListener('abort', this.aborted);
  }
}
