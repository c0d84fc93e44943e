/**
 * Fitting the catalog's latency parameters to measurements of a real endpoint, by regression:
 * the slowdown with concurrency from inter-token latency against requests in flight, then TTFT
 * (divided by that slowdown) against prompt length for the base and the prefill per token, and
 * the spreads from what is left (see itlSpread for the gaps'). The result is an overlay in the catalog's own shape.
 */
import { linearRegression, linearRegressionLine, rSquared } from 'simple-statistics';
import { round } from '../core/round.ts';
import type { ModelInput, ModelLatency, ModelSpec } from './catalog.ts';

/** One measured request. */
export interface CalibrationSample {
  /** Prompt tokens as the endpoint counted them. */
  inputTokens: number;
  /** Output tokens received. */
  outputTokens: number;
  /** Requests the driver had in flight when this one was sent (itself included). */
  concurrency: number;
  ttftMs: number;
  /** Mean gap between tokens after the first ((last − first) / (n − 1)); NaN with one token. */
  itlMs: number;
}

/** How well one regression fits. */
export interface FitQuality {
  r2: number;
  /** Residuals (measured − fitted), ms: their mean absolute value and their largest. */
  meanAbsResidualMs: number;
  maxAbsResidualMs: number;
  samples: number;
}

/** What `bench calibrate` records beside the fitted numbers. */
export interface CalibrationRecord {
  target: string;
  at: string;
  requests: number;
  ttft: FitQuality;
  itl: FitQuality;
  /** Parameters kept from the base model because the grid cannot identify them. */
  keptFromBase: string[];
}

/** An overlay file: `Record<id, ModelInput>`, loadable by `bench mock --models` and a scenario's `models`. */
export type CalibrationOverlay = Record<string, ModelInput & { calibration: CalibrationRecord }>;

/** Fits the latency of `model` (starting from `base`) to the samples. */
export function fitLatency(samples: CalibrationSample[], base: ModelSpec): { latency: ModelLatency; ttft: FitQuality; itl: FitQuality } {
  const withItl = samples.filter((s) => Number.isFinite(s.itlMs) && s.outputTokens > 1);
  if (samples.length < 3 || withItl.length < 3) throw new Error(`too few usable measurements (${samples.length}, ${withItl.length} with 2+ tokens) to fit`);
  const cap = base.latency.concurrencyCap;
  // ITL = itl · (1 + slowdownAtCap · c / cap): a line in c
  const itlPoints = withItl.map((s) => [Math.min(s.concurrency, cap), s.itlMs] as [number, number]);
  const concurrencies = new Set(itlPoints.map((p) => p[0]));
  const itlLine = concurrencies.size > 1 ? linearRegression(itlPoints) : { m: 0, b: mean(itlPoints.map((p) => p[1])) };
  const perRequest = itlLine.m / itlLine.b;
  const itlMs = itlLine.b;
  const slowdownAtCap = Math.max(0, perRequest * cap);
  const load = (c: number) => 1 + (slowdownAtCap * Math.min(c, cap)) / cap;
  // TTFT / load = base + prefill · input: a line in input tokens
  const ttftPoints = samples.map((s) => [s.inputTokens, s.ttftMs / load(s.concurrency)] as [number, number]);
  const ttftLine = linearRegression(ttftPoints);
  const ttftFit = linearRegressionLine(ttftLine);
  const ttftRatios = samples.map((s) => s.ttftMs / (load(s.concurrency) * ttftFit(s.inputTokens)));
  const latency: ModelLatency = {
    ...base.latency,
    ttftBaseMs: round(Math.max(0, ttftLine.b), 2),
    prefillMsPerInputToken: round(Math.max(0, ttftLine.m), 5),
    ttftCv: round(lognormalCv(ttftRatios), 4),
    itlMs: round(itlMs, 3),
    itlCv: round(itlSpread(withItl, itlMs, load), 4),
    slowdownAtCap: round(slowdownAtCap, 4),
  };
  return {
    latency,
    ttft: quality(ttftPoints, ttftFit),
    itl: quality(itlPoints, linearRegressionLine(itlLine)),
  };
}

/**
 * The cv of a lognormal from draws of it (here measured ÷ fitted TTFT): the sd σ of their logs
 * (the maximum-likelihood estimate, steadier than the draws' own sd, which the lognormal's
 * long right tail makes noisy), as the cv √(e^σ² − 1) that `Rng.lognormal` takes.
 */
function lognormalCv(ratios: number[]): number {
  const logs = ratios.filter((r) => r > 0).map(Math.log);
  if (logs.length < 2) return 0;
  return Math.sqrt(Math.expm1(sd(logs) ** 2));
}

/**
 * The ITL spread (cv of one gap) from each request's whole decode time rather than from the
 * gaps between chunks: n − 1 independent gaps of sd σ sum to a time of sd √(n − 1)·σ, so
 * σ² is the mean of (decode − (n − 1)·itl)² / (n − 1) over the requests. Chunk gaps would read
 * as 0 wherever the endpoint (or a late client) delivers several tokens in one chunk, and every
 * late wake-up of the client would add to two gaps; a whole decode time is touched only at its
 * two ends.
 */
function itlSpread(samples: CalibrationSample[], itlMs: number, load: (c: number) => number): number {
  let sum = 0;
  for (const s of samples) {
    const gaps = s.outputTokens - 1;
    const decodeMs = (s.itlMs * gaps) / load(s.concurrency);
    sum += (decodeMs - gaps * itlMs) ** 2 / gaps;
  }
  return itlMs > 0 && samples.length > 1 ? Math.sqrt(sum / (samples.length - 1)) / itlMs : 0;
}

function quality(points: Array<[number, number]>, line: (x: number) => number): FitQuality {
  const residuals = points.map(([x, y]) => y - line(x));
  const r2 = points.length > 1 && new Set(points.map((p) => p[1])).size > 1 ? rSquared(points, line) : 1;
  return {
    r2: round(r2, 4),
    meanAbsResidualMs: round(mean(residuals.map(Math.abs)), 3),
    maxAbsResidualMs: round(Math.max(...residuals.map(Math.abs)), 3),
    samples: points.length,
  };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function sd(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, xs.length - 1));
}

/**
 * The overlay file for `model`: its fitted latency over `base` (the catalog's entry of the same
 * id, or the model it `extends`), with the fit's R² and residuals under `calibration`.
 */
export function calibrationOverlay(
  model: string,
  base: ModelSpec,
  fit: ReturnType<typeof fitLatency>,
  record: Omit<CalibrationRecord, 'ttft' | 'itl' | 'keptFromBase'>,
): CalibrationOverlay {
  return {
    [model]: {
      ...(base.id !== model ? { extends: base.id } : {}),
      latency: fit.latency,
      calibration: { ...record, ttft: fit.ttft, itl: fit.itl, keptFromBase: ['concurrencyCap'] },
    },
  };
}
