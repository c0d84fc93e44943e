/**
 * Child program of the mock-llm benchmarks (started by servers.ts, `tsx server-child.ts KIND`):
 * mock-llm (`mock`), a bare node:http server answering fixed bytes (`bare`) or a bare streaming
 * server replaying the mock's stream on the configured schedule (`bare-stream`). It prints
 * `READY <url>` and answers `gc-start` / `gc-stop` on its stdin with its garbage figures.
 */
import http from 'node:http';
import { createInterface } from 'node:readline';
import v8 from 'node:v8';
import { MODELS } from './mock-setup.ts';
import type { GarbageFigures } from './servers.ts';
import { round3 } from './stats.ts';

/**
 * A server child's side of the garbage meter: `gc-start` and `gc-stop` lines on its stdin; the
 * stop answers `GARBAGE <json>`. Allocation is read off V8's GC profiler: the heap's growth
 * between collections plus what each collection found in use before it ran.
 */
function serveGarbageMeter(): void {
  let profiler: v8.GCProfiler | undefined;
  let usedAtStart = 0;
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'gc-start') {
      profiler?.stop();
      profiler = new v8.GCProfiler();
      usedAtStart = v8.getHeapStatistics().used_heap_size;
      profiler.start();
    } else if (line === 'gc-stop') {
      const usedAtEnd = v8.getHeapStatistics().used_heap_size;
      const statistics = profiler?.stop().statistics ?? []; // never started: an empty window
      if (profiler === undefined) usedAtStart = usedAtEnd;
      profiler = undefined;
      let allocated = 0;
      let usedAfterLast = usedAtStart;
      let pauseUs = 0;
      let maxPauseUs = 0;
      let collections = 0;
      for (const gc of statistics) {
        allocated += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - usedAfterLast);
        usedAfterLast = gc.afterGC.heapStatistics.usedHeapSize;
        pauseUs += gc.cost;
        maxPauseUs = Math.max(maxPauseUs, gc.cost);
        // a full collection also reports its incremental marking as an entry of its own
        if (gc.gcType !== 'IncrementalMarking' && gc.gcType !== 'ProcessWeakCallbacks') collections++;
      }
      allocated += Math.max(0, usedAtEnd - usedAfterLast);
      const figures: GarbageFigures = { allocatedBytes: allocated, collections, pauseMsTotal: round3(pauseUs / 1000), pauseMsMax: round3(maxPauseUs / 1000) };
      process.stdout.write(`GARBAGE ${JSON.stringify(figures)}\n`);
    }
  });
}

async function childMain(kind: string): Promise<void> {
  if (kind === 'bare-stream') return bareStreamMain();
  if (kind === 'mock') {
    // the modules themselves, as `bench mock` loads them (not index.ts, which also loads msw)
    const { startMockServer } = await import('../../../mock-llm/server.ts');
    const { buildCatalog } = await import('../../../src/provider/catalog.ts');
    const server = await startMockServer({ port: 0, models: buildCatalog(MODELS), ledgerMaxRows: 10_000 });
    serveGarbageMeter();
    process.stdout.write(`READY ${server.url}\n`);
    return;
  }
  const { body, headers } = JSON.parse(process.env['MOCK_PERF_PAYLOAD'] ?? '{}') as { body: string; headers: Record<string, string> };
  const server = http.createServer({ noDelay: true, keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, headers);
      res.end(body);
    });
  });
  listenAndReport(server);
}

/** What the bare streaming server replays: the mock's headers and events, on the configured schedule. */
export interface BareStreamPayload {
  headers: Record<string, string>;
  /** One event per token, the first one also carrying the role. */
  tokenEvents: string[];
  /** The events after the last token (finish reason, [DONE]). */
  tail: string;
  ttftMs: number;
  itlMs: number;
}

/**
 * The baseline of (b): node:http doing the least to send the same bytes at the same times. Token
 * i is due at arrival + TTFT + i × ITL; each token arms one setTimeout for the next one's due
 * time (computed from arrival, so lateness does not add up), as a hand-written stream would.
 */
function bareStreamMain(): void {
  const { headers, tokenEvents, tail, ttftMs, itlMs } = JSON.parse(process.env['MOCK_PERF_PAYLOAD'] ?? '{}') as BareStreamPayload;
  const n = tokenEvents.length;
  const server = http.createServer({ noDelay: true, keepAlive: true }, (req, res) => {
    const first = performance.now() + ttftMs;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, headers);
      res.flushHeaders();
      let i = 0;
      const next = (): void => {
        if (res.destroyed) return;
        const event = tokenEvents[i]!;
        i++;
        if (i === n) return void res.end(event + tail);
        res.write(event);
        setTimeout(next, Math.max(0, Math.round(first + i * itlMs - performance.now())));
      };
      setTimeout(next, Math.max(0, Math.round(first - performance.now())));
    });
  });
  listenAndReport(server);
}

/** Listens on a loopback port, serves the garbage meter, and tells the parent its URL. */
function listenAndReport(server: http.Server): void {
  server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    serveGarbageMeter();
    process.stdout.write(`READY http://127.0.0.1:${address.port}\n`);
  });
}

// a normal exit on SIGTERM, so that --cpu-prof (MOCK_PERF_NODE_ARGS) writes its profile
process.on('SIGTERM', () => process.exit(0));
await childMain(process.argv[2] ?? '');
