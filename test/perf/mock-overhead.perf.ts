/**
 * mock-llm's overhead (issue 19, item 4): with every latency zero, autocannon requests/s against
 * the mock vs a bare node:http server answering the same bytes, both in child processes, same run.
 * After an interleaved warm-up, CANNON_ROUNDS pairs of runs, bare and mock back to back in
 * alternating order, the servers pinned to one CPU and autocannon to the other; the figure is the
 * median of the pairs' ratios (goal ≥ 0.70), the ratio of the means beside it. Server and
 * autocannon CPU and each server's garbage per request are reported too.
 * `npx tsx test/perf/run.ts mock-overhead`.
 */
import type autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MESSAGES, ZERO_MODEL } from './harness/mock-setup.ts';
import { type Child, type GarbageFigures, garbagePer, startChild } from './harness/servers.ts';
import { machineLoad, median, processCpuMs, round3 } from './harness/stats.ts';

/**
 * (a) runs CANNON_ROUNDS pairs of short autocannon runs, bare and mock, in alternating order
 * (bare first, then mock first, ...): on a shared 2-core VM throughput drifts by ±10–20% within a
 * minute, so each pair is measured close together and the figure is the median of the pairs'
 * ratios (the ratio of the means over all rounds is reported beside it).
 */
const CANNON_SECONDS = Number(process.env['MOCK_PERF_CANNON_SECONDS'] ?? 3);
/** Unmeasured runs per server before the rounds, interleaved. */
const WARMUP_RUNS = 2;
const WARMUP_SECONDS = 2;
const CANNON_CONNECTIONS = 50;
const CANNON_ROUNDS = Number(process.env['MOCK_PERF_CANNON_ROUNDS'] ?? 5);

