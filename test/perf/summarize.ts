/**
 * Rewrites the generated tables of BENCHMARKS.md from the figures in results/perf/*.json
 * (between `<!-- perf:NAME -->` and `<!-- /perf:NAME -->`), so the summary never holds a number
 * typed by hand. `npm run perf` calls it after measuring.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOC = `${ROOT}BENCHMARKS.md`;

type Json = Record<string, unknown>;
const read = (name: string): Json | null => {
  const path = `${ROOT}results/perf/${name}.json`;
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Json) : null;
};
const get = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v as Json | undefined)?.[k], o);
const num = (v: unknown, digits = 0): string =>
  typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
const pct = (v: unknown): string => (typeof v === 'number' ? `${(v * 100).toFixed(1)}%` : 'n/a');
const yes = (v: unknown): string => (v === true ? 'met' : v === false ? '**not met**' : 'n/a');
/** `a / b` of two figures, or undefined when either is missing. */
const ratioOf = (a: unknown, b: unknown): number | undefined => (typeof a === 'number' && typeof b === 'number' && b !== 0 ? a / b : undefined);
/** The load average at a run's start was at or above the core count: the box was saturated, the run gives no verdict. */
const saturated = (r: Json): boolean => {
  const load = get(r, 'machine.loadAverage1m.atStart') ?? get(r, 'figures.machine.loadAverage1m');
  const cpus = get(r, 'machine.cpus');
  return typeof load === 'number' && typeof cpus === 'number' && load >= cpus;
};
/** The run could use fewer CPUs than the machine has (a benchmark before it left the process pinned). */
const pinned = (r: Json): boolean => {
  const available = get(r, 'machine.cpusAvailable');
  return typeof available === 'number' && available < Number(get(r, 'machine.cpus'));
};
/** A goal's verdict; a run its benchmark marked invalid, taken on a saturated box or on fewer CPUs than the box has, gives none. */
const verdict = (v: boolean | undefined, r: Json): string =>
  pinned(r)
    ? `**invalid** (ran on ${get(r, 'machine.cpusAvailable')} of ${get(r, 'machine.cpus')} CPUs)`
    : get(r, 'figures.valid') === false || saturated(r)
      ? '**invalid** (saturated box or generator behind)'
      : yes(v);
const when = (r: Json): string =>
  `measured ${String(r.measuredAt).slice(0, 16).replace('T', ' ')} UTC on ${get(r, 'machine.cpus')} × ${get(r, 'machine.cpuModel')}, Node ${get(r, 'machine.node')}`;

