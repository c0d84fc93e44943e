/**
 * `bench calibrate`'s measurement: a designed grid of prompt lengths × output lengths, run at
 * each concurrency level against an OpenAI-compatible endpoint with streaming, bounded in
 * requests and time. A 429 waits for its Retry-After and retries; any other error stops the run.
 */
import { BenchError } from '../core/errors.ts';
import { promptMessages } from '../llm/prompt-text.ts';
import type { CalibrationSample } from '../provider/calibration.ts';

/** Options of a calibration run; defaults in `CALIBRATE_DEFAULTS`. */
export interface CalibrateOptions {
  /** Base URL with /v1. */
  target: string;
  model: string;
  apiKey?: string;
  /** Requests in all, spread evenly over the concurrency levels. @default 60 */
  requests?: number;
  /** @default [1, 4, 16] */
  concurrency?: number[];
  /** @default [128, 1024, 4096] */
  promptTokens?: number[];
  /** @default [32, 128] */
  outputTokens?: number[];
  /** Stop sending new requests after this long. @default 300 */
  maxDurationS?: number;
  /** The endpoint runs k times faster than real (a mock started with `--time-scale k`): measured times are multiplied by k. @default 1 */
  timeScale?: number;
  /** Retries of one request after 429s. @default 5 */
  maxRetries?: number;
  onSample?: (s: CalibrationSample, done: number, total: number) => void;
}

/** Options with every default filled in. */
type Resolved = CalibrateOptions & Required<Omit<CalibrateOptions, 'apiKey' | 'onSample'>>;

/** Defaults of `CalibrateOptions`, defined once. */
export const CALIBRATE_DEFAULTS: Required<Omit<CalibrateOptions, 'apiKey' | 'onSample' | 'target' | 'model'>> = {
  requests: 60,
  concurrency: [1, 4, 16],
  promptTokens: [128, 1024, 4096],
  outputTokens: [32, 128],
  maxDurationS: 300,
  timeScale: 1,
  maxRetries: 5,
};

/** What a calibration run measured, and why it stopped early if it did. */
export interface CalibrateRun {
  samples: CalibrationSample[];
  stoppedBecause: string | null;
  retriedAfter429: number;
}

/** Runs the grid; throws a `BenchError` when the endpoint fails with anything but 429. */
export async function measureEndpoint(options: CalibrateOptions): Promise<CalibrateRun> {
  const o: Resolved = { ...CALIBRATE_DEFAULTS, ...options };
  const deadline = performance.now() + o.maxDurationS * 1000;
  const grid = o.promptTokens.flatMap((p) => o.outputTokens.map((n) => [p, n] as const));
  const perLevel = Math.max(1, Math.floor(o.requests / o.concurrency.length));
  const run: CalibrateRun = { samples: [], stoppedBecause: null, retriedAfter429: 0 };
  let sent = 0;
  // one untimed request first: connection set-up and the endpoint's own warm-up are not latency
  const warm = await oneRequest(o, o.promptTokens[0]!, 2, `calibrate-${process.pid}-warm`, run, deadline);
  if (warm === null) return run;
  for (const c of o.concurrency) {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < perLevel && run.stoppedBecause === null) {
        if (performance.now() > deadline) {
          run.stoppedBecause = `the time budget of ${o.maxDurationS} s ran out after ${run.samples.length} requests`;
          return;
        }
        const [prompt, output] = grid[next++ % grid.length]!;
        const sample = await oneRequest(o, prompt, output, `calibrate-${process.pid}-${sent++}`, run, deadline);
        if (sample === null) return;
        run.samples.push(sample);
        o.onSample?.(sample, run.samples.length, perLevel * o.concurrency.length);
      }
    };
    await Promise.all(Array.from({ length: c }, worker));
    if (run.stoppedBecause !== null) break;
  }
  return run;
}

/** Requests of this driver in flight now: a server serving only us has as many. */
let inFlight = 0;

async function oneRequest(
  o: Resolved,
  prompt: number,
  output: number,
  wording: string,
  run: CalibrateRun,
  deadline: number,
): Promise<CalibrationSample | null> {
  inFlight++;
  try {
    return await attempt(o, prompt, output, wording, run, deadline);
  } finally {
    inFlight--;
  }
}

async function attempt(o: Resolved, prompt: number, output: number, wording: string, run: CalibrateRun, deadline: number): Promise<CalibrationSample | null> {
  const body = JSON.stringify({
    model: o.model,
    messages: promptMessages('calibrate', 0, prompt, wording),
    max_tokens: output,
    stream: true,
    stream_options: { include_usage: true },
  });
  for (let attempt = 0; ; attempt++) {
    const t0 = performance.now();
    const c = inFlight;
    const res = await fetch(`${o.target.replace(/\/$/, '')}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}) },
      body,
    }).catch((err: Error) => {
      throw new BenchError('USAGE', `calibrate: ${o.target} could not be reached: ${err.message}`);
    });
    if (res.status === 429 && attempt < o.maxRetries) {
      const waitMs = retryAfterMs(res.headers.get('retry-after'));
      await res.body?.cancel();
      if (performance.now() + waitMs > deadline) {
        run.stoppedBecause = `rate limited (429) with a Retry-After of ${Math.round(waitMs / 1000)} s past the time budget`;
        return null;
      }
      run.retriedAfter429++;
      await new Promise((r) => setTimeout(r, waitMs));
      continue;
    }
    if (!res.ok) {
      const text = (await res.text()).slice(0, 300);
      throw new BenchError(
        'USAGE',
        `calibrate: ${o.target} answered ${res.status} to a request for ${o.model} (${prompt} prompt tokens, ${output} max tokens); stopped. Body: ${text}`,
      );
    }
    return readStream(res, t0, prompt, c, o.timeScale);
  }
}

/** Retry-After in seconds or as an HTTP date; 1 s when missing or unreadable. */
export function retryAfterMs(header: string | null): number {
  if (header === null) return 1000;
  const s = Number(header);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? 1000 : Math.max(0, at - Date.now());
}

/** Reads an SSE chat stream: times of content chunks, and the usage the last chunk reports. */
async function readStream(res: Response, t0: number, requestedInput: number, c: number, timeScale: number): Promise<CalibrationSample> {
  const times: number[] = [];
  let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
  const decoder = new TextDecoder();
  let carry = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const now = performance.now();
    const lines = (carry + decoder.decode(chunk, { stream: true })).split('\n');
    carry = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
      const event = JSON.parse(line.slice(6)) as { choices?: Array<{ delta?: { content?: string } }>; usage?: typeof usage };
      if (event.usage) usage = event.usage;
      if ((event.choices?.[0]?.delta?.content ?? '') !== '') times.push(now);
    }
  }
  const n = usage?.completion_tokens ?? times.length;
  return {
    inputTokens: usage?.prompt_tokens ?? requestedInput,
    outputTokens: n,
    concurrency: c,
    ttftMs: ((times[0] ?? performance.now()) - t0) * timeScale,
    itlMs: n > 1 && times.length > 1 ? ((times[times.length - 1]! - times[0]!) * timeScale) / (n - 1) : NaN,
  };
}
