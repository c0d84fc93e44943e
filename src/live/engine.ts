/**
 * Live mode: the same scenario, the same executor, agent and strategies, on the real clock
 * (optionally k times faster) with real HTTP calls — to mock-llm, started here unless a target
 * is given, or to any OpenAI-compatible endpoint. Arrivals are open-loop: each request is sent
 * at its scheduled time whatever earlier ones are doing, and its latency counts from that
 * intended time; how late the generator actually sent it (send lag) is measured too.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { liveValidity } from '../results/validity.ts';
import { OWN_MOCK_TARGET } from '../results/fidelity.ts';
import type { Catalog } from '../provider/catalog.ts';
import { perMinuteLimits, type RateLimits } from '../provider/limits.ts';
import { spawnBenchChild } from './bench-child.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpLlmClient } from '../llm/http-client.ts';
import type { ConfigResult } from '../results/schema.ts';
import { checkRedis, epochNowMs } from './protocol.ts';
import { QueueRun, type RedisRunOptions } from './queue-run.ts';
import type { Scenario } from '../scenario/schema.ts';
import { requestCount } from '../workload/arrivals.ts';
import { RealClock } from './real-clock.ts';
import { LiveMeter, type LiveProgress } from './meter.ts';
import { SendThread } from './sender.ts';
import { executeConfiguration, type SimulateOptions } from '../engine/simulate.ts';
import type { Configuration } from '../scenario/configurations.ts';

/** Options of a live run. */
export interface LiveOptions {
  /** OpenAI-compatible base URL with /v1; default: start mock-llm on 127.0.0.1, port 0. */
  target?: string;
  /** Play the scenario this many times faster (the mock's latencies are scaled the same way). @default 1 */
  timeScale?: number;
  /** Bearer token for the target (from the environment; never written to results). */
  apiKey?: string;
  /** Run the jobs on BullMQ workers through Redis instead of the in-process executor. */
  redis?: RedisRunOptions;
  /** Called about once a wall second with the running figures (req/s, p95 e2e, errors, send lag). */
  onLiveProgress?: (progress: LiveProgress) => void;
}

/** How often the running figures go to `onLiveProgress` (wall ms). */
const PROGRESS_EVERY_MS = 1_000;

/** How long before its arrival time a request starts on the run's loop (wall ms); its first call is held until then. */
const ARRIVAL_LEAD_WALL_MS = 10;

/**
 * Keep-alive connections opened before the clock starts: enough for a burst (requests released
 * together after the run's loop stalled past the lead) not to wait for new connections.
 */
const WARM_CONNECTIONS = 256;

/** Chat calls the send thread makes to a canned local stream before the clock starts (src/live/chat-warm-up.ts). */
const WARM_CHAT_CALLS = 1_000;

/** Runs one configuration live and returns its results (with the send-lag distribution). */
export async function runLiveConfiguration(
  scenario: Scenario,
  catalog: Catalog,
  config: Configuration,
  options: SimulateOptions & LiveOptions,
): Promise<ConfigResult> {
  const timeScale = options.timeScale ?? 1;
  // before anything starts: a wrong --redis fails in a second, not after the mock is up
  if (options.redis !== undefined) await checkRedis(options.redis.url, '--redis');
  const mock = options.target === undefined ? await startChildMock(childMockOptions(scenario, catalog, options.seed, timeScale)) : undefined;
  const baseUrl = mock === undefined ? options.target! : `${mock.url}/v1`;
  let sender: SendThread | undefined;
  let queueRun: QueueRun | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    // requests go out from a send thread with its own event loop and connection pool, started
    // and warmed (connections open, its chat path compiled) before the clock starts
    sender = await SendThread.start(options.apiKey ? { baseUrl, apiKey: options.apiKey } : { baseUrl });
    const warmed = await sender.prepare(WARM_CONNECTIONS, WARM_CHAT_CALLS);
    // workers start and load the scenario before the clock starts: neither is measured
    if (options.redis !== undefined) {
      queueRun = await QueueRun.start({ options: options.redis, scenario, config, seed: options.seed, baseUrl, timeScale });
    }
    const meter = new LiveMeter(timeScale);
    const onLiveProgress = options.onLiveProgress;
    if (onLiveProgress !== undefined) {
      const planned = options.replay?.count ?? requestCount(scenario.traffic);
      ticker = setInterval(() => onLiveProgress(meter.progress(config.name, planned)), PROGRESS_EVERY_MS);
      ticker.unref();
    }
    const result = await playLive({ scenario, catalog, config, options, baseUrl, sender, queueRun, meter });
    if (warmed.skipped !== undefined) result.live?.warnings.push(`the send thread's chat path was not warmed (${warmed.skipped}): its first sends may be late`);
    return result;
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    await queueRun?.shutdown();
    await sender?.close();
    mock?.close();
  }
}

/** What one live configuration plays with, once the send thread (and any workers) are up. */
interface LivePlay {
  scenario: Scenario;
  catalog: Catalog;
  config: Configuration;
  options: SimulateOptions & LiveOptions;
  baseUrl: string;
  sender: SendThread;
  queueRun: QueueRun | undefined;
  meter: LiveMeter;
}

