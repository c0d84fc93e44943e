/**
 * Child program of the mock-timing benchmark (`tsx timing-client.ts`, payload in
 * MOCK_PERF_PAYLOAD): the streaming client. It does the least per read on a raw keep-alive socket
 * (a timestamp and native byte searches for the token events; no HTTP parser, no decoding), so
 * that its own work and garbage do not show up as the server's timing error.
 */
import http from 'node:http';
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  BUSY_SIGNAL,
  type ClientPayload,
  type ClientReport,
  latenessCounts,
  MESSAGES,
  NEW_PROMPT_WORDS,
  NEW_PROMPTS,
  ROUND_PAUSE_MS,
  type RoundP99,
  ROUNDS_END_SIGNAL,
  ROUNDS_START_SIGNAL,
  STREAM_STAGGER_MS,
  STREAM_TOKENS,
  type StreamResult,
  STREAMS,
  type TargetFigures,
  TIMED,
  timedBody,
  TIMING_ROUNDS,
  ZERO_MODEL,
} from './mock-setup.ts';
import { processCpuMs, round3, sleep, summarize } from './stats.ts';

/** Runs one request on a connection of the target (see RawConnection and oneStream). */
type RunStream = (body: string, configuredTtftMs: number) => Promise<StreamResult>;

/** A server the client measures: its streams, and the wall and CPU time of its rounds. */
class Target {
  readonly results: StreamResult[] = [];
  readonly perRound: RoundP99[] = [];
  private wallMs = 0;
  private cpuMs = 0;

  constructor(
    readonly run: RunStream,
    readonly close: () => void,
    private readonly pid: number | undefined,
  ) {}

  static async open(url: string, pid: number | undefined, kind: 'raw' | 'http'): Promise<Target> {
    if (kind === 'http') {
      const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: STREAMS });
      return new Target(
        (b, ttft) => oneStream(url, b, agent, ttft),
        () => agent.destroy(),
        pid,
      );
    }
    const pool = await RawConnection.open(url, STREAMS);
    return new Target(
      (b, ttft) =>
        pool
          .pop()!
          .request(b, ttft)
          .then((r) => (pool.push(r.connection), r.result)),
      () => {
        for (const c of pool) c.socket.destroy();
      },
      pid,
    );
  }

  /** STREAMS streams started STREAM_STAGGER_MS apart; `onOpen` tracks how many are open. */
  async round(body: string, configuredTtftMs: number, onOpen: (delta: number) => void = () => {}): Promise<StreamResult[]> {
    return Promise.all(
      Array.from({ length: STREAMS }, async (_, i) => {
        await sleep(i * STREAM_STAGGER_MS);
        onOpen(1);
        const r = await this.run(body, configuredTtftMs);
        onOpen(-1);
        return r;
      }),
    );
  }

  /** A measured round: its streams count in the figures, its time in the server's cores. */
  async measuredRound(body: string, configuredTtftMs: number, onOpen: (delta: number) => void): Promise<void> {
    const cpuBefore = processCpuMs(this.pid);
    const wallBefore = performance.now();
    const results = await this.round(body, configuredTtftMs, onOpen);
    this.wallMs += performance.now() - wallBefore;
    this.cpuMs += processCpuMs(this.pid) - cpuBefore;
    this.results.push(...results);
    this.perRound.push(roundP99(results));
  }

  figures(): TargetFigures {
    return {
      failedStreams: failed(this.results),
      ttftAbsErrorMs: summarize(this.results.map((r) => r.ttftErrorMs)),
      gapAbsErrorMs: summarize(this.results.flatMap((r) => r.gapErrorsMs)),
      perRound: this.perRound,
      tokens: this.results.reduce((s, r) => s + r.tokens, 0),
      serverCpuCores: round3(this.cpuMs / this.wallMs),
    };
  }
}

function failed(results: StreamResult[]): number {
  return results.filter((r) => !r.ok || r.tokens !== STREAM_TOKENS).length;
}

function roundP99(results: StreamResult[]): RoundP99 {
  return {
    ttftAbsErrorP99Ms: summarize(results.map((r) => r.ttftErrorMs))['p99']!,
    gapAbsErrorP99Ms: summarize(results.flatMap((r) => r.gapErrorsMs))['p99']!,
  };
}

