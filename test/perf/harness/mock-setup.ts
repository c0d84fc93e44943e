import { round3 } from './stats.ts';

/**
 * What the mock-llm benchmarks (mock-overhead, mock-timing) and their child programs share: the
 * models they configure, the prompt, the timing round's shape, the signals the timing client
 * prints, and the figures it reports.
 */
/** The zero-latency model of the throughput runs. */
export const ZERO_MODEL = 'zero-latency';
export const TIMED_MODEL = 'exact-latency';
/** The configured latency of (b): gpt-4o-like numbers, made exact. */
export const TIMED = { ttftBaseMs: 450, prefillMsPerInputToken: 0.05, itlMs: 12 };
export const MODELS = {
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
/** The prompt of the throughput runs. */
export const MESSAGES = [
  { role: 'system', content: 'You are a helpful assistant for a load test.' },
  { role: 'user', content: 'Write a short paragraph about benchmarking.' },
];

export const STREAMS = Number(process.env['MOCK_PERF_STREAMS'] ?? 500);
/** Streams start 1 ms apart, so all 500 are open together once the last one started. */
export const STREAM_STAGGER_MS = 1;
export const STREAM_TOKENS = 100;
/**
 * Rounds of STREAMS concurrent streams, in one server and one client. A p99 of 500 TTFTs is the
 * fifth-worst stream, so one stall of the machine (a garbage-collector pause, a vCPU that wakes
 * late) decides it; the figures pool the rounds (1,500 TTFTs at 3) and list each round's too.
 */
export const TIMING_ROUNDS = Number(process.env['MOCK_PERF_ROUNDS'] ?? 3);
export const ROUND_PAUSE_MS = 300;
/** The extra round: this many new prompts (never seen by the mock), one every NEW_PROMPT_SPACING_MS. */
export const NEW_PROMPTS = 20;
export const NEW_PROMPT_WORDS = 20_000;
export const NEW_PROMPT_SPACING_MS = 50;

/** What the timing client prints when its measured rounds start and end, and when its extra round starts. */
export const ROUNDS_START_SIGNAL = 'ROUNDS-START';
export const ROUNDS_END_SIGNAL = 'ROUNDS-END';
export const BUSY_SIGNAL = 'BUSY';

/** The timed stream request of (b). */
export function timedBody(): string {
  return JSON.stringify({ model: TIMED_MODEL, messages: MESSAGES, stream: true, max_tokens: STREAM_TOKENS });
}

export interface ClientPayload {
  url: string;
  serverPid: number | undefined;
  bareUrl: string;
  barePid: number | undefined;
  configuredTtftMs: number;
  kind: string;
}

export interface StreamResult {
  ttftErrorMs: number;
  gapErrorsMs: number[];
  tokens: number;
  ok: boolean;
  /** Token events that arrived in the same read as the previous token (gap ~0 at the client). */
  coalesced: number;
}

/** One round's p99s (500 TTFTs, ~50k gaps). */
export interface RoundP99 {
  ttftAbsErrorP99Ms: number;
  gapAbsErrorP99Ms: number;
}

/** A server's figures over its measured rounds (pooled; each round's p99 listed too). */
export interface TargetFigures {
  failedStreams: number;
  ttftAbsErrorMs: Record<string, number>;
  gapAbsErrorMs: Record<string, number>;
  perRound: RoundP99[];
  /** Token events received over the rounds. */
  tokens: number;
  /** Cores the server's process used during its rounds (Linux only; NaN elsewhere). */
  serverCpuCores: number;
}

/** The mock's send-lateness histogram (`mock_llm_send_lateness_seconds` on GET /metrics). */
export interface LatenessCounts {
  /** Upper bounds in ms (the last is Infinity) and cumulative counts. */
  boundsMs: number[];
  cumulative: number[];
}

export interface LatenessFigures {
  sends: number;
  /** Share of sends more than 2 ms late. */
  laterThan2msShare: number;
  /** The smallest histogram bound that at least 99% of sends were within (an upper bound of the p99). */
  p99AtMostMs: number;
}

export async function latenessCounts(url: string): Promise<LatenessCounts> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const boundsMs: number[] = [];
  const cumulative: number[] = [];
  for (const m of text.matchAll(/^mock_llm_send_lateness_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm)) {
    boundsMs.push(m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000);
    cumulative.push(Number(m[2]));
  }
  return { boundsMs, cumulative };
}

/** Figures of the sends counted between two readings of the histogram. */
export function latenessFigures(after: LatenessCounts, before?: LatenessCounts): LatenessFigures {
  const counts = after.cumulative.map((n, i) => n - (before?.cumulative[i] ?? 0));
  const sends = counts.at(-1) ?? 0;
  const within2 = counts[after.boundsMs.indexOf(2)] ?? NaN;
  const p99 = after.boundsMs[counts.findIndex((n) => n >= 0.99 * sends)] ?? NaN;
  return { sends, laterThan2msShare: round3((sends - within2) / sends), p99AtMostMs: p99 };
}

/** What the client child reports. */
export interface ClientReport {
  client: string;
  streams: number;
  rounds: number;
  mock: TargetFigures;
  bare: TargetFigures;
  /** The extra round with new long prompts arriving meanwhile (mock only). */
  withNewLongPrompts: {
    newPrompts: number;
    wordsEach: number;
    failedStreams: number;
    ttftAbsErrorMs: Record<string, number>;
    gapAbsErrorMs: Record<string, number>;
  };
  /** The mock's lateness histogram after the measured rounds (reset after the warm-up). */
  latenessAfterRounds: LatenessCounts;
  peakConcurrentStreams: number;
  coalescedTokenEvents: number;
  clientCpuCores: number;
  clientEventLoopDelayP99Ms: number;
}