function engineTable(r: Json): string {
  const f = r.figures as Json;
  const load =
    get(f, 'loadAverage1m') === undefined
      ? ''
      : `; load average ${num(get(f, 'loadAverage1m.atStart'), 2)} at start, ${num(get(f, 'loadAverage1m.atEnd'), 2)} at end`;
  const rounds = get(f, 'rounds') === undefined ? '' : `, median of ${get(f, 'rounds')} interleaved rounds`;
  const scenarios = (get(f, 'scenarios.byScenario') ?? {}) as Json;
  return [
    `_${when(r)}${load}${get(f, 'valid') === false ? ' — **invalid: a busy machine**' : ''}_`,
    '',
    '| figure | value | goal |',
    '|---|---:|---|',
    `| one cascade configuration: ${get(f, 'requests')} requests, ${num(get(f, 'llmCalls'))} LLM/embedding calls, ${num(get(f, 'events'))} events${rounds} | ${num(get(f, 'simulateMsMedian') ?? get(f, 'simulateMsMean'))} ms | < 1 s: ${yes(get(f, 'goalUnder1s'))} |`,
    `| simulated calls per second | ${num(get(f, 'simulatedCallsPerS'))} | ≥ 700,000: ${yes(get(f, 'goalCallsPerS700k'))} |`,
    `| bare baseline: the same events through the event queue as callbacks | ${num(get(f, 'bareCallbacksMsMean'), 1)} ms | |`,
    `| bare baseline: the same events as async tasks awaiting \`sleep\` | ${num(get(f, 'bareAsyncMsMean'), 1)} ms | |`,
    `| simulation ÷ bare async baseline | ${num(get(f, 'ratioSimToBareAsync'), 2)}× | ≤ 1.2×: ${yes(get(f, 'goalRatio12'))} |`,
    ...(get(f, 'hundredKRequestDay.wallMs') === undefined
      ? []
      : [
          `| 100,000-request day in a fresh process: wall time / peak RSS | ${num(get(f, 'hundredKRequestDay.wallMs'))} ms / ${num(get(f, 'hundredKRequestDay.maxRssMb'))} MB | |`,
        ]),
    `| 1,000,000-request day (${num(get(f, 'millionRequestDay.llmCalls'))} calls): wall time | ${num(get(f, 'millionRequestDay.wallMs'))} ms${get(f, 'millionRequestDay.ratioTo100kDay') === undefined ? '' : ` (${num(get(f, 'millionRequestDay.ratioTo100kDay'), 1)}× the 100k day)`} | ≤ 11×: ${yes(get(f, 'millionRequestDay.goalLinear11x'))} |`,
    `| 1,000,000-request day: peak RSS | ${num(get(f, 'millionRequestDay.maxRssMb'))} MB | ≤ 300 MB: ${yes(get(f, 'millionRequestDay.goalUnder300Mb') ?? get(f, 'millionRequestDay.goalUnder500Mb'))} |`,
    ...Object.entries(scenarios).map(
      ([n, s]) =>
        `| scenarios/${n}.ts: ${get(s, 'configurations')} configurations at ${num(get(s, 'requests'))} requests/day, min / median / max wall time per 100k requests | ` +
        `${num(get(s, 'minMsPer100k'))} / ${num(get(s, 'medianMsPer100k'))} / ${num(get(s, 'maxMsPer100k'))} ms | ${get(s, 'underOneSecond')} of ${get(s, 'configurations')} ≤ 1 s |`,
    ),
    ...(get(f, 'scenarios.slowest') === undefined
      ? []
      : [
          `| slowest configuration of any shipped scenario | ${num(get(f, 'scenarios.slowest.msPer100k'))} ms per 100k (${get(f, 'scenarios.slowest.scenario')}: ${get(f, 'scenarios.slowest.config')}) | every one ≤ 1 s: ${yes(get(f, 'scenarios.goalAllUnder1sPer100k'))} |`,
        ]),
    ...(get(f, 'sweep') === undefined
      ? []
      : [
          `| sweep, ${get(f, 'sweep.configurations.workload')}: 1 thread / 2 threads | ${num(get(f, 'sweep.configurations.oneThreadMs'))} / ${num(get(f, 'sweep.configurations.twoThreadsMs'))} ms (${num(get(f, 'sweep.configurations.speedup'), 2)}×) | 2 threads ≥ 1.8×: ${yes(get(f, 'sweep.goalSpeedup18'))} |`,
          `| sweep, ${get(f, 'sweep.replications.workload')}: 1 thread / 2 threads | ${num(get(f, 'sweep.replications.oneThreadMs'))} / ${num(get(f, 'sweep.replications.twoThreadsMs'))} ms (${num(get(f, 'sweep.replications.speedup'), 2)}×) | |`,
        ]),
    ...['agent', 'caching']
      .filter((n) => get(f, `strategies.${n}`) !== undefined)
      .map(
        (n) =>
          `| strategies on: ${get(f, `strategies.${n}.configurations`)} configurations of scenarios/${n}.ts, min / median / max per configuration | ` +
          `${num(get(f, `strategies.${n}.minMs`))} / ${num(get(f, `strategies.${n}.medianMs`))} / ${num(get(f, `strategies.${n}.maxMs`))} ms | ` +
          `${get(f, `strategies.${n}.underOneSecond`)} of ${get(f, `strategies.${n}.configurations`)} under 1 s; slowest: ${get(f, `strategies.${n}.slowest`)} |`,
      ),
  ].join('\n');
}

/** Bytes per unit, mock / bare, and each one's collector pauses over the window. */
function garbage(f: Json, path: string): string {
  const side = (who: string): string => `${num(get(f, `${path}.${who}.bytesPerUnit`))} B`;
  const pauses = (who: string): string =>
    `${num(get(f, `${path}.${who}.collections`))} collections, ${num(get(f, `${path}.${who}.pauseMsTotal`), 0)} ms paused, longest ${num(get(f, `${path}.${who}.pauseMsMax`), 1)} ms`;
  return `${side('mock')} / ${side('bare')} (${pauses('mock')} / ${pauses('bare')})`;
}

/** The load average a benchmark recorded at its start (and end, when known). */
function load(r: Json): string {
  const start = get(r, 'machine.loadAverage1m.atStart') ?? get(r, 'figures.machine.loadAverage1m');
  const end = get(r, 'machine.loadAverage1m.atEnd');
  return `load average ${num(start, 2)} at the start${end === undefined ? '' : `, ${num(end, 2)} at the end`}`;
}