/**
 * The (b) client: warm-up, then TIMING_ROUNDS rounds of STREAMS staggered streams against the
 * mock, each followed by the same round against the bare streaming server; runs in its own process.
 */
async function clientMain(): Promise<void> {
  const { url, serverPid, bareUrl, barePid, configuredTtftMs, kind } = JSON.parse(process.env['MOCK_PERF_PAYLOAD'] ?? '{}') as ClientPayload;
  const clientKind = kind === 'http' ? 'http' : 'raw';
  const body = timedBody();
  const zeroBody = JSON.stringify({ model: ZERO_MODEL, messages: MESSAGES, max_tokens: 1 });
  const mock = await Target.open(url, serverPid, clientKind);
  const bare = await Target.open(bareUrl, barePid, clientKind);
  // warm-up: open all STREAMS keep-alive connections (zero-latency calls), then one full round
  // on each server, not measured, so TCP connects, JIT compilation and heap growth are not
  // measured (the first round after a short warm-up was the worst of every run)
  await Promise.all(Array.from({ length: STREAMS }, () => mock.run(zeroBody, 0)));
  await mock.round(body, configuredTtftMs);
  await bare.round(body, configuredTtftMs);
  await fetch(`${url}/v1/ledger`, { method: 'DELETE' });
  // a full collection now, so that the client's own old-generation collection (an 8–10 ms pause
  // seen during the first tokens otherwise) does not fall inside the measurement; the servers are
  // left alone
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  gc();
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  process.stdout.write(`${ROUNDS_START_SIGNAL}\n`); // the parent starts the servers' garbage meters
  const clientCpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const peakOpen = await measuredRounds(mock, bare, body, configuredTtftMs, gc);
  const wall = performance.now() - wallBefore;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  loopDelay.disable();
  bare.close();
  // the counters were reset with the ledger after the warm-up: these are the measured rounds' sends
  const lateness = await latenessCounts(url);
  process.stdout.write(`${ROUNDS_END_SIGNAL}\n`); // the servers' garbage meters stop (this one /metrics read inside)
  // one more round while new long prompts arrive (reported apart): their counting runs on the
  // mock's tokenizer thread, so it should not delay the streams' tokens
  await sleep(ROUND_PAUSE_MS);
  gc();
  process.stdout.write(`${BUSY_SIGNAL}\n`); // the parent starts sending the new prompts
  const busyRound = await mock.round(body, configuredTtftMs);
  mock.close();
  const report: ClientReport = {
    client: clientKind === 'http' ? 'node:http, parses SSE as it reads' : 'raw socket, timestamps only',
    streams: STREAMS,
    rounds: TIMING_ROUNDS,
    peakConcurrentStreams: peakOpen,
    mock: mock.figures(),
    bare: bare.figures(),
    withNewLongPrompts: {
      newPrompts: NEW_PROMPTS,
      wordsEach: NEW_PROMPT_WORDS,
      failedStreams: failed(busyRound),
      ttftAbsErrorMs: summarize(busyRound.map((r) => r.ttftErrorMs)),
      gapAbsErrorMs: summarize(busyRound.flatMap((r) => r.gapErrorsMs)),
    },
    latenessAfterRounds: lateness,
    coalescedTokenEvents: mock.results.reduce((s, r) => s + r.coalesced, 0),
    clientCpuCores: round3((clientCpu.user + clientCpu.system) / 1000 / wall),
    clientEventLoopDelayP99Ms: round3(loopDelay.percentile(99) / 1e6),
  };
  process.stdout.write(`REPORT ${JSON.stringify(report)}\n`);
}

/** The measured rounds, each server in turn per round; returns the most streams open at once. */
async function measuredRounds(mock: Target, bare: Target, body: string, configuredTtftMs: number, gc: () => void): Promise<number> {
  let open = 0;
  let peakOpen = 0;
  const onOpen = (delta: number): void => {
    open += delta;
    peakOpen = Math.max(peakOpen, open);
  };
  for (let round = 0; round < TIMING_ROUNDS; round++) {
    for (const target of [mock, bare]) {
      if (round > 0 || target === bare) {
        await sleep(ROUND_PAUSE_MS);
        gc();
      }
      await target.measuredRound(body, configuredTtftMs, onOpen);
    }
  }
  return peakOpen;
}

