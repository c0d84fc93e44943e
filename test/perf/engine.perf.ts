/**
 * Speed and memory of the simulator, against a bare baseline measured in the same run:
 *  (a) one configuration of the cascade day (100k agent runs, several LLM calls each): wall time,
 *      simulated LLM calls per second (goal: under 1 s);
 *  (b) the bare baseline: the same number of events pushed through the same event queue and
 *      virtual clock with no model work, as callbacks and as async tasks awaiting `sleep`;
 *  (c) a 1,000,000-request day of the same configuration in a fresh process: peak RSS (goal < 500 MB);
 *  (d) with the strategies on: every configuration of scenarios/agent.ts and scenarios/caching.ts
 *      (routing, caches, autoscaling at 100k requests/day), one thread: wall time per configuration.
 * `npx tsx test/perf/engine.perf.ts` prints the figures; the perf runner imports `run`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { VirtualClock } from '../../src/engine/virtual-clock.ts';
import { simulateConfiguration } from '../../src/engine/simulate.ts';
import { prepareScenario } from '../../src/sweep/prepare.ts';

const SCENARIO = fileURLToPath(new URL('../../scenarios/cascade.ts', import.meta.url));
const CONFIG = 'routing=cascade@0.7 workers=16';
const MILLION_FLAG = '--engine-perf-million';

async function cascadeConfig(requestsPerDay?: number) {
  const prepared = await prepareScenario(SCENARIO, { only: CONFIG, ...(requestsPerDay ? { requestsPerDay } : {}) });
  const config = prepared.configurations.find((c) => c.name === CONFIG)!;
  return { prepared, config };
}

/** Runs the benchmark and returns its figures. */
export default async function run(): Promise<Record<string, unknown>> {
  const { prepared, config } = await cascadeConfig();
  let last: Awaited<ReturnType<typeof simulateConfiguration>> | undefined;
  const bench = new Bench({ iterations: 5, time: 0, warmup: true, warmupIterations: 1, warmupTime: 0 });
  bench.add('simulate one cascade configuration (100k requests)', async () => {
    last = await simulateConfiguration(prepared.scenario, prepared.catalog, config, { seed: prepared.seed });
  });
  const events = () => last?.engine.events ?? 0;
  await bench.run();
  const eventCount = events();
  const calls = last!.engine.simulatedCalls;
  bench.add('bare: same events as callbacks', async () => {
    const clock = new VirtualClock();
    let left = eventCount;
    const tick = () => {
      if (--left > 0) clock.schedule(clock.now() + 1, tick);
    };
    clock.schedule(0, tick);
    await clock.run();
  });
  bench.add('bare: same events as async tasks awaiting sleep', async () => {
    const clock = new VirtualClock();
    const tasks = 1000;
    const per = Math.ceil(eventCount / tasks);
    for (let t = 0; t < tasks; t++) {
      clock.spawn(async () => {
        for (let i = 0; i < per; i++) await clock.sleep(1 + (t % 7));
      });
    }
    await clock.run();
  });
  await bench.run();
  const [sim, bareCallbacks, bareAsync] = bench.tasks.map((t) => t.result as { latency: { mean: number; p50?: number } });
  const simMs = sim!.latency.mean;
  const million = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), MILLION_FLAG], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const millionFigures =
    million.status === 0 ? (JSON.parse(million.stdout.trim().split('\n').pop()!) as Record<string, number>) : { error: million.stderr.slice(-500) };
  const strategies: Record<string, unknown> = {};
  for (const name of ['agent', 'caching']) {
    const p = await prepareScenario(fileURLToPath(new URL(`../../scenarios/${name}.ts`, import.meta.url)), {});
    const times: Array<{ config: string; ms: number; calls: number }> = [];
    for (const c of p.configurations) {
      const t = performance.now();
      const r = await simulateConfiguration(p.scenario, p.catalog, c, { seed: p.seed });
      times.push({ config: c.name, ms: Math.round(performance.now() - t), calls: r.engine.simulatedCalls });
    }
    const sorted = [...times].sort((a, b) => a.ms - b.ms);
    strategies[name] = {
      configurations: times.length,
      minMs: sorted[0]!.ms,
      medianMs: sorted[Math.floor(sorted.length / 2)]!.ms,
      maxMs: sorted.at(-1)!.ms,
      slowest: sorted.at(-1)!.config,
      underOneSecond: times.filter((t) => t.ms < 1000).length,
    };
  }
  return {
    configuration: CONFIG,
    requests: last!.engine.simulatedRequests,
    llmCalls: calls,
    events: eventCount,
    simulateMsMean: simMs,
    simulatedCallsPerS: Math.round(calls / (simMs / 1000)),
    bareCallbacksMsMean: bareCallbacks!.latency.mean,
    bareAsyncMsMean: bareAsync!.latency.mean,
    bareEventsPerS: Math.round(eventCount / (bareCallbacks!.latency.mean / 1000)),
    ratioSimToBareAsync: simMs / bareAsync!.latency.mean,
    goalUnder1s: simMs < 1000,
    millionRequestDay: millionFigures,
    strategies,
  };
}

async function millionChild(): Promise<void> {
  const { prepared, config } = await cascadeConfig(1_000_000);
  const t = performance.now();
  const r = await simulateConfiguration(prepared.scenario, prepared.catalog, config, { seed: prepared.seed });
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    `${JSON.stringify({ requests: r.engine.simulatedRequests, llmCalls: r.engine.simulatedCalls, wallMs: Math.round(performance.now() - t), maxRssMb: Math.round(maxRssMb), goalUnder500Mb: maxRssMb < 500 })}\n`,
  );
}

if (process.argv.includes(MILLION_FLAG)) {
  await millionChild();
} else if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  console.log(JSON.stringify(await run(), null, 2));
}