function mockOverheadTable(r: Json): string {
  const f = r.figures as Json;
  const ratio = get(f, 'overhead.ratio') as number | undefined;
  const pairRatios = (get(f, 'overhead.perRound.ratio') ?? []) as number[];
  return [
    `_${when(r)}; ${load(r)}_`,
    '',
    '| figure | value | goal |',
    '|---|---:|---|',
    `| zero latency: mock requests/s (autocannon, ${get(f, 'overhead.connections')} connections) | ${num(get(f, 'overhead.mockRequestsPerSec'))} | |`,
    `| bare node:http server returning the same bytes, same run | ${num(get(f, 'overhead.bareRequestsPerSec'))} | |`,
    `| ratio mock ÷ bare: median of ${pairRatios.length} interleaved rounds (back-to-back pairs) | ${num(ratio, 2)} | ≥ 0.70: ${verdict(ratio === undefined ? undefined : ratio >= 0.7, r)} |`,
    `| each round's ratio; ratio of the means | ${pairRatios.map((x) => num(x, 2)).join(', ')}; ${num(get(f, 'overhead.ratioOfMeans'), 2)} | |`,
    ...distinctRows(f, r),
    `| server CPU per request: mock / bare | ${num(get(f, 'overhead.microsecondsOfServerCpuPerRequest.mock'), 1)} / ${num(get(f, 'overhead.microsecondsOfServerCpuPerRequest.bare'), 1)} µs | |`,
    `| cores used: mock / autocannon against it; bare / autocannon against it | ${num(get(f, 'overhead.cpuCores.mockServer'), 2)} / ${num(get(f, 'overhead.cpuCores.autocannonAgainstMock'), 2)}; ${num(get(f, 'overhead.cpuCores.bareServer'), 2)} / ${num(get(f, 'overhead.cpuCores.autocannonAgainstBare'), 2)} | |`,
    `| server heap allocation per request (garbage included): mock / bare | ${garbage(f, 'overhead.garbage')} | |`,
  ].join('\n');
}

/** The mock on request bodies that never repeat (no reuse of an earlier parse), when the run measured it. */
function distinctRows(f: Json, r: Json): string[] {
  const ratio = get(f, 'overhead.distinctBodies.ratio') as number | undefined;
  if (ratio === undefined) return [];
  const rounds = (get(f, 'overhead.distinctBodies.perRound.ratio') ?? []) as number[];
  return [
    `| every request body new (${num(get(f, 'overhead.distinctBodies.bodies'))} numbered prompts in turn): mock requests/s | ${num(get(f, 'overhead.distinctBodies.mockRequestsPerSec'))} | |`,
    `| ratio mock ÷ bare with every body new: median of ${rounds.length} rounds; each round's | ${num(ratio, 2)}; ${rounds.map((x) => num(x, 2)).join(', ')} | ≥ 0.70: ${verdict(ratio >= 0.7, r)} |`,
    `| server CPU per request with every body new | ${num(get(f, 'overhead.distinctBodies.microsecondsOfServerCpuPerRequest'), 1)} µs | |`,
    ...(get(f, 'overhead.distinctBodies.tokenizedMessagesPerRequest') === undefined
      ? []
      : [
          `| with every body new: prompt messages counted on the tokenizer thread per request; requests per batch sent to it | ${num(get(f, 'overhead.distinctBodies.tokenizedMessagesPerRequest'), 2)}; ${num(get(f, 'overhead.distinctBodies.requestsPerTokenizerBatch'), 1)} | |`,
        ]),
  ];
}

