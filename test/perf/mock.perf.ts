/**
 * Performance of mock-llm. Two figures:
 *  (a) overhead: autocannon requests/s against the mock with zero latency vs a bare node:http
 *      server answering the same bytes, same run; ratio goal >= 0.70.
 *  (b) timing fidelity: 500 concurrent streams with exact (cv 0, no load slowdown) latencies,
 *      in TIMING_ROUNDS rounds; p99 of |TTFT − configured| and |gap − configured| measured by the
 *      client over all rounds (each round's p99 listed too); goal <= 2 ms.
 * Servers run in child processes so the load generator never shares their event loop. The (b)
 * client runs in a child process of its own too (small heap: no autocannon, no tokenizer), and
 * does the least per read on a raw keep-alive socket: a timestamp, and native byte searches for
 * the token events; no HTTP parser, no decoding, nothing kept but one timestamp per token. On a
 * 2-core machine a heavier client (or one whose garbage collector pauses) delays its own reads,
 * which shows up as timing error that is not the server's (MOCK_PERF_CLIENT=http runs the former
 * node:http client, which parses the SSE text as it reads, for comparison).
 * CPU figures (cores used) are reported for the servers and the load generators, to show which
 * side is the bottleneck. Every server process also meters its own garbage (V8's GC profiler,
 * started and stopped around the measured runs): bytes allocated per request and per streamed
 * token, and its collector's pauses, for the mock and the bare baselines alike; unlike times,
 * these hardly depend on the machine.
 * `npx tsx test/perf/mock.perf.ts` prints the figures; the perf runner imports `run`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import type autocannon from 'autocannon';

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD_FLAG = '--mock-perf-child';

/** The zero-latency model of the throughput runs. */
export const ZERO_MODEL = 'zero-latency';
const TIMED_MODEL = 'exact-latency';
/** The configured latency of (b): gpt-4o-like numbers, made exact. */
const TIMED = { ttftBaseMs: 450, prefillMsPerInputToken: 0.05, itlMs: 12 };
const MODELS = {
  [ZERO_MODEL]: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 0, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 0, itlCv: 0, slowdownAtCap: 0, concurrencyCap: 100_000 },
    defaultOutputTokens: 100,
  },
  [TIMED_MODEL]: {
    extends: 'gpt-4o',
    latency: { ...TIMED, ttftCv: 0, itlCv: 0, slowdownAtCap: 0, concurrencyCap: 100_000 },
    defaultOutputTokens: 100,
  },
};
/** The prompt of the throughput runs. */
export const MESSAGES = [
  { role: 'system', content: 'You are a helpful assistant for a load test.' },
  { role: 'user', content: 'Write a short paragraph about benchmarking.' },
];

const STREAMS = Number(process.env['MOCK_PERF_STREAMS'] ?? 500);
/** Streams start 1 ms apart, so all 500 are open together once the last one started. */
const STREAM_STAGGER_MS = 1;
const STREAM_TOKENS = 100;
/**
 * Rounds of STREAMS concurrent streams, in one server and one client. A p99 of 500 TTFTs is the
 * fifth-worst stream, so one stall of the machine (a garbage-collector pause, a vCPU that wakes
 * late) decides it; the figures pool the rounds (1,500 TTFTs at 3) and list each round's too.
 */
const TIMING_ROUNDS = Number(process.env['MOCK_PERF_ROUNDS'] ?? 3);
const ROUND_PAUSE_MS = 300;
/** The extra round: this many new prompts (never seen by the mock), one every NEW_PROMPT_SPACING_MS. */
const NEW_PROMPTS = 20;
const NEW_PROMPT_WORDS = 20_000;
const NEW_PROMPT_SPACING_MS = 50;

/** What the timing client prints when its measured rounds start and end, and when its extra round starts. */
const ROUNDS_START_SIGNAL = 'ROUNDS-START';
const ROUNDS_END_SIGNAL = 'ROUNDS-END';
const BUSY_SIGNAL = 'BUSY';

/** Sends the new long prompts, one every NEW_PROMPT_SPACING_MS; resolves with how many failed, once all are answered. */
async function sendNewPrompts(url: string, bodies: string[]): Promise<number> {
  const answers: Promise<boolean>[] = [];
  for (const body of bodies) {
    await sleep(NEW_PROMPT_SPACING_MS);
    answers.push(
      fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
        async (r) => (await r.arrayBuffer(), r.ok),
        () => false,
      ),
    );
  }
  return (await Promise.all(answers)).filter((ok) => !ok).length;
}