/** Runs the benchmark and returns its figures. */
export default async function run(): Promise<Record<string, unknown>> {
  const machine = machineLoad();
  const mock = await startChild('mock', {});
  try {
    const body = JSON.stringify({ model: ZERO_MODEL, messages: MESSAGES });
    const sample = await fetch(`${mock.url}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const sampleBody = await sample.text();
    const sampleHeaders: Record<string, string> = {};
    sample.headers.forEach((v, k) => {
      if (k.startsWith('x-') || k === 'content-type' || k === 'content-length' || k === 'openai-processing-ms') sampleHeaders[k] = v;
    });
    const bare = await startChild('bare', { body: sampleBody, headers: sampleHeaders });
    try {
      const overhead = await measureOverhead(mock, bare, body, sampleBody.length);
      return { machine: { ...machine, loadAverage1mAtEnd: machineLoad().loadAverage1m }, overhead };
    } finally {
      bare.process.kill();
    }
  } finally {
    mock.process.kill();
  }
}

/** One autocannon run's figures. */
interface Run {
  rps: number;
  /** Bytes received per response (headers included), to check both servers answer alike. */
  bytesPerResponse: number;
  errors: number;
  serverCores: number;
  clientCores: number;
}

/** Each server's runs and garbage over the measured rounds. */
class Side {
  readonly runs: Run[] = [];
  readonly garbage: GarbageFigures[] = [];
  requests = 0;
  /** `bodies`: send these in turn instead of the one repeated body. */
  constructor(
    readonly server: Child,
    readonly bodies?: readonly string[],
  ) {}

  /** One unmeasured run (JIT of the paths a new body takes). */
  async warm(cannon: Cannon): Promise<void> {
    await cannon(this.server.url, WARMUP_SECONDS, this.bodies);
  }

  /** One autocannon run, with the cores used by the server and by autocannon (this process) meanwhile, and the server's garbage. */
  async measure(cannon: Cannon): Promise<Run> {
    const serverBefore = processCpuMs(this.server.process.pid);
    const clientBefore = process.cpuUsage();
    const wallBefore = performance.now();
    this.server.gcStart();
    const r = await cannon(this.server.url, CANNON_SECONDS, this.bodies);
    const wall = performance.now() - wallBefore;
    const client = process.cpuUsage(clientBefore);
    this.garbage.push(await this.server.gcStop());
    this.requests += r.requests.total;
    const run = {
      rps: r.requests.average,
      bytesPerResponse: r.throughput.total / Math.max(1, r.requests.total),
      errors: r.errors + r.non2xx,
      serverCores: (processCpuMs(this.server.process.pid) - serverBefore) / wall,
      clientCores: (client.user + client.system) / 1000 / wall,
    };
    this.runs.push(run);
    return run;
  }

  mean(f: (r: Run) => number): number {
    return mean(this.runs.map(f));
  }
}

type Cannon = (url: string, seconds: number, bodies?: readonly string[]) => Promise<autocannon.Result>;

/**
 * Request bodies whose user message is new to every cache of the mock: the benchmark's prompt with
 * a numbered user message, all of one length, in turn. The mock keeps the 256 bodies it saw last
 * (`mock-llm/known-requests.ts`) and the token ids of the 4,096 messages it counted last
 * (`src/provider/tokens.ts`): with 16,384 bodies a body comes back only after 16,383 others, so
 * every request is parsed and its user message counted on the tokenizer thread anew, as an agent's
 * traffic is (the system prompt is the same in all, as an agent's is). The run reports how many
 * messages the mock counted per request (`mock_llm_tokenized_messages_total`) to show it. Until
 * 2026-12-07 04:40 the benchmark used 4,096 bodies: the token cache still held most of their user
 * messages when they came back (it is filled when a count arrives, some requests after the miss),
 * and after the first 4,096 requests nearly every user message was answered from it (a scratch run of
 * that code: 4,119 messages counted in about 46,000 requests); their figure left the count out. The repeated body measures the best case
 * (a load test, retries).
 */
const DISTINCT_BODIES = 16_384;

function distinctBodies(): string[] {
  return Array.from({ length: DISTINCT_BODIES }, (_, i) =>
    JSON.stringify({
      model: ZERO_MODEL,
      messages: MESSAGES.map((m) => (m.role === 'user' ? { ...m, content: `${m.content} (request ${String(i).padStart(5, '0')})` } : m)),
    }),
  );
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

async function measureOverhead(mockChild: Child, bareChild: Child, body: string, responseBytes: number): Promise<Record<string, unknown>> {
  // imported here, not at the top: the child processes (servers, timing client) do not load it
  const { default: autocannonRun } = await import('autocannon');
  let next = 0;
  const cannon: Cannon = (url, seconds, bodies) =>
    autocannonRun({
      url: `${url}/v1/chat/completions`,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
      connections: CANNON_CONNECTIONS,
      duration: seconds,
      ...(bodies === undefined ? {} : { requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }] }),
    });
  const restore = pinProcesses(mockChild, bareChild);
  try {
    return await measurePinned(cannon, mockChild, bareChild, responseBytes, restore !== null);
  } finally {
    // the next benchmarks run on the CPUs this process had before (read before pinning: once pinned,
    // availableParallelism() is 1, and "0-0" would have kept every later benchmark on one CPU)
    if (restore !== null) execFileSync('taskset', ['-apc', restore, String(process.pid)], { stdio: 'ignore' });
  }
}

async function measurePinned(cannon: Cannon, mockChild: Child, bareChild: Child, responseBytes: number, pinned: boolean): Promise<Record<string, unknown>> {
  // warm-up, twice each and interleaved (JIT of both servers and of autocannon, caches, heap growth)
  for (let i = 0; i < WARMUP_RUNS; i++) {
    await cannon(mockChild.url, WARMUP_SECONDS);
    await cannon(bareChild.url, WARMUP_SECONDS);
  }
  const mock = new Side(mockChild);
  const bare = new Side(bareChild);
  const fresh = new Side(mockChild, distinctBodies());
  await fresh.warm(cannon);
  const countedBefore = await tokenizerCounters(mockChild.url);
  const pairRatios: number[] = [];
  const freshRatios: number[] = [];
  for (let round = 0; round < CANNON_ROUNDS; round++) {
    // a round's three runs back to back (bare, the mock on one repeated body, on new bodies), in an order that turns round by round
    const order = round % 2 === 0 ? [bare, mock, fresh] : [mock, fresh, bare];
    for (const side of round % 4 < 2 ? order : order.reverse()) await side.measure(cannon);
    pairRatios.push(mock.runs.at(-1)!.rps / bare.runs.at(-1)!.rps);
    freshRatios.push(fresh.runs.at(-1)!.rps / bare.runs.at(-1)!.rps);
  }
  const counted = await tokenizerCounters(mockChild.url);
  counted.messages -= countedBefore.messages;
  counted.batches -= countedBefore.batches;
  return { ...overheadFigures(mock, bare, pairRatios, responseBytes, pinned), distinctBodies: distinctFigures(fresh, bare, freshRatios, counted) };
}

/** The mock's counts of prompt messages it sent to its tokenizer thread, and of the batches they went in (GET /metrics). */
async function tokenizerCounters(url: string): Promise<{ messages: number; batches: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { messages: value('mock_llm_tokenized_messages_total'), batches: value('mock_llm_tokenizer_batches_total') };
}

/**
 * Pins the servers to CPU 0 and this process (autocannon) to CPU 1 (`taskset`), so that the
 * scheduler's placement of the three processes on the 2 cores does not change from run to run
 * (unpinned, single pairs ranged 0.25–0.78). MOCK_PERF_PIN=0 turns it off. Returns this process's
 * CPU list from before (to restore it), or null when it did not pin.
 */
function pinProcesses(...servers: Child[]): string | null {
  if (process.env['MOCK_PERF_PIN'] === '0' || availableParallelism() < 2) return null;
  try {
    // "pid 123's current affinity list: 0,1"
    const before = /:\s*(\S+)\s*$/.exec(execFileSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' }))?.[1];
    if (before === undefined) return null;
    for (const s of servers) execFileSync('taskset', ['-apc', '0', String(s.process.pid)], { stdio: 'ignore' });
    execFileSync('taskset', ['-apc', '1', String(process.pid)], { stdio: 'ignore' });
    return before;
  } catch {
    return null; // no taskset: unpinned, as before
  }
}

/** The mock's figures when every request body is new, against the same bare runs. */
function distinctFigures(fresh: Side, bare: Side, ratios: number[], counted: { messages: number; batches: number }): Record<string, unknown> {
  const rps = fresh.runs.map((r) => r.rps);
  return {
    bodies: DISTINCT_BODIES,
    /** Prompt messages the mock counted on its tokenizer thread per request (the repeated body's runs count none): 1 when every user message is new. */
    tokenizedMessagesPerRequest: round3(counted.messages / fresh.requests),
    requestsPerTokenizerBatch: round3(fresh.requests / counted.batches),
    mockRequestsPerSec: Math.round(mean(rps)),
    ratio: round3(median(ratios)),
    ratioOfMeans: round3(mean(rps) / bare.mean((r) => r.rps)),
    errorsOrNon2xx: fresh.runs.reduce((s, r) => s + r.errors, 0),
    bytesPerResponse: { mock: Math.round(fresh.mean((r) => r.bytesPerResponse)), bare: Math.round(bare.mean((r) => r.bytesPerResponse)) },
    perRound: { mockRequestsPerSec: rps.map(Math.round), ratio: ratios.map(round3) },
    microsecondsOfServerCpuPerRequest: round3((fresh.mean((r) => r.serverCores) * 1e6) / mean(rps)),
    garbage: garbagePer(fresh.garbage, fresh.requests),
  };
}

function overheadFigures(mock: Side, bare: Side, pairRatios: number[], responseBytes: number, pinned: boolean): Record<string, unknown> {
  const mockRps = mock.runs.map((r) => r.rps);
  const bareRps = bare.runs.map((r) => r.rps);
  return {
    responseBytes,
    connections: CANNON_CONNECTIONS,
    secondsPerRun: CANNON_SECONDS,
    warmUp: `${WARMUP_RUNS} × ${WARMUP_SECONDS} s per server`,
    pinned: pinned ? 'servers on CPU 0, autocannon on CPU 1' : 'no',
    rounds: CANNON_ROUNDS,
    mockRequestsPerSec: Math.round(mean(mockRps)),
    bareRequestsPerSec: Math.round(mean(bareRps)),
    /** The median of the rounds' mock ÷ bare ratios (each pair run back to back). */
    ratio: round3(median(pairRatios)),
    ratioOfMeans: round3(mean(mockRps) / mean(bareRps)),
    goalRatio: 0.7,
    errorsOrNon2xx: [...mock.runs, ...bare.runs].reduce((s, r) => s + r.errors, 0),
    perRound: { mockRequestsPerSec: mockRps.map(Math.round), bareRequestsPerSec: bareRps.map(Math.round), ratio: pairRatios.map(round3) },
    /**
     * Cores used during the runs (mean over rounds): a server near 1.0 is the bottleneck (one
     * event loop); autocannon near 1.0 means the load generator is, and the server's figure is a
     * lower bound of what it can do.
     */
    cpuCores: {
      mockServer: round3(mock.mean((r) => r.serverCores)),
      autocannonAgainstMock: round3(mock.mean((r) => r.clientCores)),
      bareServer: round3(bare.mean((r) => r.serverCores)),
      autocannonAgainstBare: round3(bare.mean((r) => r.clientCores)),
    },
    microsecondsOfServerCpuPerRequest: {
      mock: round3((mock.mean((r) => r.serverCores) * 1e6) / mean(mockRps)),
      bare: round3((bare.mean((r) => r.serverCores) * 1e6) / mean(bareRps)),
    },
    /** Each server's garbage over its runs: bytes allocated per request, and its collector's pauses. */
    garbage: { mock: garbagePer(mock.garbage, mock.requests), bare: garbagePer(bare.garbage, bare.requests) },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(await run(), null, 2));
