/**
 * Speed and memory of the simulator, against a bare baseline measured in the same run:
 *  (a) one configuration of the cascade day (100k agent runs, several LLM calls each): wall time,
 *      simulated LLM calls per second (goal: under 1 s);
 *  (b) the bare baseline: the same number of events pushed through the same event queue and
 *      virtual clock with no model work, as callbacks and as async tasks awaiting `sleep`;
 *  (c) a 1,000,000-request day of the same configuration in a fresh process: peak RSS (goal < 500 MB).
 * `npx tsx test/perf/engine.perf.ts` prints the figures; the perf runner imports `run`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { VirtualClock } from '../../src/engine/clock.ts';
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
  const millionFigures = million.status === 0 ? (JSON.parse(million.stdout.trim().split('\n').pop()!) as Record<string, number>) : { error: million.stderr.slice(-500) };
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