const UNKNOWN = -1;
const CHUNKED = -2;
const CONTENT_MARK = Buffer.from('"content"');
const EVENT_END = Buffer.from('\n\n');
const HEAD_END = Buffer.from('\r\n\r\n');
/** The buffer every raw connection reads into (reads are handled synchronously, one at a time). */
const READ_BUFFER = Buffer.alloc(256 * 1024);

/**
 * One keep-alive TCP connection speaking just enough HTTP/1.1 for the mock's answers. Per read it
 * takes a timestamp and finds the token events in the bytes with native searches (each token
 * event holds `"content"` once); it keeps nothing but one timestamp per token, and reads into
 * one shared buffer (node's `onread` option) rather than a new allocation per read. Keeping every read
 * (or parsing strings) made the client's own garbage collection pause for 5–14 ms every few
 * hundred milliseconds at 500 streams, which showed up as late tokens that the server sent on time.
 */
class RawConnection {
  /** Reads kept only until the response headers are complete. */
  private headChunks: Buffer[] = [];
  private received = 0;
  private status = 0;
  /** UNKNOWN until the headers are in, then CHUNKED or the response's total bytes. */
  private expected = UNKNOWN;
  private tail = '';
  private sent = 0;
  private tokenTimes = new Float64Array(0);
  private tokens = 0;
  /** A token event whose end ("\n\n") is still to come. */
  private pendingToken = false;
  private configuredTtftMs = 0;
  private done: ((r: { connection: RawConnection; result: StreamResult }) => void) | undefined;

  private constructor(
    readonly socket: net.Socket,
    private readonly host: string,
  ) {
    socket.on('error', () => this.finish(false));
    socket.on('close', () => this.finish(false));
  }

  static async open(url: string, count: number): Promise<RawConnection[]> {
    const u = new URL(url);
    return Promise.all(
      Array.from(
        { length: count },
        () =>
          new Promise<RawConnection>((resolve, reject) => {
            let connection: RawConnection | undefined;
            const socket = net.connect(
              {
                port: Number(u.port),
                host: u.hostname,
                noDelay: true,
                // every read lands in one shared buffer (a view per read), not in a new allocation
                onread: {
                  buffer: READ_BUFFER,
                  callback: (n: number, buf: Uint8Array) => {
                    connection!.onData(Buffer.from(buf.buffer, buf.byteOffset, n));
                    return true; // keep reading
                  },
                },
              },
              () => resolve((connection = new RawConnection(socket, u.host))),
            );
            socket.once('error', reject);
          }),
      ),
    );
  }

