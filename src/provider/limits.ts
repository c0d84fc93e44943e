/**
 * Capacity of one model's endpoint: rate limits (requests and tokens per window, as token
 * buckets that refill continuously, like OpenAI's) and the concurrency cap with its FIFO queue.
 * The one rate-limit model of the provider: mock-llm answers 429 with it on the real clock, and
 * the simulator refuses calls with it on the virtual clock.
 */

/** Rate limits of one model, enforced with token buckets that refill continuously over `windowMs`. */
export interface RateLimits {
  /** Requests allowed per window (OpenAI's RPM when the window is a minute). */
  requestsPerMinute?: number;
  /** Tokens allowed per window: prompt tokens plus the requested max output (OpenAI's TPM estimate). */
  tokensPerMinute?: number;
  /**
   * Length of the window the limits refer to; shorten it in tests (1 RPM over 200 ms).
   * @default 60000
   */
  windowMs?: number;
}

/**
 * The limits of a scenario's per-model faults (per minute of scenario time; a run played
 * `timeScale`× faster refills that much faster), or undefined when it sets none.
 */
export function perMinuteLimits(
  f: { requestsPerMinute?: number | undefined; tokensPerMinute?: number | undefined } | undefined,
  timeScale = 1,
): Required<RateLimits> | undefined {
  if (f === undefined || (f.requestsPerMinute === undefined && f.tokensPerMinute === undefined)) return undefined;
  return { requestsPerMinute: f.requestsPerMinute ?? Infinity, tokensPerMinute: f.tokensPerMinute ?? Infinity, windowMs: 60_000 / timeScale };
}

/** Shortfall (as a share of the capacity) below which a bucket counts as refilled: float rounding, not a wait. */
const REFILL_EPSILON = 1e-9;

/** What to tell a request that can never fit (larger than the token limit) to wait: the retry-after it gets. */
export const TOO_LARGE_RETRY_AFTER_MS = 60_000;

/** A bucket of `capacity` units refilled at `capacity / windowMs` per millisecond. */
class Bucket {
  private level: number;
  private at: number;

  constructor(
    readonly capacity: number,
    private readonly windowMs: number,
    nowMs: number,
  ) {
    this.level = capacity;
    this.at = nowMs;
  }

  /** Units available now. */
  available(nowMs: number): number {
    if (this.capacity === Infinity) return Infinity;
    this.level = Math.min(this.capacity, this.level + ((nowMs - this.at) * this.capacity) / this.windowMs);
    this.at = nowMs;
    return this.level;
  }

  /** Milliseconds until `units` are available (Infinity when they never fit). */
  waitMs(units: number, nowMs: number): number {
    if (units > this.capacity) return Infinity;
    const missing = units - this.available(nowMs);
    // refilled exactly at the instant a wait ended: rounding must not leave it 1e-16 short
    return missing <= REFILL_EPSILON * this.capacity ? 0 : (missing * this.windowMs) / this.capacity;
  }

  take(units: number): void {
    this.level -= units;
  }

  /** Milliseconds until the bucket is full again. */
  resetMs(nowMs: number): number {
    if (this.capacity === Infinity) return 0;
    return ((this.capacity - this.available(nowMs)) * this.windowMs) / this.capacity;
  }
}

/** The verdict of a rate-limit check. */
export type RateDecision =
  | { allowed: true; headers: Record<string, string> }
  | { allowed: false; limit: 'requests' | 'tokens'; retryAfterMs: number; headers: Record<string, string>; message: string };

/** Request and token buckets of one model. */
export class RateLimiter {
  private readonly requests: Bucket;
  private readonly tokens: Bucket;

  constructor(
    private readonly model: string,
    limits: Required<RateLimits>,
    nowMs: number,
  ) {
    this.requests = new Bucket(limits.requestsPerMinute, limits.windowMs, nowMs);
    this.tokens = new Bucket(limits.tokensPerMinute, limits.windowMs, nowMs);
  }