function mockTimingTable(r: Json): string {
  const f = r.figures as Json;
  type Rounds = { ttftAbsErrorP99Ms: number; gapAbsErrorP99Ms: number }[];
  const perRound = (path: string): string =>
    ((get(f, path) ?? []) as Rounds).map((x) => `${num(x.ttftAbsErrorP99Ms, 2)} / ${num(x.gapAbsErrorP99Ms, 2)}`).join('; ');
  // (records from before the goal was a ratio: computed from their pooled p99s)
  const ttftRatio = ratioOf(get(f, 'timing.ttftAbsErrorMs.p99'), get(f, 'timing.bareBaseline.ttftAbsErrorMs.p99'));
  const gapRatio = ratioOf(get(f, 'timing.gapAbsErrorMs.p99'), get(f, 'timing.bareBaseline.gapAbsErrorMs.p99'));
  const goal = (get(f, 'timing.ratioToBare.goal') as number | undefined) ?? 1.2;
  return [
    `_${when(r)}; ${load(r)}_`,
    '',
    '| figure | value | goal |',
    '|---|---:|---|',
    `| ${get(f, 'timing.streams')} concurrent streams × ${get(f, 'timing.rounds') ?? 1} rounds: p99 \\|TTFT − configured\\| / p99 \\|inter-token gap − configured\\| (client, rounds pooled) | ${num(get(f, 'timing.ttftAbsErrorMs.p99'), 2)} / ${num(get(f, 'timing.gapAbsErrorMs.p99'), 2)} ms | |`,
    `| bare baseline: node:http replaying the same bytes with a setTimeout per token, rounds interleaved: p99 TTFT / gap error (client, pooled) | ` +
      `${num(get(f, 'timing.bareBaseline.ttftAbsErrorMs.p99'), 2)} / ${num(get(f, 'timing.bareBaseline.gapAbsErrorMs.p99'), 2)} ms | |`,
    `| ratio mock ÷ bare, TTFT error p99 | ${num(ttftRatio, 2)}× | ≤ ${goal}×: ${verdict(ttftRatio === undefined ? undefined : ttftRatio <= goal, r)} |`,
    `| ratio mock ÷ bare, gap error p99 | ${num(gapRatio, 2)}× | ≤ ${goal}×: ${verdict(gapRatio === undefined ? undefined : gapRatio <= goal, r)} |`,
    `| each round's p99 TTFT / gap error: mock; bare | ${perRound('timing.perRound')} ms; ${perRound('timing.bareBaseline.perRound')} ms | |`,
    `| p99 \\|TTFT − configured\\| measured by the server | ${num(get(f, 'timing.serverSideTtftAbsErrorMs.p99'), 2)} ms | |`,
    `| the server's own count (\`mock_llm_send_lateness_seconds\`): tokens sent more than 2 ms late; p99 lateness within | ` +
      `${pct(get(f, 'timing.serverSendLateness.laterThan2msShare'))} of ${num(get(f, 'timing.serverSendLateness.sends'))}; ≤ ${num(get(f, 'timing.serverSendLateness.p99AtMostMs'), 1)} ms | |`,
    `| one more round while ${get(f, 'timing.withNewLongPrompts.newPrompts')} new ${num(get(f, 'timing.withNewLongPrompts.wordsEach'))}-word prompts arrive: p99 TTFT / gap error (client) | ` +
      `${num(get(f, 'timing.withNewLongPrompts.ttftAbsErrorMs.p99'), 2)} / ${num(get(f, 'timing.withNewLongPrompts.gapAbsErrorMs.p99'), 2)} ms; ` +
      `server: ${pct(get(f, 'timing.withNewLongPrompts.serverSendLateness.laterThan2msShare'))} of sends more than 2 ms late; ` +
      `${get(f, 'timing.withNewLongPrompts.newPromptFailures') ?? 'n/a'} new prompts failed | |`,
    `| server heap allocation per streamed token (its request's share included): mock / bare baseline | ${garbage(f, 'timing.garbage')} | |`,
    `| cores used while streaming: mock / bare baseline / timing client | ${num(get(f, 'timing.serverCpuCores'), 2)} / ${num(get(f, 'timing.bareBaseline.serverCpuCores'), 2)} / ${num(get(f, 'timing.clientCpuCores'), 2)} | |`,
  ].join('\n');
}

/** The live generator's send lag at each rate, against bare undici at the same rate. */
function liveTable(r: Json): string {
  const f = r.figures as Json;
  const rates = (get(f, 'rates') ?? {}) as Record<string, Json>;
  type Run = { sendLagMs: { p50: number; p99: number }; achievedPerS: number; loadAverage1mAtStart: number; cores: { generator: number; mock: number } };
  const rounds = (x: Json, who: string): string =>
    ((get(x, `${who}.perRound`) ?? []) as Run[])
      .map((p) => `${num(p.sendLagMs.p99, 2)} (load ${num(p.loadAverage1mAtStart, 1)}, ${num(p.achievedPerS)}/s, ${num(p.cores?.generator, 2)} cores)`)
      .join('; ');
  const rows = Object.entries(rates).map(([rate, x]) => {
    const met = x['met'] as boolean | null;
    const status = x['valid'] === false ? `**invalid**: ${(x['invalidReasons'] as string[]).join('; ')}` : yes(met);
    return (
      `| ${num(Number(rate))}/s | ${num(get(x, 'ours.sendLagP99Ms'), 2)} ms | ${num(get(x, 'bare.sendLagP99Ms'), 2)} ms | ` +
      `${rounds(x, 'ours')} | ${rounds(x, 'bare')} | ≤ ${get(x, 'goalP99Ms')} ms: ${status} |`
    );
  });
  return [
    `_${when(r)}; ${load(r)}; ${get(f, 'rounds')} rounds of ${get(f, 'secondsPerRun')} s per rate and side, time scale ×${get(f, 'timeScale')}_`,
    '',
    '| rate | send lag p99, ours (median of rounds) | bare undici, same rate | ours, each round | bare, each round | goal |',
    '|---:|---:|---:|---|---|---|',
    ...rows,
  ].join('\n');
}