/** A long prompt that no other request shares (about 22k tokens). */
function newPrompt(i: number): string {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu'];
  let s = `prompt ${i} of ${Date.now()}:`;
  for (let w = 0; w < NEW_PROMPT_WORDS; w++) s += ' ' + words[(w * 7 + i) % words.length]! + (w % 11 === 0 ? ` ${w}.` : '');
  return s;
}
/**
 * (a) runs CANNON_ROUNDS pairs of short autocannon runs, bare and mock, in alternating order
 * (bare first, then mock first, ...): on a shared 2-core VM throughput drifts by ±10–20% within a
 * minute, so each pair is measured close together and the figure is the median of the pairs'
 * ratios (the ratio of the means over all rounds is reported beside it).
 */
const CANNON_SECONDS = 2;
const CANNON_CONNECTIONS = 50;
const CANNON_ROUNDS = Number(process.env['MOCK_PERF_CANNON_ROUNDS'] ?? 6);

/** Runs the benchmark and returns its figures. */
export default async function run(): Promise<Record<string, unknown>> {
  const only = process.env['MOCK_PERF_ONLY']; // 'overhead' | 'timing' to run one part while investigating
  const mock = await startChild('mock', {});
  try {
    let overhead: Record<string, unknown> | undefined;
    if (only !== 'timing') {
      const body = JSON.stringify({ model: ZERO_MODEL, messages: MESSAGES });
      const sample = await fetch(`${mock.url}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      const sampleBody = await sample.text();
      const sampleHeaders: Record<string, string> = {};
      sample.headers.forEach((v, k) => {
        if (k.startsWith('x-') || k === 'content-type' || k === 'content-length' || k === 'openai-processing-ms') sampleHeaders[k] = v;
      });
      const bare = await startChild('bare', { body: sampleBody, headers: sampleHeaders });
      try {
        overhead = await measureOverhead(mock, bare, body, sampleBody.length);
      } finally {
        bare.process.kill();
      }
    }
    const timing = only === 'overhead' ? undefined : await measureTiming(mock);
    const os = await import('node:os');
    return { machine: { cpus: os.cpus().length, node: process.version, loadAverage1m: round3(os.loadavg()[0]!) }, overhead, timing };
  } finally {
    mock.process.kill();
  }
}

async function measureOverhead(mock: Child, bare: Child, body: string, responseBytes: number): Promise<Record<string, unknown>> {
  const mockUrl = mock.url;
  const bareUrl = bare.url;
  // imported here, not at the top: the child processes (servers, timing client) do not load it
  const { default: autocannonRun } = await import('autocannon');
  const cannon = async (url: string, seconds: number): Promise<autocannon.Result> =>
    autocannonRun({
      url: `${url}/v1/chat/completions`,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
      connections: CANNON_CONNECTIONS,
      duration: seconds,
    });
  await cannon(mockUrl, 1); // warm-up (JIT, tokenizer caches)
  await cannon(bareUrl, 1);
  const garbage = new Map<Child, { requests: number; figures: GarbageFigures[] }>([
    [mock, { requests: 0, figures: [] }],
    [bare, { requests: 0, figures: [] }],
  ]);
  /** One autocannon run, with the cores used by the server and by autocannon (this process) meanwhile, and the server's garbage. */
  const measured = async (server: Child): Promise<{ rps: number; errors: number; serverCores: number; clientCores: number }> => {
    const serverBefore = processCpuMs(server.process.pid);
    const clientBefore = process.cpuUsage();
    const wallBefore = performance.now();
    server.gcStart();
    const r = await cannon(server.url, CANNON_SECONDS);
    const wall = performance.now() - wallBefore;
    const client = process.cpuUsage(clientBefore);
    const g = garbage.get(server)!;
    g.figures.push(await server.gcStop());
    g.requests += r.requests.total;
    return {
      rps: r.requests.average,
      errors: r.errors + r.non2xx,
      serverCores: (processCpuMs(server.process.pid) - serverBefore) / wall,
      clientCores: (client.user + client.system) / 1000 / wall,
    };
  };
  const mockRps: number[] = [];
  const bareRps: number[] = [];
  const cores = { mockServer: [] as number[], mockClient: [] as number[], bareServer: [] as number[], bareClient: [] as number[] };
  let errors = 0;
  const pairRatios: number[] = [];
  for (let round = 0; round < CANNON_ROUNDS; round++) {
    const order = round % 2 === 0 ? [bare, mock] : [mock, bare];
    const [first, second] = [await measured(order[0]!), await measured(order[1]!)];
    const [b, m] = order[0] === bare ? [first, second] : [second, first];
    bareRps.push(b.rps);
    mockRps.push(m.rps);
    pairRatios.push(m.rps / b.rps);
    cores.bareServer.push(b.serverCores);
    cores.bareClient.push(b.clientCores);
    cores.mockServer.push(m.serverCores);
    cores.mockClient.push(m.clientCores);
    errors += m.errors + b.errors;
  }
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    responseBytes,
    connections: CANNON_CONNECTIONS,
    secondsPerRun: CANNON_SECONDS,
    rounds: CANNON_ROUNDS,
    mockRequestsPerSec: Math.round(mean(mockRps)),
    bareRequestsPerSec: Math.round(mean(bareRps)),
    /** The median of the rounds' mock ÷ bare ratios (each pair run back to back). */
    ratio: round3(median(pairRatios)),
    ratioOfMeans: round3(mean(mockRps) / mean(bareRps)),
    goalRatio: 0.7,
    errorsOrNon2xx: errors,
    perRound: { mockRequestsPerSec: mockRps.map(Math.round), bareRequestsPerSec: bareRps.map(Math.round), ratio: pairRatios.map(round3) },
    /**
     * Cores used during the runs (mean over rounds): a server near 1.0 is the bottleneck (one
     * event loop); autocannon near 1.0 means the load generator is, and the server's figure is a
     * lower bound of what it can do.
     */
    cpuCores: {
      mockServer: round3(mean(cores.mockServer)),
      autocannonAgainstMock: round3(mean(cores.mockClient)),
      bareServer: round3(mean(cores.bareServer)),
      autocannonAgainstBare: round3(mean(cores.bareClient)),
    },
    microsecondsOfServerCpuPerRequest: {
      mock: round3((mean(cores.mockServer) * 1e6) / mean(mockRps)),
      bare: round3((mean(cores.bareServer) * 1e6) / mean(bareRps)),
    },
    /** Each server's garbage over its runs: bytes allocated per request, and its collector's pauses. */
    garbage: {
      mock: garbagePer(garbage.get(mock)!.figures, garbage.get(mock)!.requests),
      bare: garbagePer(garbage.get(bare)!.figures, garbage.get(bare)!.requests),
    },
  };
}

/** Metered windows summed: bytes allocated per unit (request or token), collections and their pauses. */
function garbagePer(windows: GarbageFigures[], units: number): Record<string, number> {
  const sum = (f: (g: GarbageFigures) => number): number => windows.reduce((s, g) => s + f(g), 0);
  return {
    bytesPerUnit: Math.round(sum((g) => g.allocatedBytes) / units),
    units,
    collections: sum((g) => g.collections),
    pauseMsTotal: round3(sum((g) => g.pauseMsTotal)),
    pauseMsMax: Math.max(0, ...windows.map((g) => g.pauseMsMax)),
  };
}

interface StreamResult {
  ttftErrorMs: number;
  gapErrorsMs: number[];
  tokens: number;
  ok: boolean;
  /** Token events that arrived in the same read as the previous token (gap ~0 at the client). */
  coalesced: number;
}

/** One round's p99s (500 TTFTs, ~50k gaps). */
interface RoundP99 {
  ttftAbsErrorP99Ms: number;
  gapAbsErrorP99Ms: number;
}

/** A server's figures over its measured rounds (pooled; each round's p99 listed too). */
interface TargetFigures {
  failedStreams: number;
  ttftAbsErrorMs: Record<string, number>;
  gapAbsErrorMs: Record<string, number>;
  perRound: RoundP99[];
  /** Token events received over the rounds. */
  tokens: number;
  /** Cores the server's process used during its rounds (Linux only; NaN elsewhere). */
  serverCpuCores: number;
}

/** The mock's send-lateness histogram (`mock_llm_send_lateness_seconds` on GET /metrics). */
interface LatenessCounts {
  /** Upper bounds in ms (the last is Infinity) and cumulative counts. */
  boundsMs: number[];
  cumulative: number[];
}

interface LatenessFigures {
  sends: number;
  /** Share of sends more than 2 ms late. */
  laterThan2msShare: number;
  /** The smallest histogram bound that at least 99% of sends were within (an upper bound of the p99). */
  p99AtMostMs: number;
}

async function latenessCounts(url: string): Promise<LatenessCounts> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const boundsMs: number[] = [];
  const cumulative: number[] = [];
  for (const m of text.matchAll(/^mock_llm_send_lateness_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm)) {
    boundsMs.push(m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000);
    cumulative.push(Number(m[2]));
  }
  return { boundsMs, cumulative };
}

/** Figures of the sends counted between two readings of the histogram. */
function latenessFigures(after: LatenessCounts, before?: LatenessCounts): LatenessFigures {
  const counts = after.cumulative.map((n, i) => n - (before?.cumulative[i] ?? 0));
  const sends = counts.at(-1) ?? 0;
  const within2 = counts[after.boundsMs.indexOf(2)] ?? NaN;
  const p99 = after.boundsMs[counts.findIndex((n) => n >= 0.99 * sends)] ?? NaN;
  return { sends, laterThan2msShare: round3((sends - within2) / sends), p99AtMostMs: p99 };
}

/** What the client child reports. */
interface ClientReport {
  client: string;
  streams: number;
  rounds: number;
  mock: TargetFigures;
  bare: TargetFigures;
  /** The extra round with new long prompts arriving meanwhile (mock only). */
  withNewLongPrompts: {
    newPrompts: number;
    wordsEach: number;
    failedStreams: number;
    ttftAbsErrorMs: Record<string, number>;
    gapAbsErrorMs: Record<string, number>;
  };
  /** The mock's lateness histogram after the measured rounds (reset after the warm-up). */
  latenessAfterRounds: LatenessCounts;
  peakConcurrentStreams: number;
  coalescedTokenEvents: number;
  clientCpuCores: number;
  clientEventLoopDelayP99Ms: number;
}

async function measureTiming(mock: Child): Promise<Record<string, unknown>> {
  const { encodeChat } = await import('gpt-tokenizer'); // not at the top: the timing client's heap stays small
  const promptTokens = encodeChat(MESSAGES as never, 'gpt-4o').length;
  const configuredTtftMs = TIMED.ttftBaseMs + TIMED.prefillMsPerInputToken * promptTokens;
  const kind = process.env['MOCK_PERF_CLIENT'] === 'http' ? 'http' : 'raw';
  // the baseline replays the bytes of one of the mock's own streams (one timed call, ~1.7 s)
  const sample = await fetch(`${mock.url}/v1/chat/completions`, { method: 'POST', body: timedBody(), headers: { 'content-type': 'application/json' } });
  const sampleHeaders: Record<string, string> = {};
  sample.headers.forEach((v, k) => {
    if (k !== 'transfer-encoding' && k !== 'connection' && k !== 'keep-alive' && k !== 'date') sampleHeaders[k] = v;
  });
  const events = (await sample.text())
    .split('\n\n')
    .filter((e) => e !== '')
    .map((e) => `${e}\n\n`);
  const lastToken = events.findLastIndex((e) => e.includes('"content"'));
  const bare = await startChild('bare-stream', {
    headers: sampleHeaders,
    tokenEvents: events.slice(0, lastToken + 1),
    tail: events.slice(lastToken + 1).join(''),
    ttftMs: configuredTtftMs,
    itlMs: TIMED.itlMs,
  } satisfies BareStreamPayload);
  // the extra round's new long prompts are sent from this process, not from the timing client,
  // whose event loop must stay free to timestamp its reads
  const newPromptBodies = Array.from({ length: NEW_PROMPTS }, (_, i) =>
    JSON.stringify({ model: ZERO_MODEL, max_tokens: 1, messages: [{ role: 'user', content: newPrompt(i) }] }),
  );
  let arrivals: Promise<number> = Promise.resolve(NaN);
  let report: ClientReport;
  // both servers' garbage over the measured rounds (each is idle while the other's round runs)
  let garbage: Promise<[GarbageFigures, GarbageFigures]> | undefined;
  let garbageFigures: [GarbageFigures, GarbageFigures] | undefined;
  try {
    report = await runClientChild(
      { url: mock.url, serverPid: mock.process.pid, bareUrl: bare.url, barePid: bare.process.pid, configuredTtftMs, kind },
      {
        roundsStart: () => {
          mock.gcStart();
          bare.gcStart();
        },
        roundsEnd: () => (garbage = Promise.all([mock.gcStop(), bare.gcStop()])),
        busy: () => (arrivals = sendNewPrompts(mock.url, newPromptBodies)),
      },
    );
    garbageFigures = await garbage; // before the bare server goes
  } finally {
    bare.process.kill();
  }
  const [mockGarbage, bareGarbage] = garbageFigures ?? [];
  const newPromptFailures = await arrivals;
  // the extra round's sends: its streams' tokens (the client has finished) and the new prompts'
  // 20 whole answers (all answered now)
  const latenessAfterBusy = await latenessCounts(mock.url);
  // the server's own view: when it actually wrote the first token (ledger ttftMs), without the
  // client's and the network's share
  // (rows of the timed streams of the measured rounds: the extra round's come after them)
  const ledger = (await (await fetch(`${mock.url}/v1/ledger`)).json()) as { rows: { model: string; ttftMs: number | null; outcome: string }[] };
  const serverTtft = ledger.rows
    .filter((r) => r.model === TIMED_MODEL && r.outcome === 'ok' && r.ttftMs !== null)
    .slice(0, report.rounds * report.streams)
    .map((r) => Math.abs(r.ttftMs! - configuredTtftMs));
  return {
    client: report.client,
    streams: report.streams,
    rounds: report.rounds,
    peakConcurrentStreams: report.peakConcurrentStreams,
    tokensPerStream: STREAM_TOKENS,
    failedStreams: report.mock.failedStreams,
    configuredTtftMs,
    configuredGapMs: TIMED.itlMs,
    ttftAbsErrorMs: report.mock.ttftAbsErrorMs,
    gapAbsErrorMs: report.mock.gapAbsErrorMs,
    perRound: report.mock.perRound,
    /**
     * The same client, streams and schedule against a bare node:http server that replays the
     * mock's bytes with one setTimeout per token, its rounds interleaved with the mock's: what
     * this machine and client allow a server that does nothing else.
     */
    bareBaseline: report.bare,
    /** Another round of 500 streams while new ~22k-token prompts arrive (not in the figures above). */
    withNewLongPrompts: {
      ...report.withNewLongPrompts,
      newPromptFailures,
      /** Every send of the round: the streams' tokens and the new prompts' answers. */
      serverSendLateness: latenessFigures(latenessAfterBusy, report.latenessAfterRounds),
    },
    /** Token events the client read together with the previous token of its stream (gap ~0). */
    coalescedTokenEvents: report.coalescedTokenEvents,
    serverSideTtftAbsErrorMs: summarize(serverTtft),
    /**
     * The mock's own view of every token of the measured rounds: how late it wrote each one
     * against its due time (its /metrics histogram), without the client's or the network's share.
     */
    serverSendLateness: latenessFigures(report.latenessAfterRounds),
    goalP99Ms: 2,
    /**
     * Each server's garbage over the measured rounds, per streamed token (its request's share
     * included): bytes allocated, and its collector's pauses (during which no token goes out).
     */
    garbage: {
      mock: mockGarbage === undefined ? undefined : garbagePer([mockGarbage], report.mock.tokens),
      bare: bareGarbage === undefined ? undefined : garbagePer([bareGarbage], report.bare.tokens),
    },
    /** Cores the mock's process used during its rounds (Linux only; NaN elsewhere). */
    serverCpuCores: report.mock.serverCpuCores,
    /** Cores the client process used meanwhile, and how late its event loop ran (p99). */
    clientCpuCores: report.clientCpuCores,
    clientEventLoopDelayP99Ms: report.clientEventLoopDelayP99Ms,
  };
}

/** The timed stream request of (b). */
function timedBody(): string {
  return JSON.stringify({ model: TIMED_MODEL, messages: MESSAGES, stream: true, max_tokens: STREAM_TOKENS });
}

interface ClientPayload {
  url: string;
  serverPid: number | undefined;
  bareUrl: string;
  barePid: number | undefined;
  configuredTtftMs: number;
  kind: string;
}

/** What the (b) client tells its parent as it goes: each handler runs once, when its signal comes. */
interface ClientSignals {
  /** The measured rounds start. */
  roundsStart: () => void;
  /** They ended (before the extra round). */
  roundsEnd: () => void;
  /** The extra round starts. */
  busy: () => void;
}

/** Runs the (b) client in a child process and returns its report. */
function runClientChild(payload: ClientPayload, signals: ClientSignals): Promise<ClientReport> {
  return new Promise((resolve, reject) => {
    // --expose-gc: the client collects its garbage once before it measures (see clientMain)
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', THIS_FILE, `${CHILD_FLAG}=client`], {
      cwd: REPO_ROOT,
      env: { ...process.env, MOCK_PERF_PAYLOAD: JSON.stringify(payload) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8');
    const pending = new Map<string, () => void>([
      [ROUNDS_START_SIGNAL, signals.roundsStart],
      [ROUNDS_END_SIGNAL, signals.roundsEnd],
      [BUSY_SIGNAL, signals.busy],
    ]);
    child.stdout!.on('data', (d: string) => {
      out += d;
      for (const [signal, handler] of pending) {
        if (out.includes(`${signal}\n`)) {
          pending.delete(signal);
          handler();
        }
      }
    });
    child.once('exit', (code) => {
      const m = /REPORT (.*)/.exec(out);
      if (code === 0 && m) resolve(JSON.parse(m[1]!) as ClientReport);
      else reject(new Error(`perf client exited with ${code}`));
    });
  });
}

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

/** CPU time (user + system) of a process so far, from /proc (Linux); NaN when unavailable. */
export function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

function summarize(xs: number[]): Record<string, number> {
  const sorted = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const q = (p: number): number => round3(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN);
  return { count: sorted.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: round3(sorted.at(-1) ?? NaN) };
}

/** The median of `xs`. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `x` rounded to 3 decimals. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A server in a child process of the benchmark. */
export interface Child {
  url: string;
  process: ChildProcess;
  /** Starts the child's garbage meter (see serveGarbageMeter). */
  gcStart(): void;
  /** Stops it and reads what it measured. */
  gcStop(): Promise<GarbageFigures>;
}

/** A server's garbage over a metered window (main thread). */
interface GarbageFigures {
  /** Bytes allocated on the V8 heap, garbage included. */
  allocatedBytes: number;
  collections: number;
  /** Pauses of the collections in the window (the main thread stood still meanwhile). */
  pauseMsTotal: number;
  pauseMsMax: number;
}

/** Starts a server in a child process (this file with the child flag) and waits for its URL. */
export function startChild(kind: 'mock' | 'bare' | 'bare-stream', payload: unknown): Promise<Child> {
  return new Promise((resolve, reject) => {
    // MOCK_PERF_NODE_ARGS: extra Node flags for the mock while investigating (e.g. --trace-gc)
    const extra = kind === 'mock' ? (process.env['MOCK_PERF_NODE_ARGS'] ?? '').split(' ').filter(Boolean) : [];
    const child = spawn(process.execPath, [...extra, '--import', 'tsx', THIS_FILE, `${CHILD_FLAG}=${kind}`], {
      cwd: REPO_ROOT,
      env: { ...process.env, MOCK_PERF_PAYLOAD: JSON.stringify(payload) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const waiting: { resolve: (figures: GarbageFigures) => void; reject: (err: Error) => void }[] = [];
    let ready = false;
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = /^(READY|GARBAGE) (.*)$/.exec(line);
      if (m?.[1] === 'READY' && !ready) {
        ready = true;
        resolve({
          url: m[2]!,
          process: child,
          gcStart: () => void child.stdin!.write('gc-start\n'),
          gcStop: () =>
            new Promise((resolve, reject) => {
              if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`perf child "${kind}" has exited`));
              waiting.push({ resolve, reject });
              child.stdin!.write('gc-stop\n');
            }),
        });
      } else if (m?.[1] === 'GARBAGE') {
        waiting.shift()?.resolve(JSON.parse(m[2]!) as GarbageFigures);
      } else {
        process.stderr.write(`${line}\n`); // anything else the child prints (e.g. --trace-gc)
      }
    });
    child.once('exit', (code) => {
      reject(new Error(`perf child "${kind}" exited with ${code} before it was ready`)); // no effect once ready
      for (const w of waiting.splice(0)) w.reject(new Error(`perf child "${kind}" exited with ${code} before it reported its garbage`));
    });
  });
}

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
  if (kind === 'client') return clientMain();
  if (kind === 'bare-stream') return bareStreamMain();
  if (kind === 'mock') {
    // the modules themselves, as `bench mock` loads them (not index.ts, which also loads msw)
    const { startMockServer } = await import('../../mock-llm/server.ts');
    const { buildCatalog } = await import('../../src/provider/catalog.ts');
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
interface BareStreamPayload {
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

const childArg = process.argv.find((a) => a.startsWith(`${CHILD_FLAG}=`));
if (childArg !== undefined) {
  await childMain(childArg.slice(CHILD_FLAG.length + 1));
} else if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const figures = await run();
  console.log(JSON.stringify(figures, null, 2));
}
