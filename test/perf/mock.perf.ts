/**
 * Performance of mock-llm. Two figures:
 *  (a) overhead: autocannon requests/s against the mock with zero latency vs a bare node:http
 *      server answering the same bytes, same run; ratio goal >= 0.70.
 *  (b) timing fidelity: 500 concurrent streams with exact (cv 0, no load slowdown) latencies;
 *      p99 of |TTFT − configured| and |gap − configured| measured by the client; goal <= 2 ms.
 * Servers run in child processes so the load generator never shares their event loop.
 * `npx tsx test/perf/mock.perf.ts` prints the figures; the perf runner imports `run`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { encodeChat } from 'gpt-tokenizer';

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD_FLAG = '--mock-perf-child';

const ZERO_MODEL = 'zero-latency';
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
const MESSAGES = [
  { role: 'system', content: 'You are a helpful assistant for a load test.' },
  { role: 'user', content: 'Write a short paragraph about benchmarking.' },
];

const STREAMS = Number(process.env['MOCK_PERF_STREAMS'] ?? 500);
/** Streams start 1 ms apart, so all 500 are open together once the last one started. */
const STREAM_STAGGER_MS = 1;
const STREAM_TOKENS = 100;
const CANNON_SECONDS = 4;
const CANNON_CONNECTIONS = 50;
const CANNON_ROUNDS = 2;

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
        overhead = await measureOverhead(mock.url, bare.url, body, sampleBody.length);
      } finally {
        bare.process.kill();
      }
    }
    const timing = only === 'overhead' ? undefined : await measureTiming(mock.url, mock.process.pid);
    const os = await import('node:os');
    return { machine: { cpus: os.cpus().length, node: process.version, loadAverage1m: round3(os.loadavg()[0]!) }, overhead, timing };
  } finally {
    mock.process.kill();
  }
}

async function measureOverhead(mockUrl: string, bareUrl: string, body: string, responseBytes: number): Promise<Record<string, unknown>> {
  const cannon = async (url: string, seconds: number): Promise<autocannon.Result> =>
    autocannon({
      url: `${url}/v1/chat/completions`,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
      connections: CANNON_CONNECTIONS,
      duration: seconds,
    });
  await cannon(mockUrl, 1); // warm-up (JIT, tokenizer caches)
  await cannon(bareUrl, 1);
  const mockRps: number[] = [];
  const bareRps: number[] = [];
  let errors = 0;
  for (let round = 0; round < CANNON_ROUNDS; round++) {
    const b = await cannon(bareUrl, CANNON_SECONDS);
    const m = await cannon(mockUrl, CANNON_SECONDS);
    bareRps.push(b.requests.average);
    mockRps.push(m.requests.average);
    errors += m.errors + m.non2xx + b.errors + b.non2xx;
  }
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    responseBytes,
    connections: CANNON_CONNECTIONS,
    secondsPerRun: CANNON_SECONDS,
    rounds: CANNON_ROUNDS,
    mockRequestsPerSec: Math.round(mean(mockRps)),
    bareRequestsPerSec: Math.round(mean(bareRps)),
    ratio: round3(mean(mockRps) / mean(bareRps)),
    goalRatio: 0.7,
    errorsOrNon2xx: errors,
  };
}

interface StreamResult {
  ttftErrorMs: number;
  gapErrorsMs: number[];
  tokens: number;
  ok: boolean;
}