/** A live day against its simulation (written by hand-run `bench run --live --compare-sim`, see BENCHMARKS.md). */
function fidelityTable(r: Json): string {
  return [
    `_${when(r)}; ${String(r.note ?? '')}_`,
    '',
    `\`${String(r.command)}\` — ${num((r.wallMs as number) / 60000, 1)} min of wall time; send lag p50 ${num(get(r, 'sendLagMs.p50'), 1)} ms, p99 ${num(get(r, 'sendLagMs.p99'), 1)} ms (scenario time).`,
    '',
    String(r.fidelityMarkdown).trim(),
  ].join('\n');
}

function reportTable(r: Json): string {
  const f = r.figures as Json;
  const mb = (v: unknown) => (typeof v === 'number' ? `${num(v / 1024 / 1024, 2)} MB` : 'n/a');
  return [
    `_${when(r)}; ${get(f, 'configurations')} configurations at ${num(get(f, 'requestsPerDay'))} requests/day_`,
    '',
    '| figure | value | goal |',
    '|---|---:|---|',
    `| report.html | ${mb(get(f, 'reportBytes'))} | ≤ 2 MB: ${yes(get(f, 'met.reportBytes'))} |`,
    `| compare.html | ${mb(get(f, 'compareBytes'))} | ≤ 3 MB: ${yes(get(f, 'met.compareBytes'))} |`,
    `| results.json (for scale; not embedded in the pages) | ${mb(get(f, 'resultsJsonBytes'))} | |`,
    `| rendering report.html / compare.html in Node | ${num(get(f, 'reportRenderMs'))} / ${num(get(f, 'compareRenderMs'))} ms | |`,
    `| report: every chart drawn (${get(f, 'reportDraw.charts')} charts), since the page script started / since navigation, median of 3 opens (each: ${String(get(f, 'reportDraw.allChartsMsEach') ?? 'n/a')} ms) | ${num(get(f, 'reportDraw.allChartsMs'))} / ${num(get(f, 'reportDraw.pageReadyMs'))} ms | each ≤ 3 s: ${yes(get(f, 'met.chartDrawMs'))} |`,
    `| report: slowest chart (${get(f, 'reportDraw.slowestChart.id')}) | ${num(get(f, 'reportDraw.slowestChart.ms'))} ms | |`,
    `| compare: every chart drawn (${get(f, 'compareDraw.charts')} charts), since the page script started / since navigation, median of 3 opens (each: ${String(get(f, 'compareDraw.allChartsMsEach') ?? 'n/a')} ms) | ${num(get(f, 'compareDraw.allChartsMs'))} / ${num(get(f, 'compareDraw.pageReadyMs'))} ms | |`,
    `| compare: slowest chart (${get(f, 'compareDraw.slowestChart.id')}) | ${num(get(f, 'compareDraw.slowestChart.ms'))} ms | |`,
  ].join('\n');
}

/** Tool calls, structured output and the other APIs against plain chat, same server, same run. */
function protocolsTable(r: Json): string {
  const f = r.figures as Json;
  const kinds = (get(f, 'kinds') ?? {}) as Record<string, Json>;
  const goal = get(f, 'goalRatio') as number;
  const rows = Object.entries(kinds).map(([name, k]) => {
    const ratio = k['ratioToPlainChat'] as number;
    const judged = (name.includes('ToolCall') || name.includes('JsonSchema')) && !name.endsWith('Streamed'); // streams of different lengths
    const verdict = name === k['comparedWith'] ? '(the reference)' : judged ? `≥ ${goal}: ${yes(ratio >= goal)}` : '';
    return `| ${name} | ${num(k['requestsPerSec'])} | ${num(ratio, 2)} vs ${String(k['comparedWith'])} | ${(k['perRound'] as number[]).map((x) => num(x)).join(', ')} | ${num(k['responseBytes'])} | ${num(k['serverCores'], 2)} | ${verdict} |`;
  });
  return [
    `_${when(r)}; ${load(r)}; ${get(f, 'rounds')} rounds of ${get(f, 'secondsPerRun')} s per kind, ${get(f, 'connections')} connections; ${num(get(f, 'errorsOrNon2xx'))} errors_`,
    '',
    '| request kind | requests/s (median of rounds) | ratio (median of rounds) | each round | response bytes | mock cores | goal |',
    '|---|---:|---:|---|---:|---:|---|',
    ...rows,
    '',
    'Each kind sends one request body over and over, as an agent resends the same tools every turn. mock-llm caches its check of a schema by ' +
      "the schema's text, so the check of a schema seen for the first time is not in these figures; drafting arguments and JSON values is.",
  ].join('\n');
}

