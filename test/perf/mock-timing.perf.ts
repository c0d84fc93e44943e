/**
 * mock-llm's timing (issue 19, item 4): STREAMS concurrent streams with exact latencies (spread 0,
 * no slowdown), TIMING_ROUNDS measured rounds after a warm-up, each followed by the same round
 * against a bare node:http server replaying the mock's own bytes with one setTimeout per token:
 * p99 of |TTFT − configured| and |gap − configured| as the client sees them, and the ratio of
 * the mock's to the bare server's (goal ≤ 1.2×, same run). The client runs in a child process of
 * its own (harness/timing-client.ts); the mock's own lateness count (/metrics) gives the server's
 * share without the client's. One more round runs while new ~22k-token prompts arrive.
 * `npx tsx test/perf/run.ts mock-timing`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  BUSY_SIGNAL,
  type ClientPayload,
  type ClientReport,
  latenessCounts,
  latenessFigures,
  MESSAGES,
  NEW_PROMPT_SPACING_MS,
  NEW_PROMPT_WORDS,
  NEW_PROMPTS,
  ROUNDS_END_SIGNAL,
  ROUNDS_START_SIGNAL,
  STREAM_TOKENS,
  TIMED,
  TIMED_MODEL,
  timedBody,
  ZERO_MODEL,
} from './harness/mock-setup.ts';
import type { BareStreamPayload } from './harness/server-child.ts';
import { type GarbageFigures, garbagePer, startChild, type Child } from './harness/servers.ts';
import { machineLoad, round3, sleep, summarize } from './harness/stats.ts';

const TIMING_CLIENT = fileURLToPath(new URL('./harness/timing-client.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The mock's p99 timing error may be at most this many times the bare server's, same run. */
const GOAL_RATIO = 1.2;

/** Runs the benchmark and returns its figures. */
export default async function run(): Promise<Record<string, unknown>> {
  const machine = machineLoad();
  const mock = await startChild('mock', {});
  try {
    const timing = await measureTiming(mock);
    return { machine: { ...machine, loadAverage1mAtEnd: machineLoad().loadAverage1m }, timing };
  } finally {
    mock.process.kill();
  }
}

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

async function measureTiming(mock: Child): Promise<Record<string, unknown>> {
  const { encodeChat } = await import('gpt-tokenizer'); // not at the top: the timing client's heap stays small
  const promptTokens = encodeChat(MESSAGES as never, 'gpt-4o').length;
  const configuredTtftMs = TIMED.ttftBaseMs + TIMED.prefillMsPerInputToken * promptTokens;
  const kind = process.env['MOCK_PERF_CLIENT'] === 'http' ? 'http' : 'raw';
  const bare = await startBareStream(mock, configuredTtftMs);
  let rounds: Rounds;
  try {
    rounds = await runRounds(mock, bare, configuredTtftMs, kind);
  } finally {
    bare.process.kill();
  }
  const newPromptFailures = await rounds.arrivals;
  // the extra round's sends: its streams' tokens (the client has finished) and the new prompts'
  // 20 whole answers (all answered now)
  const latenessAfterBusy = await latenessCounts(mock.url);
  const serverTtft = await serverTtftErrors(mock.url, rounds.report, configuredTtftMs);
  return timingFigures({ ...rounds, newPromptFailures, latenessAfterBusy, serverTtft, configuredTtftMs });
}

/** A bare node:http server replaying the bytes of one of the mock's own streams (one timed call, ~1.7 s) on the configured schedule. */
async function startBareStream(mock: Child, configuredTtftMs: number): Promise<Child> {
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
  return startChild('bare-stream', {
    headers: sampleHeaders,
    tokenEvents: events.slice(0, lastToken + 1),
    tail: events.slice(lastToken + 1).join(''),
    ttftMs: configuredTtftMs,
    itlMs: TIMED.itlMs,
  } satisfies BareStreamPayload);
}

/** What the client's rounds gave: its report, both servers' garbage, and the extra round's new prompts' failures (to come). */
interface Rounds {
  report: ClientReport;
  garbage: [GarbageFigures, GarbageFigures] | undefined;
  arrivals: Promise<number>;
}

/** Runs the timing client against both servers (see timing-client.ts), metering their garbage over the measured rounds. */
async function runRounds(mock: Child, bare: Child, configuredTtftMs: number, kind: 'raw' | 'http'): Promise<Rounds> {
  // the extra round's new long prompts are sent from this process, not from the timing client,
  // whose event loop must stay free to timestamp its reads
  const newPromptBodies = Array.from({ length: NEW_PROMPTS }, (_, i) =>
    JSON.stringify({ model: ZERO_MODEL, max_tokens: 1, messages: [{ role: 'user', content: newPrompt(i) }] }),
  );
  let arrivals: Promise<number> = Promise.resolve(NaN);
  // both servers' garbage over the measured rounds (each is idle while the other's round runs)
  let garbage: Promise<[GarbageFigures, GarbageFigures]> | undefined;
  const report = await runClientChild(
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
  return { report, garbage: await garbage, arrivals }; // the garbage before the bare server goes
}

/**
 * The server's own view: when it actually wrote the first token (ledger ttftMs), without the
 * client's and the network's share (rows of the timed streams of the measured rounds: the extra
 * round's come after them).
 */
async function serverTtftErrors(url: string, report: ClientReport, configuredTtftMs: number): Promise<number[]> {
  const ledger = (await (await fetch(`${url}/v1/ledger`)).json()) as { rows: { model: string; ttftMs: number | null; outcome: string }[] };
  return ledger.rows
    .filter((r) => r.model === TIMED_MODEL && r.outcome === 'ok' && r.ttftMs !== null)
    .slice(0, report.rounds * report.streams)
    .map((r) => Math.abs(r.ttftMs! - configuredTtftMs));
}

interface TimingInputs extends Omit<Rounds, 'arrivals'> {
  newPromptFailures: number;
  latenessAfterBusy: Awaited<ReturnType<typeof latenessCounts>>;
  serverTtft: number[];
  configuredTtftMs: number;
}

function timingFigures({ report, garbage, newPromptFailures, latenessAfterBusy, serverTtft, configuredTtftMs }: TimingInputs): Record<string, unknown> {
  const [mockGarbage, bareGarbage] = garbage ?? [];
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
    /**
     * The goal (issue 19): the mock's pooled p99 timing error at most GOAL_RATIO × the bare
     * server's, same client, same run, rounds interleaved.
     */
    ratioToBare: {
      ttft: round3(report.mock.ttftAbsErrorMs['p99']! / report.bare.ttftAbsErrorMs['p99']!),
      gap: round3(report.mock.gapAbsErrorMs['p99']! / report.bare.gapAbsErrorMs['p99']!),
      goal: GOAL_RATIO,
    },
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
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', TIMING_CLIENT], {
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

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(await run(), null, 2));
