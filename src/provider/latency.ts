/**
 * The latency model shared by the simulator and the mock server: TTFT (base + prefill per
 * uncached input token), then output tokens at the inter-token latency, everything slowed by
 * `1 + slowdownAtCap * inFlight / concurrencyCap` while the server is busy.
 */
import type { ModelLatency } from './catalog.ts';
import { mix32, Rng } from '../core/random.ts';

/** Latency multiplier with `inFlight` requests running on the server (the request itself included). */
export function loadFactor(latency: ModelLatency, inFlight: number): number {
  const fill = Math.min(inFlight, latency.concurrencyCap) / latency.concurrencyCap;
  return 1 + latency.slowdownAtCap * fill;
}

/** Mean TTFT for a prompt of `uncachedInputTokens` on an idle server. */
export function meanTtftMs(latency: ModelLatency, uncachedInputTokens: number): number {
  return latency.ttftBaseMs + latency.prefillMsPerInputToken * uncachedInputTokens;
}

/** One draw of TTFT (lognormal around the mean, scaled by load). */
export function sampleTtftMs(latency: ModelLatency, uncachedInputTokens: number, inFlight: number, rng: Rng): number {
  return rng.lognormal(meanTtftMs(latency, uncachedInputTokens), latency.ttftCv) * loadFactor(latency, inFlight);
}

/** One inter-token gap (normal around `itlMs`, never below a tenth of it), scaled by load. */
export function sampleGapMs(latency: ModelLatency, inFlight: number, rng: Rng): number {
  return idleGapMs(latency, rng) * loadFactor(latency, inFlight);
}

/** One inter-token gap on an idle server. */
function idleGapMs(latency: ModelLatency, rng: Rng): number {
  const gap = latency.itlMs * (1 + latency.itlCv * rng.normal());
  return Math.max(latency.itlMs * 0.1, gap);
}

/** Inter-token gaps drawn per answer for the ITL distribution (`sampleAnswerGaps`). */
export const ITL_SAMPLES_PER_CALL = 8;
const answerGapRng = new Rng(0);
const answerGaps = new Float64Array(ITL_SAMPLES_PER_CALL);

/**
 * An answer's inter-token gaps for the ITL distribution, without a draw per token: a few gaps
 * drawn from the per-token model (`sampleGapMs`, same load), rescaled so their mean is the
 * answer's decode time ÷ its gaps (so ITL's mean agrees with TPOT, as it does live), each given
 * to `sink` with the weight of the gaps it stands for. Drawn from a generator of their own,
 * seeded by `seed` (as `new Rng(mix32(seed ^ 0x17a50001))`), so the call's other draws are not
 * moved by them. Allocates nothing.
 */
export function sampleAnswerGaps(
  sink: (gapMs: number, count: number) => void,
  latency: ModelLatency,
  outputTokens: number,
  decodeMs: number,
  inFlight: number,
  seed: number,
): void {
  const gaps = outputTokens - 1;
  if (gaps <= 0) return;
  const k = Math.min(gaps, ITL_SAMPLES_PER_CALL);
  const rng = answerGapRng.reseed(mix32(seed ^ 0x17a5_0001));
  const load = loadFactor(latency, inFlight);
  const drawn = answerGaps;
  let sum = 0;
  for (let i = 0; i < k; i++) sum += drawn[i] = idleGapMs(latency, rng) * load;
  const scale = sum > 0 ? decodeMs / gaps / (sum / k) : 0;
  const each = Math.floor(gaps / k);
  for (let i = 0; i < k; i++) sink(drawn[i]! * scale, each + (i < gaps - each * k ? 1 : 0));
}

/**
 * Time to decode `outputTokens` after the first: the sum of `outputTokens - 1` gaps. The
 * simulator draws the sum at once from its normal approximation (mean n·itl, sd √n·itl·cv)
 * instead of n draws; the mock server draws each gap with `sampleGapMs`.
 */
export function sampleDecodeMs(latency: ModelLatency, outputTokens: number, inFlight: number, rng: Rng): number {
  const gaps = outputTokens - 1;
  if (gaps <= 0 || latency.itlMs === 0) return 0;
  const mean = gaps * latency.itlMs;
  const sd = Math.sqrt(gaps) * latency.itlMs * latency.itlCv;
  return Math.max(mean * 0.1, mean + sd * rng.normal()) * loadFactor(latency, inFlight);
}