/** The 1M-row CSV trace read against the bare line splitting of the same file, same run. */
function traceTable(r: Json): string {
  const f = r.figures as Json;
  const load = `load average ${num(get(f, 'loadAverage1m.before'), 2)} before, ${num(get(f, 'loadAverage1m.after'), 2)} after`;
  const valid = get(f, 'valid') === true ? '' : ' — **invalid: the machine was busy**';
  const rounds = (k: string) => (get(f, k) as number[]).map((x) => num(x)).join(', ');
  return [
    `_${when(r)}; ${load}; ${get(f, 'rounds')} interleaved rounds, one fresh process per measurement${valid}_`,
    '',
    '| figure (median of rounds) | value | each round | goal |',
    '|---|---:|---|---|',
    `| \`readTrace\`: ${num(get(f, 'rows'))} rows parsed into columns | ${num(get(f, 'readMs'))} ms | ${rounds('readMsPerRound')} | ≤ 5,000 ms: ${yes(get(f, 'goalReadMet'))} |`,
    `| bare baseline: the same file split into lines and fields (\`forEachLine\` + \`split(',')\`) | ${num(get(f, 'splitMs'))} ms | ${rounds('splitMsPerRound')} | |`,
    `| bare baseline: the same file streamed as text, nothing else | ${num(get(f, 'bytesMs'))} ms | | |`,
    `| read ÷ line splitting | ${num(get(f, 'ratioReadToSplit'), 2)}× | | |`,
    `| peak RSS of the read (max of rounds) | ${num(get(f, 'peakRssMb'))} MB | | ≤ 300 MB: ${yes(get(f, 'goalRssMet'))} |`,
  ].join('\n');
}

/** Every run kept in results/perf/history/<name>.jsonl, oldest first. */
const history = (name: string): Json[] => {
  const path = `${ROOT}results/perf/history/${name}.jsonl`;
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Json);
};

/** One live rate's history cell: ours / bare p99 (ms), and a mark when the run was invalid. */
const liveCell = (f: Json, rate: string): string => {
  const x = get(f, `rates.${rate}`) as Json | undefined;
  if (x === undefined) return 'n/a';
  return `${num(get(x, 'ours.sendLagP99Ms'), 2)} / ${num(get(x, 'bare.sendLagP99Ms'), 2)}${x['valid'] === false ? ' (invalid)' : ''}`;
};

/** What each benchmark's history table shows per run: the ratios its goals are judged on. */
const HISTORY: Record<string, { title: string; columns: string[]; row: (f: Json) => string[] }> = {
  'mock-overhead': {
    title: 'mock-llm overhead',
    columns: ['mock ÷ bare req/s (median of rounds)', 'rounds', 'mock / bare req/s'],
    row: (f) => [
      num(get(f, 'overhead.ratio'), 2),
      String(get(f, 'overhead.rounds') ?? ((get(f, 'overhead.perRound.ratio') ?? []) as unknown[]).length),
      `${num(get(f, 'overhead.mockRequestsPerSec'))} / ${num(get(f, 'overhead.bareRequestsPerSec'))}`,
    ],
  },
  'mock-timing': {
    title: 'mock-llm streaming timing (500 streams)',
    columns: ['TTFT error p99, mock / bare (ms)', 'gap error p99, mock / bare (ms)', 'mock ÷ bare, TTFT / gap'],
    row: (f) => [
      `${num(get(f, 'timing.ttftAbsErrorMs.p99'), 2)} / ${num(get(f, 'timing.bareBaseline.ttftAbsErrorMs.p99'), 2)}`,
      `${num(get(f, 'timing.gapAbsErrorMs.p99'), 2)} / ${num(get(f, 'timing.bareBaseline.gapAbsErrorMs.p99'), 2)}`,
      `${num(ratioOf(get(f, 'timing.ttftAbsErrorMs.p99'), get(f, 'timing.bareBaseline.ttftAbsErrorMs.p99')), 2)} / ${num(ratioOf(get(f, 'timing.gapAbsErrorMs.p99'), get(f, 'timing.bareBaseline.gapAbsErrorMs.p99')), 2)}`,
    ],
  },
  live: {
    title: 'live generator send lag p99 (wall ms)',
    columns: ['200/s: ours / bare', '1,000/s: ours / bare'],
    row: (f) => [liveCell(f, '200'), liveCell(f, '1000')],
  },
  trace: {
    title: '1M-row CSV trace read',
    columns: ['read (ms, median)', 'read ÷ line splitting', 'peak RSS (MB)', 'valid'],
    row: (f) => [num(get(f, 'readMs')), num(get(f, 'ratioReadToSplit'), 2), num(get(f, 'peakRssMb')), String(get(f, 'valid'))],
  },
  engine: {
    title: 'simulator, one cascade configuration',
    columns: ['wall (ms)', 'simulation ÷ bare async', 'simulated calls/s'],
    row: (f) => [num(get(f, 'simulateMsMedian') ?? get(f, 'simulateMsMean')), num(get(f, 'ratioSimToBareAsync'), 2), num(get(f, 'simulatedCallsPerS'))],
  },
};