  request(body: string, configuredTtftMs: number): Promise<{ connection: RawConnection; result: StreamResult }> {
    return new Promise((resolve) => {
      this.headChunks = [];
      this.received = 0;
      this.status = 0;
      this.expected = UNKNOWN;
      this.tail = '';
      this.tokenTimes = new Float64Array(STREAM_TOKENS + 8);
      this.tokens = 0;
      this.pendingToken = false;
      this.configuredTtftMs = configuredTtftMs;
      this.done = resolve;
      const head =
        `POST /v1/chat/completions HTTP/1.1\r\nHost: ${this.host}\r\nConnection: keep-alive\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
      this.sent = performance.now();
      this.socket.write(head + body);
    });
  }

  /** One read; `chunk` is a view of the shared read buffer, valid only during this call. */
  onData(chunk: Buffer): void {
    const now = performance.now();
    this.received += chunk.length;
    let from = 0;
    if (this.expected === UNKNOWN) {
      from = this.readHead(chunk);
      if (from === -1) return;
    }
    // token events in this read: an event counts when its final "\n\n" has arrived
    if (this.pendingToken) {
      const end = chunk.indexOf(EVENT_END, from);
      if (end === -1) return this.checkEnd(chunk);
      this.token(now);
      this.pendingToken = false;
      from = end + 2;
    }
    for (let at = chunk.indexOf(CONTENT_MARK, from); at !== -1; at = chunk.indexOf(CONTENT_MARK, from)) {
      const end = chunk.indexOf(EVENT_END, at);
      if (end === -1) {
        this.pendingToken = true;
        break;
      }
      this.token(now);
      from = end + 2;
    }
    this.checkEnd(chunk);
  }

  private token(now: number): void {
    if (this.tokens < this.tokenTimes.length) this.tokenTimes[this.tokens] = now;
    this.tokens++;
  }

  /** The end of the response: its declared length, or the chunked terminator "\r\n0\r\n\r\n". */
  private checkEnd(chunk: Buffer): void {
    if (this.expected >= 0) {
      if (this.received >= this.expected) this.finish(true);
      return;
    }
    const n = chunk.length;
    if (n >= 7) {
      // bytes compared in place: no string per read
      if (
        chunk[n - 1] === 10 &&
        chunk[n - 2] === 13 &&
        chunk[n - 3] === 10 &&
        chunk[n - 4] === 13 &&
        chunk[n - 5] === 48 &&
        chunk[n - 6] === 10 &&
        chunk[n - 7] === 13
      ) {
        this.finish(true);
      }
      this.tail = '';
      return;
    }
    this.tail = (this.tail + chunk.toString('latin1')).slice(-7); // a tiny read: the terminator may be split
    if (this.tail === '\r\n0\r\n\r\n') this.finish(true);
  }

  /** Collects reads until the headers are complete; returns where the body starts in `chunk`, or -1. */
  private readHead(chunk: Buffer): number {
    this.headChunks.push(Buffer.from(chunk)); // a copy: the read buffer is reused
    const all = this.headChunks.length === 1 ? chunk : Buffer.concat(this.headChunks);
    const headerEnd = all.indexOf(HEAD_END);
    if (headerEnd === -1) return -1;
    this.headChunks = [];
    const head = all.toString('latin1', 0, headerEnd + 2);
    this.status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    this.expected = length !== null ? headerEnd + 4 + Number(length[1]) : CHUNKED;
    return chunk.length - (all.length - (headerEnd + 4));
  }

  private finish(ok: boolean): void {
    const done = this.done;
    if (done === undefined) return;
    this.done = undefined;
    const gapErrorsMs: number[] = [];
    const times = this.tokenTimes;
    const counted = Math.min(this.tokens, times.length);
    let coalesced = 0;
    for (let i = 1; i < counted; i++) {
      gapErrorsMs.push(Math.abs(times[i]! - times[i - 1]! - TIMED.itlMs));
      if (times[i] === times[i - 1]) coalesced++;
    }
    const ttftErrorMs = counted > 0 ? Math.abs(times[0]! - this.sent - this.configuredTtftMs) : NaN;
    done({ connection: this, result: { ttftErrorMs, gapErrorsMs, tokens: this.tokens, ok: ok && this.status === 200, coalesced } });
  }
}

/** The former client (MOCK_PERF_CLIENT=http): node:http, parsing the SSE events as they arrive. */
function oneStream(url: string, body: string, agent: http.Agent, configuredTtftMs: number): Promise<StreamResult> {
  return new Promise((resolve) => {
    const gapErrorsMs: number[] = [];
    let tokens = 0;
    let last = 0;
    let ttftErrorMs = NaN;
    let buffer = '';
    let coalesced = 0;
    let lastNow = -1;
    const req = http.request(`${url}/v1/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const now = performance.now();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!event.includes('"content"')) continue;
          if (tokens === 0) ttftErrorMs = Math.abs(now - sent - configuredTtftMs);
          else gapErrorsMs.push(Math.abs(now - last - TIMED.itlMs));
          if (now === lastNow) coalesced++;
          lastNow = now;
          last = now;
          tokens++;
        }
      });
      res.on('end', () => resolve({ ttftErrorMs, gapErrorsMs, tokens, ok: res.statusCode === 200, coalesced }));
      res.on('error', () => resolve({ ttftErrorMs, gapErrorsMs, tokens, ok: false, coalesced }));
    });
    req.on('error', () => resolve({ ttftErrorMs, gapErrorsMs, tokens, ok: false, coalesced }));
    const sent = performance.now();
    req.end(body);
  });
}

await clientMain();
