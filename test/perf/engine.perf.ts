/**
 * Speed and memory of the simulator, against bare baselines measured in the same run (issue 19):
 *  (a) one configuration of the cascade day (100k agent runs, several LLM calls each) and
 *  (b) the bare baselines: the same number of events pushed through the same virtual clock with no
 *      model work, as callbacks and as async tasks awaiting `sleep` — 5 interleaved rounds, medians;
 *      goals: ≥ 700k simulated calls/s, and (the stretch goal) at most 1.2× the bare async baseline;
 *  (c) the same configuration at 100k and at 1,000,000 requests, each in a fresh process: wall
 *      time (goal: the million at most 11× the 100k day) and peak RSS (goal ≤ 300 MB);
 *  (d) every configuration of every shipped scenario at its own traffic, one thread: wall time per
 *      100k requests (goal ≤ 1 s each);
 *  (e) a sweep (cascade.ts, 15 configurations at 50k requests/day) on one thread and on two threads
 *      (this one and a worker; goal: two ≥ 1.8× one), and one configuration × 4 seeds likewise
 *      (replications in parallel): 3 rounds in an order that turns, medians; and a sweep worker's
 *      start-up (new Worker to ready), the part of a two-thread sweep one thread spends not simulating.
 *  (f) what this machine allows two threads: a pure-ALU loop and a memory-bound loop (random reads
 *      over 32 MB), each alone in one worker thread and then in two at once — the sweep's ceiling.
 * `npx tsx test/perf/engine.perf.ts` prints the figures (`--sweep`: (e) and (f) only); the perf runner imports `run`.
 */
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { loadavg } from 'node:os';
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { VirtualClock } from '../../src/engine/virtual-clock.ts';
import { simulateConfiguration } from '../../src/engine/simulate.ts';
import { prepareScenario } from '../../src/sweep/prepare.ts';
import { Sweep } from '../../src/sweep/sweep.ts';

const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const SCENARIO = `${SCENARIOS}cascade.ts`;
const CONFIG = 'routing=cascade@0.7 workers=16';
const CHILD_FLAG = '--engine-perf-child';
const SWEEP_FLAG = '--sweep';
const ROUNDS = 5;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

async function cascadeConfig(requestsPerDay?: number) {
  const prepared = await prepareScenario(SCENARIO, { only: CONFIG, ...(requestsPerDay ? { requestsPerDay } : {}) });
  const config = prepared.configurations.find((c) => c.name === CONFIG)!;
  return { prepared, config };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function bareCallbacks(eventCount: number): Promise<void> {
  const clock = new VirtualClock();
  let left = eventCount;
  const tick = () => {
    if (--left > 0) clock.schedule(clock.now() + 1, tick);
  };
  clock.schedule(0, tick);
  return clock.run();
}

function bareAsync(eventCount: number): Promise<void> {
  const clock = new VirtualClock();
  const tasks = 1000;
  const per = Math.ceil(eventCount / tasks);
  for (let t = 0; t < tasks; t++) {
    clock.spawn(async () => {
      for (let i = 0; i < per; i++) await clock.sleep(1 + (t % 7));
    });
  }
  return clock.run();
}

/** (a) + (b): the cascade configuration and the bare baselines, interleaved. */
async function cascadeAgainstBare() {
  const { prepared, config } = await cascadeConfig();
  const simulate = () => simulateConfiguration(prepared.scenario, prepared.catalog, config, { seed: prepared.seed });
  const warm = await simulate();
  const events = warm.engine.events!;
  const calls = warm.engine.simulatedCalls;
  await bareAsync(events);
  const sim: number[] = [];
  const callbacks: number[] = [];
  const async: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    sim.push(await timed(simulate));
    callbacks.push(await timed(() => bareCallbacks(events)));
    async.push(await timed(() => bareAsync(events)));
  }
  const simMs = median(sim);
  return {
    configuration: CONFIG,
    requests: warm.engine.simulatedRequests,
    llmCalls: calls,
    events,
    rounds: ROUNDS,
    simulateMsMedian: simMs,
    simulateMsMean: mean(sim),
    simulateMsRounds: sim.map(Math.round),
    simulatedCallsPerS: Math.round(calls / (simMs / 1000)),
    bareCallbacksMsMean: median(callbacks),
    bareAsyncMsMean: median(async),
    bareEventsPerS: Math.round(events / (median(callbacks) / 1000)),
    ratioSimToBareAsync: simMs / median(async),
    goalCallsPerS700k: calls / (simMs / 1000) >= 700_000,
    goalRatio12: simMs / median(async) <= 1.2,
  };
}