/** Plays the configuration on the real clock through the send thread and adds the live facts to its results. */
async function playLive({ scenario, catalog, config, options, baseUrl, sender, queueRun, meter }: LivePlay): Promise<ConfigResult> {
  const timeScale = options.timeScale ?? 1;
  // in process, time 0 is when the first arrival is scheduled, once the executor, its workers and
  // the agent are built; BullMQ workers need the origin's epoch instant now, so their clock starts here
  const clock = new RealClock(timeScale, { start: queueRun === undefined ? 'on-start' : 'now' });
  const client = new HttpLlmClient({ baseUrl, catalog, clock, timeScale, transport: sender });
  const lead = canLead(scenario, config, queueRun !== undefined) ? ARRIVAL_LEAD_WALL_MS * timeScale : 0;
  client.observeDispatches((jobId, lagMs) => meter.dispatch(jobId, lagMs));
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const failed = queueRun?.failed;
  const result = await executeConfiguration(scenario, catalog, config, options, {
    clock,
    client,
    promptCache: () => new Map(),
    drive: async (allDone) => {
      // a job that throws ends the run with its error instead of leaving it waiting
      await Promise.race(failed === undefined ? [allDone, clock.failed] : [allDone, failed, clock.failed]);
    },
    onSend: (lagMs, jobId) => {
      meter.arrival(lagMs, jobId);
      if (lead > 0) client.holdFirstCall(jobId, clock.now() - lagMs);
    },
    arrivalLeadMs: lead,
    beforeFirstArrival: () => clock.start(),
    onFinished: (jobId, arrivalMs, ok, endMs) => meter.finished(jobId, arrivalMs, ok, endMs),
    ...(queueRun !== undefined ? { remote: queueRun.executor(clock, epochNowMs() - clock.now() / timeScale) } : {}),
  });
  loopDelay.disable();
  const live = liveFacts(result, meter, loopDelay.count === 0 ? 0 : loopDelay.percentile(99) / 1e6, timeScale, scenario, options.target);
  if (queueRun !== undefined) {
    const facts = queueRun.facts();
    live.live.warnings.push(...facts.warnings);
    live.live.queue = { name: facts.queue, retriedJobs: facts.retriedJobs };
  }
  return { ...result, ...live };
}

/**
 * Whether requests may start ARRIVAL_LEAD_WALL_MS early, with their first call held on the send
 * thread's timer until the arrival time: only when that first call is the request's first act —
 * the workflow starts with an LLM step and no cache answers before it (a cache lookup or a tool
 * step takes modelled time that must count from the arrival) — and not with BullMQ workers,
 * which would run the request early.
 */
function canLead(scenario: Scenario, config: Configuration, remote: boolean): boolean {
  return !remote && scenario.workflow[0]?.type === 'llm' && config.strategies.caches.length === 0;
}

/** A finished live configuration's `live` facts and validity records. */
function liveFacts(
  result: ConfigResult,
  meter: LiveMeter,
  eventLoopDelayP99WallMs: number,
  timeScale: number,
  scenario: Scenario,
  target: string | undefined,
): { live: NonNullable<ConfigResult['live']>; validity: ConfigResult['validity'] } {
  const lag = meter.sendLagPercentiles();
  const lags = meter.lags;
  const total = result.requests.total;
  const validity = liveValidity({
    timeScale,
    sendLagP99Ms: lag.p99,
    lateShare: (limitMs) => (lags.length === 0 ? 0 : lags.filter((l) => l > limitMs).length / lags.length),
    ttftP50Ms: result.latencyMs.ttft.p50,
    eventLoopDelayP99WallMs,
    errorRate: total === 0 ? 0 : result.requests.failed / total,
    maxErrorRate: scenario.slo.maxErrorRate ?? 0,
  });
  return { live: { target: target ?? OWN_MOCK_TARGET, timeScale, sendLagMs: lag, warnings: [] }, validity };
}

/** The mock a live run starts: the scenario's catalog, rate limits and error rates, at its time scale. */
function childMockOptions(scenario: Scenario, catalog: Catalog, seed: number, timeScale: number): ChildMockOptions {
  return {
    models: catalog,
    seed,
    timeScale,
    // the simulator's limits (one model, src/provider/limits.ts), on the played-faster clock
    limits: Object.fromEntries(
      Object.entries(scenario.faults).flatMap(([model, f]) => {
        const limits = perMinuteLimits(f, timeScale);
        return limits === undefined ? [] : [[model, limits]];
      }),
    ),
    faults: Object.fromEntries(Object.entries(scenario.faults).map(([model, f]) => [model, { error500: f.errorRate }])),
  };
}

/**
 * What `bench mock --options-file` reads: the part of mock-llm's MockServerOptions a live run sets
 * (named here because only the CLI imports mock-llm).
 */
interface ChildMockOptions {
  models: Catalog;
  seed: number;
  timeScale: number;
  limits: Record<string, RateLimits>;
  faults: Record<string, { error500?: number }>;
}

interface ChildMock {
  url: string;
  close(): void;
}

/**
 * Starts mock-llm in its own process (`bench mock --port 0`), so that serving tokens never
 * shares an event loop with the load generator whose send times are being measured.
 */
async function startChildMock(options: ChildMockOptions): Promise<ChildMock> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mock-'));
  const file = join(dir, 'options.json');
  writeFileSync(file, JSON.stringify(options));
  const args = ['mock', '--port', '0', '--seed', String(options.seed ?? 0), '--time-scale', String(options.timeScale ?? 1), '--options-file', file];
  const child = spawnBenchChild(args);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`mock-llm exited (${code}) before listening: ${err.slice(-500)}`)));
  });
  return {
    url,
    close() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
