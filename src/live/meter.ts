/**
 * What a live run measures about itself while it goes: each request's send lag (how late it
 * reached the wire) and a running view of throughput, end-to-end latency, errors and send lag
 * for the progress display.
 *
 * Send lag of a request = how late its arrival ran on the run's loop (`arrival`) + how long its
 * first call then took to reach a connection on the send thread (`dispatch`). Waiting in the
 * executor's queue or in earlier in-process steps is not the generator's lag and is not counted.
 * A request that never makes an HTTP call (a cache hit) counts its arrival lag alone.
 */
import { LatencyHistogram } from '../metrics/histogram.ts';
import type { Percentiles } from '../results/schema.ts';

/** The running figures shown while a live run goes (scenario ms unless named wall). */
export interface LiveProgress {
  configuration: string;
  /** Requests finished / planned. */
  done: number;
  total: number;
  /** Requests finished per wall second over the last window. */
  requestsPerS: number;
  /** End-to-end latency p95 of the requests finished in the last window (scenario ms; NaN when none). */
  e2eP95Ms: number;
  /** Failed requests so far. */
  errors: number;
  /** Send lag p99 over the last window, wall ms (NaN when none). */
  sendLagP99WallMs: number;
  timeScale: number;
}

/** The window the running figures cover (wall ms). */
const WINDOW_MS = 5_000;

/** p-quantile of an unsorted sample (nearest rank); NaN when empty. */
function quantileOf(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** One wall second of finished requests. */
interface Bucket {
  atWallMs: number;
  finished: number;
  e2e: number[];
  lagsWall: number[];
}

/** Send lag and running progress of one live configuration. */
export class LiveMeter {
  private readonly sendLag = new LatencyHistogram();
  /** Every request's send lag, for the late-start share of the validity records. */
  readonly lags: number[] = [];
  /** Arrival lag of requests whose first call has not gone out yet, by request id. */
  private readonly waiting = new Map<number, number>();
  private errors = 0;
  private done = 0;
  private buckets: Bucket[] = [];

  constructor(
    private readonly timeScale: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The request's arrival ran `lagMs` (scenario ms) after its scheduled time. */
  arrival(lagMs: number, jobId: number): void {
    this.waiting.set(jobId, Math.max(0, lagMs));
  }

  /** One of the request's calls reached a connection `dispatchLagMs` after it was made; the first call decides. */
  dispatch(jobId: number, dispatchLagMs: number): void {
    const arrival = this.waiting.get(jobId);
    if (arrival === undefined) return;
    this.waiting.delete(jobId);
    this.lag(arrival + Math.max(0, dispatchLagMs));
  }

  /** The request finished (`ok` false: failed). */
  finished(jobId: number, arrivalMs: number, ok: boolean, endMs: number): void {
    const arrival = this.waiting.get(jobId);
    if (arrival !== undefined) {
      this.waiting.delete(jobId);
      this.lag(arrival);
    }
    this.done++;
    if (!ok) this.errors++;
    const b = this.bucket();
    b.finished++;
    b.e2e.push(endMs - arrivalMs);
  }

  private lag(ms: number): void {
    this.sendLag.record(ms);
    this.lags.push(ms);
    this.bucket().lagsWall.push(ms / this.timeScale);
  }

  private bucket(): Bucket {
    const now = this.now();
    let b = this.buckets[this.buckets.length - 1];
    if (b === undefined || now - b.atWallMs >= 1_000) {
      b = { atWallMs: now, finished: 0, e2e: [], lagsWall: [] };
      this.buckets.push(b);
      while (this.buckets.length > 0 && now - this.buckets[0]!.atWallMs > WINDOW_MS) this.buckets.shift();
    }
    return b;
  }

  /** Send lag percentiles over the whole run (scenario ms); call once every request has finished. */
  sendLagPercentiles(): Percentiles {
    return this.sendLag.percentiles();
  }

  /** The running figures now. */
  progress(configuration: string, total: number): LiveProgress {
    const now = this.now();
    const recent = this.buckets.filter((b) => now - b.atWallMs <= WINDOW_MS);
    const span = recent.length === 0 ? 1 : Math.max(1_000, now - recent[0]!.atWallMs);
    const finished = recent.reduce((a, b) => a + b.finished, 0);
    return {
      configuration,
      done: this.done,
      total,
      requestsPerS: (finished * 1000) / span,
      e2eP95Ms: quantileOf(
        recent.flatMap((b) => b.e2e),
        0.95,
      ),
      errors: this.errors,
      sendLagP99WallMs: quantileOf(
        recent.flatMap((b) => b.lagsWall),
        0.99,
      ),
      timeScale: this.timeScale,
    };
  }
}

/** One line of running figures, as the progress display shows it. */
export function progressLine(p: LiveProgress): string {
  const ms = (v: number) => (Number.isNaN(v) ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
  const errorShare = p.done === 0 ? 0 : (100 * p.errors) / p.done;
  return (
    `${p.requestsPerS.toFixed(0)} req/s · p95 e2e ${ms(p.e2eP95Ms)}${p.timeScale === 1 ? '' : ' (scenario)'} · ` +
    `errors ${p.errors} (${errorShare.toFixed(1)}%) · send lag p99 ${ms(p.sendLagP99WallMs)} wall`
  );
}
