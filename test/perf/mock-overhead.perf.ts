/**
 * mock-llm's overhead (issue 19, item 4): with every latency zero, autocannon requests/s against
 * the mock vs a bare node:http server answering the same bytes, both in child processes, same run.
 * CANNON_ROUNDS pairs of short runs, bare and mock back to back in alternating order; the figure
 * is the median of the pairs' ratios (goal ≥ 0.70), the ratio of the means beside it. Server and
 * autocannon CPU and each server's garbage per request are reported too.
 * `npx tsx test/perf/run.ts mock-overhead`.
 */
import type autocannon from 'autocannon';
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
const CANNON_SECONDS = 2;
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

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(await run(), null, 2));
