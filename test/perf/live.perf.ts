/**
 * The live generator keeps time (issue 19, item 3): send lag p99 of `bench run --live`'s own
 * machinery (runLiveConfiguration: real clock, executor, agent, HTTP client over the send thread's
 * keep-alive pool) against mock-llm in another process, at 200 and 1,000 requests/s, against a
 * bare baseline in the same run: undici alone, sending the same request on the same arrival
 * times (one chained setTimeout per arrival, as the real clock schedules them) from an otherwise
 * idle thread of this process. Goals: p99 ≤ 2 ms of wall time at 200/s, ≤ 5 ms at 1,000/s.
 *
 * Send lag (ours) = how late a request's arrival ran on the run's loop + how long its first call
 * then took to reach a connection on the send thread; (bare) = how late the request was handed
 * to undici. Each rate runs ROUNDS rounds, ours and bare in alternating order; the figure is the
 * median of the rounds' p99s. A run is marked invalid (never "met") when the box was saturated
 * (1-minute load average at or above the core count when it started) or the generator fell
 * behind (fewer than 95% of the planned requests per wall second, or more than 1% failed).
 * `npx tsx test/perf/run.ts live`.
 */
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { Rng } from '../../src/core/random.ts';
import { spawnBenchChild } from '../../src/live/bench-child.ts';
import { runLiveConfiguration } from '../../src/live/engine.ts';
import { promptMessages } from '../../src/llm/prompt-text.ts';
import { prepareScenario } from '../../src/sweep/prepare.ts';
import { arrivalTimes, requestCount } from '../../src/workload/arrivals.ts';
import { machineLoad, median, processCpuMs, round3, summarize } from './harness/stats.ts';

const SCENARIO = fileURLToPath(new URL('./scenarios/live-rate.ts', import.meta.url));
const RATES = (process.env['LIVE_PERF_RATES'] ?? '200,1000').split(',').map(Number);
const GOAL_P99_MS: Record<number, number> = { 200: 2, 1000: 5 };
const ROUNDS = Number(process.env['LIVE_PERF_ROUNDS'] ?? 3);
/** Wall seconds of traffic per run. */
const SECONDS = Number(process.env['LIVE_PERF_SECONDS'] ?? 10);
/** The scenario plays this many times faster (the mock's latencies too): ~60 ms per request. */
const TIME_SCALE = 10;
const SEED = 7;

/** One run's figures (wall ms). */
interface RunFigures {
  sendLagMs: Record<string, number>;
  requests: number;
  failed: number;
  /** Requests finished per wall second over the run. */
  achievedPerS: number;
  loadAverage1mAtStart: number;
  /** Cores used during the run by this process (the generator: every thread) and by the mock. */
  cores: { generator: number; mock: number };
}

/** Runs `fn` and measures the cores this process and the mock used meanwhile. */
async function withCores<T>(mockPid: number | undefined, fn: () => Promise<T>): Promise<{ value: T; cores: RunFigures['cores'] }> {
  const cpu = process.cpuUsage();
  const mockCpu = processCpuMs(mockPid);
  const wall = performance.now();
  const value = await fn();
  const ms = performance.now() - wall;
  const used = process.cpuUsage(cpu);
  return { value, cores: { generator: round3((used.user + used.system) / 1000 / ms), mock: round3((processCpuMs(mockPid) - mockCpu) / ms) } };
}

export default async function run(): Promise<Record<string, unknown>> {
  const mock = await startMock();
  try {
    const rates: Record<string, unknown> = {};
    for (const rate of RATES) rates[String(rate)] = await measureRate(mock, rate);
    return { machine: machineLoad(), timeScale: TIME_SCALE, secondsPerRun: SECONDS, rounds: ROUNDS, rates };
  } finally {
    mock.close();
  }
}

