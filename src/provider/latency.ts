/**
 * The latency model shared by the simulator and the mock server: TTFT (base + prefill per
 * uncached input token), then output tokens at the inter-token latency, everything slowed by
 * `1 + slowdownAtCap * inFlight / concurrencyCap` while the server is busy.
 */
import type { ModelLatency } from './catalog.ts';
import type { Rng } from '../core/random.ts';

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
  const gap = latency.itlMs * (1 + latency.itlCv * rng.normal());
  return Math.max(latency.itlMs * 0.1, gap) * loadFactor(latency, inFlight);
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