/** (c): a fresh process per size, so each peak RSS is its own. */
function childRun(requestsPerDay: number): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), CHILD_FLAG, String(requestsPerDay)], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return r.status === 0 ? (JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>) : { error: r.stderr.slice(-500) };
}

/** (d): every configuration of every shipped scenario, at its own traffic, per 100k requests. */
async function everyScenario() {
  const out: Record<string, unknown> = {};
  let worst = { scenario: '', config: '', msPer100k: 0 };
  for (const file of readdirSync(SCENARIOS)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const name = file.replace(/\.ts$/, '');
    const p = await prepareScenario(`${SCENARIOS}${file}`, {});
    const per100k: number[] = [];
    for (const c of p.configurations) {
      let requests = 0;
      const ms = await timed(async () => {
        requests = (await simulateConfiguration(p.scenario, p.catalog, c, { seed: p.seed })).engine.simulatedRequests;
      });
      const v = (ms * 100_000) / Math.max(1, requests);
      per100k.push(v);
      if (v > worst.msPer100k) worst = { scenario: name, config: c.name, msPer100k: Math.round(v) };
    }
    out[name] = {
      configurations: per100k.length,
      requests: p.scenario.traffic.requestsPerDay,
      minMsPer100k: Math.round(Math.min(...per100k)),
      medianMsPer100k: Math.round(median(per100k)),
      maxMsPer100k: Math.round(Math.max(...per100k)),
      underOneSecond: per100k.filter((v) => v <= 1000).length,
    };
  }
  return { byScenario: out, slowest: worst, goalAllUnder1sPer100k: worst.msPer100k <= 1000 };
}

/** Rounds of (e): each runs both workloads on one thread and on two, in an order that turns. */
const SWEEP_ROUNDS = 3;

/** (e): a sweep on one thread and on two, interleaved rounds, medians; and a sweep worker's start-up. */
async function sweepScaling() {
  const run = async (overrides: { requestsPerDay: number; replications?: number; only?: string }, threads: number) => {
    const prepared = await prepareScenario(SCENARIO, overrides);
    return timed(() => new Sweep(prepared, { threads, overrides }).run());
  };
  const workloads = {
    configurations: { workload: '15 configurations of cascade.ts at 50k requests/day', overrides: { requestsPerDay: 50_000 } },
    replications: { workload: `${CONFIG} × 4 seeds at 100k requests/day`, overrides: { requestsPerDay: 100_000, replications: 4, only: CONFIG } },
  };
  const ms: Record<string, { one: number[]; two: number[] }> = { configurations: { one: [], two: [] }, replications: { one: [], two: [] } };
  for (let r = 0; r < SWEEP_ROUNDS; r++) {
    for (const [name, w] of Object.entries(workloads)) {
      const order = r % 2 === 0 ? [1, 2] : [2, 1];
      for (const threads of order) ms[name]![threads === 1 ? 'one' : 'two'].push(await run(w.overrides, threads));
    }
  }
  const figures = (name: keyof typeof workloads) => {
    const { one, two } = ms[name]!;
    return {
      workload: workloads[name].workload,
      rounds: SWEEP_ROUNDS,
      oneThreadMs: Math.round(median(one)),
      twoThreadsMs: Math.round(median(two)),
      speedup: median(one) / median(two),
      oneThreadMsRounds: one.map(Math.round),
      twoThreadsMsRounds: two.map(Math.round),
    };
  };
  const configurations = figures('configurations');
  const replications = figures('replications');
  return {
    configurations,
    replications,
    workerStartMs: await workerStart(),
    goalSpeedup18: configurations.speedup >= 1.8 && replications.speedup >= 1.8,
  };
}

/**
 * How long a sweep worker takes from `new Worker` to ready (tsx, the simulator's modules and the scenario
 * loaded), median of 3: in a two-thread sweep the worker's thread does nothing useful for that long.
 */