async function measureRate(mock: Mock, rate: number): Promise<Record<string, unknown>> {
  const { baseUrl } = mock;
  const overrides = { requestsPerDay: (rate * 86_400) / TIME_SCALE, durationHours: (SECONDS * TIME_SCALE) / 3600 };
  const prepared = await prepareScenario(SCENARIO, { ...overrides, seed: SEED, live: { timeScale: TIME_SCALE, target: baseUrl } });
  const config = prepared.configurations[0]!;
  const ours: RunFigures[] = [];
  const bare: RunFigures[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const runOurs = async () => {
      const loadAverage1mAtStart = machineLoad().loadAverage1m;
      const { value: r, cores } = await withCores(mock.pid, () =>
        runLiveConfiguration(prepared.scenario, prepared.catalog, config, { seed: SEED, timeScale: TIME_SCALE, target: baseUrl }),
      );
      const lag = r.live!.sendLagMs;
      ours.push({
        sendLagMs: { count: lag.count, p50: round3(lag.p50 / TIME_SCALE), p99: round3(lag.p99 / TIME_SCALE), max: round3(lag.max / TIME_SCALE) },
        requests: r.requests.total,
        failed: r.requests.failed,
        achievedPerS: round3(r.requests.total / (r.engine.wallMs / 1000)),
        loadAverage1mAtStart,
        cores,
      });
    };
    const runBare = async () => {
      const { value, cores } = await withCores(mock.pid, () => bareRound(baseUrl, prepared.scenario));
      bare.push({ ...value, cores });
    };
    if (round % 2 === 0) {
      await runBare();
      await runOurs();
    } else {
      await runOurs();
      await runBare();
    }
    process.stderr.write(`live perf: ${rate}/s round ${round + 1}: ${JSON.stringify({ ours: ours.at(-1), bare: bare.at(-1) })}\n`);
  }
  const goal = GOAL_P99_MS[rate]!;
  const invalid = [...new Set([...ours, ...bare].flatMap((f) => invalidReasons(f, rate)))];
  const oursP99 = median(ours.map((f) => f.sendLagMs.p99!));
  return {
    goalP99Ms: goal,
    ours: { sendLagP99Ms: round3(oursP99), perRound: ours },
    bare: { sendLagP99Ms: round3(median(bare.map((f) => f.sendLagMs.p99!))), perRound: bare },
    valid: invalid.length === 0,
    invalidReasons: invalid,
    /** null when the measurement is invalid: a result from a saturated box or a generator that fell behind is no verdict. */
    met: invalid.length === 0 ? oursP99 <= goal : null,
  };
}

/** Why a run cannot count (empty: it can). */
function invalidReasons(f: RunFigures, rate: number): string[] {
  const reasons: string[] = [];
  const { cpus } = machineLoad();
  if (f.loadAverage1mAtStart >= cpus) reasons.push(`saturated box: load average ${f.loadAverage1mAtStart} at the start on ${cpus} cores`);
  if (f.achievedPerS < 0.95 * rate) reasons.push(`generator fell behind: ${f.achievedPerS} requests/s finished against ${rate} planned`);
  if (f.failed > 0.01 * f.requests) reasons.push(`${f.failed} of ${f.requests} requests failed`);
  return reasons;
}

/**
 * The bare baseline: the scenario's own arrival times (same seed), each request handed to an
 * undici pool when its chained timer fires, the streamed answer read to its end and not parsed.
 */
async function bareRound(baseUrl: string, scenario: Awaited<ReturnType<typeof prepareScenario>>['scenario']): Promise<Omit<RunFigures, 'cores'>> {
  const loadAverage1mAtStart = machineLoad().loadAverage1m;
  const arrivals = arrivalTimes(scenario.traffic, requestCount(scenario.traffic), Rng.derive(SEED, 'arrivals'));
  const url = new URL(baseUrl);
  const path = `${url.pathname}/chat/completions`;
  const body = JSON.stringify({
    model: 'gpt-4o-mini',
    messages: promptMessages('answer', 60, 100, 'bare'),
    stream: true,
    stream_options: { include_usage: true },
    max_completion_tokens: 16,
  });
  const agent = new Agent({ connections: 512, keepAliveTimeout: 30_000 });
  await Promise.all(
    Array.from({ length: 64 }, () => agent.request({ origin: url.origin, path: `${url.pathname}/models`, method: 'GET' }).then((r) => r.body.dump())),
  );
  const n = arrivals.length;
  const lags = new Float64Array(n);
  let done = 0;
  let failed = 0;
  const start = performance.now() + 20;
  await new Promise<void>((resolve) => {
    const send = (i: number): void => {
      const intended = start + arrivals[i]! / TIME_SCALE;
      lags[i] = performance.now() - intended;
      agent
        .request({ origin: url.origin, path, method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .then(async (r) => {
          await r.body.dump({ limit: Infinity });
          if (r.statusCode !== 200) failed++;
        })
        .catch(() => failed++)
        .finally(() => {
          if (++done === n) resolve();
        });
      if (i + 1 < n) at(start + arrivals[i + 1]! / TIME_SCALE, () => send(i + 1));
    };
    at(start + arrivals[0]! / TIME_SCALE, () => send(0));
  });
  const wallS = (performance.now() - start) / 1000;
  await agent.close();
  return { sendLagMs: summarize(lags.map((l) => Math.max(0, l))), requests: n, failed, achievedPerS: round3(n / wallS), loadAverage1mAtStart };
}

/** Runs `fn` at `wallMs` (performance.now()) as RealClock.schedule does: at once (next turn) when due, else a timer. */
function at(wallMs: number, fn: () => void): void {
  const wait = wallMs - performance.now();
  if (wait <= 0) setImmediate(fn);
  else setTimeout(fn, wait);
}

/** mock-llm in its own process (`bench mock`), at the benchmark's time scale. */
interface Mock {
  baseUrl: string;
  pid: number | undefined;
  close: () => void;
}

async function startMock(): Promise<Mock> {
  const child = spawnBenchChild(['mock', '--port', '0', '--seed', String(SEED), '--time-scale', String(TIME_SCALE)]);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`mock-llm exited (${code}) before listening`)));
  });
  return { baseUrl: `${url}/v1`, pid: child.pid, close: () => child.kill('SIGTERM') };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(await run(), null, 2));