/** Whether a figure is at most / at least a goal; undefined (n/a, never "not met") when the figure is missing. */
const atMost = (v: unknown, goal: number): boolean | undefined => (typeof v === 'number' ? v <= goal : undefined);
const atLeast = (v: unknown, goal: number): boolean | undefined => (typeof v === 'number' ? v >= goal : undefined);

/** The simulator's goals (issue 19 items 1 and 2) as rows of the goals table, from engine.json's figures. */
function engineGoalRows(f: Json, judge: (met: boolean | undefined) => string, measured: string): string[] {
  const bareAsync = `bare async tasks ${num(get(f, 'bareAsyncMsMean'), 1)} ms`;
  const rows = [
    `| simulated LLM calls per second, one cascade.ts configuration on one thread | ${num(get(f, 'simulatedCallsPerS'))} | ${bareAsync} | ≥ 700,000 | ${judge(get(f, 'goalCallsPerS700k') as boolean | undefined)} | ${measured} |`,
    `| simulation ÷ the same events as bare async tasks | ${num(get(f, 'ratioSimToBareAsync'), 2)}× | ${bareAsync} | ≤ 1.2× | ${judge(get(f, 'goalRatio12') as boolean | undefined)} | ${measured} |`,
  ];
  if (get(f, 'scenarios.slowest') !== undefined) {
    const all = Object.values((get(f, 'scenarios.byScenario') ?? {}) as Json);
    const under = all.reduce<number>((n, s) => n + Number(get(s, 'underOneSecond') ?? 0), 0);
    const count = all.reduce<number>((n, s) => n + Number(get(s, 'configurations') ?? 0), 0);
    rows.push(
      `| every configuration of every shipped scenario, wall time per 100k requests on one thread | slowest ${num(get(f, 'scenarios.slowest.msPer100k'))} ms; ${under} of ${count} ≤ 1 s | | ≤ 1 s each | ${judge(get(f, 'scenarios.goalAllUnder1sPer100k') as boolean | undefined)} | ${measured} |`,
    );
  }
  rows.push(
    `| 1,000,000-request day ÷ 100,000-request day, wall time | ${num(get(f, 'millionRequestDay.ratioTo100kDay'), 1)}× | 100k day ${num(get(f, 'hundredKRequestDay.wallMs'))} ms | ≤ 11× | ${judge(atMost(get(f, 'millionRequestDay.ratioTo100kDay'), 11))} | ${measured} |`,
    // memory does not depend on how busy the box was: judged whatever the load
    `| 1,000,000-request day, peak RSS | ${num(get(f, 'millionRequestDay.maxRssMb'))} MB | 100k day ${num(get(f, 'hundredKRequestDay.maxRssMb'))} MB | ≤ 300 MB | ${yes(atMost(get(f, 'millionRequestDay.maxRssMb'), 300))} | ${measured} |`,
  );
  if (get(f, 'sweep') !== undefined) {
    const machine = `the machine's memory-bound loop ${num(get(f, 'sweep.machine.memory.speedup'), 2)}×, ALU loop ${num(get(f, 'sweep.machine.alu.speedup'), 2)}×`;
    for (const w of ['configurations', 'replications'])
      rows.push(
        `| sweep on 2 threads ÷ 1 thread: ${get(f, `sweep.${w}.workload`)} | ${num(get(f, `sweep.${w}.speedup`), 2)}× | ${machine} | ≥ 1.8× | ${judge(atLeast(get(f, `sweep.${w}.speedup`), 1.8))} | ${measured} |`,
      );
  }
  return rows;
}