async function measureTiming(url: string, serverPid: number | undefined): Promise<Record<string, unknown>> {
  const promptTokens = encodeChat(MESSAGES as never, 'gpt-4o').length;
  const configuredTtftMs = TIMED.ttftBaseMs + TIMED.prefillMsPerInputToken * promptTokens;
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: STREAMS });
  const body = JSON.stringify({ model: TIMED_MODEL, messages: MESSAGES, stream: true, max_tokens: STREAM_TOKENS });
  // warm-up: open all STREAMS keep-alive connections (zero-latency calls) and run a few timed
  // streams, so TCP connects and JIT are not measured
  const zeroBody = JSON.stringify({ model: ZERO_MODEL, messages: MESSAGES, max_tokens: 1 });
  await Promise.all(Array.from({ length: STREAMS }, () => oneStream(url, zeroBody, agent, 0)));
  await Promise.all(Array.from({ length: 20 }, () => oneStream(url, body, agent, configuredTtftMs)));
  await fetch(`${url}/v1/ledger`, { method: 'DELETE' });
  const cpuBefore = processCpuMs(serverPid);
  const wallBefore = performance.now();
  let open = 0;
  let peakOpen = 0;
  const results = await Promise.all(
    Array.from({ length: STREAMS }, async (_, i) => {
      await sleep(i * STREAM_STAGGER_MS);
      open++;
      peakOpen = Math.max(peakOpen, open);
      const r = await oneStream(url, body, agent, configuredTtftMs);
      open--;
      return r;
    }),
  );
  const serverCpuCores = (processCpuMs(serverPid) - cpuBefore) / (performance.now() - wallBefore);
  agent.destroy();
  const ttft = results.map((r) => r.ttftErrorMs);
  const gaps = results.flatMap((r) => r.gapErrorsMs);
  // the server's own view: when it actually wrote the first token (ledger ttftMs), without the
  // client's and the network's share
  const ledger = (await (await fetch(`${url}/v1/ledger`)).json()) as { rows: { ttftMs: number | null; outcome: string }[] };
  const serverTtft = ledger.rows.filter((r) => r.outcome === 'ok' && r.ttftMs !== null).map((r) => Math.abs(r.ttftMs! - configuredTtftMs));
  return {
    streams: STREAMS,
    peakConcurrentStreams: peakOpen,
    tokensPerStream: STREAM_TOKENS,
    failedStreams: results.filter((r) => !r.ok || r.tokens !== STREAM_TOKENS).length,
    configuredTtftMs,
    configuredGapMs: TIMED.itlMs,
    ttftAbsErrorMs: summarize(ttft),
    gapAbsErrorMs: summarize(gaps),
    serverSideTtftAbsErrorMs: summarize(serverTtft),
    goalP99Ms: 2,
    /** Cores the mock's process used while serving the streams (Linux only; NaN elsewhere). */
    serverCpuCores: round3(serverCpuCores),
  };
}

function oneStream(url: string, body: string, agent: http.Agent, configuredTtftMs: number): Promise<StreamResult> {
  return new Promise((resolve) => {
    const gapErrorsMs: number[] = [];
    let tokens = 0;
    let last = 0;
    let ttftErrorMs = NaN;
    let buffer = '';
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
          last = now;
          tokens++;
        }
      });
      res.on('end', () => resolve({ ttftErrorMs, gapErrorsMs, tokens, ok: res.statusCode === 200 }));
      res.on('error', () => resolve({ ttftErrorMs, gapErrorsMs, tokens, ok: false }));
    });
    req.on('error', () => resolve({ ttftErrorMs, gapErrorsMs, tokens, ok: false }));
    const sent = performance.now();
    req.end(body);
  });
}

/** CPU time (user + system) of a process so far, from /proc (Linux); NaN when unavailable. */
function processCpuMs(pid: number | undefined): number {
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

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface Child {
  url: string;
  process: ChildProcess;
}

/** Starts a server in a child process (this file with the child flag) and waits for its URL. */
function startChild(kind: 'mock' | 'bare', payload: unknown): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', THIS_FILE, `${CHILD_FLAG}=${kind}`], {
      cwd: REPO_ROOT,
      env: { ...process.env, MOCK_PERF_PAYLOAD: JSON.stringify(payload) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      out += d;
      const m = /READY (\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, process: child });
    });
    child.once('exit', (code) => reject(new Error(`perf child "${kind}" exited with ${code} before it was ready`)));
  });
}

async function childMain(kind: string): Promise<void> {
  if (kind === 'mock') {
    const { startMockServer, buildCatalog } = await import('../../mock-llm/index.ts');
    const server = await startMockServer({ port: 0, models: buildCatalog(MODELS), ledgerMaxRows: 10_000 });
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
  server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
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