async function workerStart(): Promise<number> {
  const entry = new URL('../../src/sweep/thread.mjs', import.meta.url);
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const t = performance.now();
      const w = new Worker(entry, { workerData: { file: SCENARIO, overrides: {} } });
      w.on('message', (m: { type: string }) => {
        if (m.type !== 'ready') return;
        const ms = performance.now() - t;
        void w.terminate().then(() => resolve(ms));
      });
      w.on('error', reject);
    });
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push(await once());
  return Math.round(median(times));
}

/** The two bare loops of (f), as worker-thread source (no TypeScript, no imports). */
const SCALING_LOOPS = `
const { parentPort, workerData } = require('node:worker_threads');
const t = performance.now();
let x = 0;
if (workerData === 'alu') {
  for (let i = 0; i < 2e8; i++) x = (x + Math.imul(i, 2654435761)) | 0;
} else {
  const a = new Float64Array(4e6);
  for (let r = 0; r < 30; r++) for (let i = 0; i < a.length; i += 8) { a[i] += r; x += a[(i * 7919) % a.length]; }
}
parentPort.postMessage(performance.now() - t);
`;

/** (f): each loop on one thread, then on two at once; speedup = 2 × one thread's time ÷ the slower of the two. */
async function machineScaling() {
  const times = (kind: string, n: number) =>
    Promise.all(
      Array.from({ length: n }, () => new Promise<number>((resolve) => new Worker(SCALING_LOOPS, { eval: true, workerData: kind }).on('message', resolve))),
    );
  const out: Record<string, { oneThreadMs: number; twoThreadsMs: number[]; speedup: number }> = {};
  for (const kind of ['alu', 'memory']) {
    const alone: number[] = [];
    for (let r = 0; r < 3; r++) alone.push((await times(kind, 1))[0]!);
    const one = median(alone);
    const two = await times(kind, 2);
    out[kind] = { oneThreadMs: Math.round(one), twoThreadsMs: two.map(Math.round), speedup: (2 * one) / Math.max(...two) };
  }
  return out;
}

/** Runs the benchmark and returns its figures. */
export default async function run(): Promise<Record<string, unknown>> {
  const loadAtStart = loadavg()[0]!;
  const cascade = await cascadeAgainstBare();
  const hundredK = childRun(100_000);
  const million = childRun(1_000_000);
  const millionToHundredK = typeof million.wallMs === 'number' && typeof hundredK.wallMs === 'number' ? million.wallMs / hundredK.wallMs : undefined;
  const scenarios = await everyScenario();
  const sweep = await sweepScaling();
  const twoThreads = await machineScaling();
  const loadAtEnd = loadavg()[0]!;
  return {
    ...cascade,
    goalUnder1s: cascade.simulateMsMedian < 1000,
    hundredKRequestDay: hundredK,
    millionRequestDay: { ...million, ratioTo100kDay: millionToHundredK, goalLinear11x: millionToHundredK !== undefined && millionToHundredK <= 11 },
    scenarios,
    sweep: { ...sweep, machine: twoThreads },
    loadAverage1m: { atStart: loadAtStart, atEnd: loadAtEnd },
    // on 2 cores a load average at or above 2 means the figures were taken on a busy machine
    valid: loadAtStart < 2 && loadAtEnd < 2,
  };
}

async function child(requestsPerDay: number): Promise<void> {
  const { prepared, config } = await cascadeConfig(requestsPerDay);
  const t = performance.now();
  const r = await simulateConfiguration(prepared.scenario, prepared.catalog, config, { seed: prepared.seed });
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    `${JSON.stringify({ requests: r.engine.simulatedRequests, llmCalls: r.engine.simulatedCalls, wallMs: Math.round(performance.now() - t), maxRssMb: Math.round(maxRssMb), goalUnder300Mb: maxRssMb <= 300 })}\n`,
  );
}

const childAt = process.argv.indexOf(CHILD_FLAG);
if (childAt >= 0) {
  await child(Number(process.argv[childAt + 1]));
} else if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  // `--sweep`: only figures (e) and (f), with the load average around them
  const sweepOnly = process.argv.includes(SWEEP_FLAG);
  const load = loadavg()[0]!;
  const figures = sweepOnly ? { sweep: { ...(await sweepScaling()), machine: await machineScaling() } } : await run();
  console.log(JSON.stringify(sweepOnly ? { ...figures, loadAverage1m: { atStart: load, atEnd: loadavg()[0]! } } : figures, null, 2));
}