/** The latest figure of each goal of issue 19 (simulator, live generator, mock-llm), with its baseline and load. */
function goalsTable(): string {
  const latest = (name: string): Json | null => read(name) ?? history(name).at(-1) ?? null;
  const rows: string[] = [];
  const stamp = (r: Json): string =>
    `${String(r.measuredAt).slice(0, 16).replace('T', ' ')}, load ${num(get(r, 'machine.loadAverage1m.atStart') ?? get(r, 'figures.machine.loadAverage1m'), 2)}`;
  const engine = latest('engine');
  if (engine !== null) rows.push(...engineGoalRows(engine.figures as Json, (v) => verdict(v, engine), stamp(engine)));
  const live = latest('live');
  for (const rate of ['200', '1000']) {
    const x = live === null ? undefined : (get(live, `figures.rates.${rate}`) as Json | undefined);
    if (live === null || x === undefined) continue;
    const status = x['valid'] === false ? '**invalid** (see the live table)' : yes(x['met']);
    rows.push(
      `| live generator send lag p99 at ${num(Number(rate))} requests/s | ${num(get(x, 'ours.sendLagP99Ms'), 2)} ms | bare undici ${num(get(x, 'bare.sendLagP99Ms'), 2)} ms | ≤ ${get(x, 'goalP99Ms')} ms | ${status} | ${stamp(live)} |`,
    );
  }
  const over = latest('mock-overhead');
  if (over !== null) {
    const ratio = get(over, 'figures.overhead.ratio') as number | undefined;
    const rounds = ((get(over, 'figures.overhead.perRound.ratio') ?? []) as unknown[]).length;
    const fresh = get(over, 'figures.overhead.distinctBodies.ratio') as number | undefined;
    rows.push(
      `| mock-llm req/s ÷ bare node:http, ${fresh === undefined ? '' : 'one repeated request body, '}median of ${rounds} interleaved rounds | ${num(ratio, 2)} | bare ${num(get(over, 'figures.overhead.bareRequestsPerSec'))} req/s | ≥ 0.70 | ${verdict(ratio === undefined ? undefined : ratio >= 0.7, over)} | ${stamp(over)} |`,
    );
    if (fresh !== undefined)
      rows.push(
        `| mock-llm req/s ÷ bare node:http, every request body new, median of ${rounds} interleaved rounds | ${num(fresh, 2)} | the same bare runs | ≥ 0.70 | ${verdict(fresh >= 0.7, over)} | ${stamp(over)} |`,
      );
  }
  const timing = latest('mock-timing');
  if (timing !== null) {
    for (const [what, path] of [
      ['TTFT', 'ttftAbsErrorMs'],
      ['inter-token gap', 'gapAbsErrorMs'],
    ] as const) {
      const ratio = ratioOf(get(timing, `figures.timing.${path}.p99`), get(timing, `figures.timing.bareBaseline.${path}.p99`));
      rows.push(
        `| mock-llm ${what} timing error p99 at ${get(timing, 'figures.timing.streams')} streams ÷ bare server's | ${num(ratio, 2)}× (${num(get(timing, `figures.timing.${path}.p99`), 2)} ms) | bare ${num(get(timing, `figures.timing.bareBaseline.${path}.p99`), 2)} ms | ≤ 1.2× | ${verdict(ratio === undefined ? undefined : ratio <= 1.2, timing)} | ${stamp(timing)} |`,
      );
    }
  }
  return [
    '| goal (issue 19) | ours | baseline, same run | goal | verdict | measured (UTC), load average at start |',
    '|---|---:|---:|---|---|---|',
    ...rows,
  ].join('\n');
}

/** One table per benchmark, a row per recorded run (results/perf/history/). */
function historyTables(): string {
  const out: string[] = [];
  for (const [name, h] of Object.entries(HISTORY)) {
    const runs = history(name);
    if (runs.length === 0) continue;
    out.push(
      `**${h.title}** (\`${name}\`)`,
      '',
      `| measured (UTC) | load average at start | ${h.columns.join(' | ')} |`,
      `|---|---:|${h.columns.map(() => '---:|').join('')}`,
    );
    for (const r of runs) {
      const start = get(r, 'machine.loadAverage1m.atStart') ?? get(r, 'figures.machine.loadAverage1m');
      out.push(`| ${String(r.measuredAt).slice(0, 16).replace('T', ' ')} | ${num(start, 2)} | ${h.row(r.figures as Json).join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n').trim();
}

const TABLES: Record<string, (r: Json) => string> = {
  trace: traceTable,
  report: reportTable,
  engine: engineTable,
  'mock-overhead': mockOverheadTable,
  'mock-timing': mockTimingTable,
  live: liveTable,
  'mock-protocols': protocolsTable,
  'fidelity-100k-run1': fidelityTable,
  'fidelity-100k-run2': fidelityTable,
  'fidelity-streaming-ts20': fidelityTable,
};

let doc = readFileSync(DOC, 'utf8');
for (const [name, table] of Object.entries(TABLES)) {
  // the latest figures; before a benchmark's first run under its name, its last kept record
  const r = read(name) ?? history(name).at(-1) ?? null;
  if (r === null) continue;
  const re = new RegExp(`<!-- perf:${name} -->[\\s\\S]*?<!-- /perf:${name} -->`);
  doc = doc.replace(re, `<!-- perf:${name} -->\n${table(r)}\n<!-- /perf:${name} -->`);
}
doc = doc.replace(/<!-- perf:goals -->[\s\S]*?<!-- \/perf:goals -->/, `<!-- perf:goals -->\n${goalsTable()}\n<!-- /perf:goals -->`);
doc = doc.replace(/<!-- perf:history -->[\s\S]*?<!-- \/perf:history -->/, `<!-- perf:history -->\n${historyTables()}\n<!-- /perf:history -->`);
writeFileSync(DOC, doc);
console.log(`BENCHMARKS.md updated from results/perf/`);