  /**
   * Takes one request and `tokens` tokens when both are available and returns 0; otherwise takes
   * nothing and returns the milliseconds until both will be (Infinity: the tokens never fit).
   * Allocates nothing: the simulator calls it on every LLM call.
   */
  tryTake(tokens: number, nowMs: number): number {
    const reqWait = this.requests.waitMs(1, nowMs);
    const tokWait = this.tokens.waitMs(tokens, nowMs);
    if (reqWait === 0 && tokWait === 0) {
      this.requests.take(1);
      this.tokens.take(tokens);
      return 0;
    }
    return Math.max(reqWait, tokWait);
  }

  /** As `tryTake`, with the verdict spelled out as OpenAI does: headers, which limit, a message. */
  check(tokens: number, nowMs: number): RateDecision {
    const retryAfterMs = this.tryTake(tokens, nowMs);
    if (retryAfterMs === 0) return { allowed: true, headers: this.headers(nowMs) };
    const limit = this.requests.waitMs(1, nowMs) >= this.tokens.waitMs(tokens, nowMs) ? 'requests' : 'tokens';
    const bucket = limit === 'requests' ? this.requests : this.tokens;
    const used = limit === 'requests' ? 1 : tokens;
    const message =
      retryAfterMs === Infinity
        ? `Request too large for ${this.model}: Limit ${bucket.capacity}, Requested ${used} tokens. Please reduce the prompt or max_tokens.`
        : `Rate limit reached for ${this.model} on ${limit} per min: Limit ${bucket.capacity}, Used ${Math.ceil(bucket.capacity - bucket.available(nowMs))}, Requested ${used}. Please try again in ${formatDuration(retryAfterMs)}.`;
    return { allowed: false, limit, retryAfterMs, headers: this.headers(nowMs), message };
  }

  private headers(nowMs: number): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.requests.capacity !== Infinity) {
      h['x-ratelimit-limit-requests'] = String(this.requests.capacity);
      h['x-ratelimit-remaining-requests'] = String(Math.max(0, Math.floor(this.requests.available(nowMs))));
      h['x-ratelimit-reset-requests'] = formatDuration(this.requests.resetMs(nowMs));
    }
    if (this.tokens.capacity !== Infinity) {
      h['x-ratelimit-limit-tokens'] = String(this.tokens.capacity);
      h['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(this.tokens.available(nowMs))));
      h['x-ratelimit-reset-tokens'] = formatDuration(this.tokens.resetMs(nowMs));
    }
    return h;
  }
}

/** OpenAI's duration style: "20ms", "1.5s", "6m0s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '60m0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** One waiter of the concurrency queue. */
export interface SlotWaiter {
  /** Called once the slot is granted. */
  grant(): void;
  /** Set when the waiter gave up; the queue skips it. */
  cancelled: boolean;
}

/** A counting semaphore with a FIFO queue: at most `cap` requests run, the rest wait in order. */
export class ConcurrencyGate {
  private running = 0;
  private queue: (SlotWaiter | undefined)[] = [];
  private queueHead = 0;
  private waiting = 0;

  constructor(private readonly cap: number) {}

  /** Requests holding a slot. */
  inFlight(): number {
    return this.running;
  }

  /** Requests waiting for a slot. */
  queued(): number {
    return this.waiting;
  }

  /** Takes a slot when one is free and nobody waits. */
  tryAcquire(): boolean {
    if (this.running < this.cap && this.waiting === 0) {
      this.running++;
      return true;
    }
    return false;
  }

  /** Queues a waiter; `grant` is called when its turn comes. */
  enqueue(waiter: SlotWaiter): void {
    this.queue.push(waiter);
    this.waiting++;
  }

  /** Removes a queued waiter (client gone). */
  cancel(waiter: SlotWaiter): void {
    if (!waiter.cancelled) {
      waiter.cancelled = true;
      this.waiting--;
    }
  }

  /** Frees a slot and hands it to the next live waiter. */
  release(): void {
    this.running--;
    while (this.running < this.cap && this.queueHead < this.queue.length) {
      const next = this.queue[this.queueHead];
      this.queue[this.queueHead++] = undefined;
      if (next === undefined || next.cancelled) continue;
      next.cancelled = true; // no longer cancellable: it holds a slot
      this.waiting--;
      this.running++;
      next.grant();
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }
}
