/** Per-interval series over the run: counts, sums, and time-weighted levels (queue depth, workers). */

/** Counts or sums per interval. */
export class IntervalCounter {
  readonly values: number[] = [];

  constructor(private readonly intervalMs: number) {}

  add(tMs: number, amount = 1): void {
    const i = Math.floor(tMs / this.intervalMs);
    while (this.values.length <= i) this.values.push(0);
    this.values[i]! += amount;
  }
}

/**
 * A level that changes at instants (queue depth, serving workers, busy workers): its
 * time-weighted integral and its maximum per interval.
 */
export class Level {
  private value = 0;
  private since = 0;
  readonly integral: number[] = [];
  readonly max: number[] = [];

  constructor(private readonly intervalMs: number) {}

  get current(): number {
    return this.value;
  }

  set(tMs: number, value: number): void {
    this.flush(tMs);
    this.value = value;
    this.touchMax(tMs);
  }

  add(tMs: number, delta: number): void {
    this.set(tMs, this.value + delta);
  }

  /** Accounts the level up to `tMs` (call at the end of the run). */
  flush(tMs: number): void {
    let t = this.since;
    const iv = this.intervalMs;
    while (t < tMs) {
      const i = Math.floor(t / iv);
      const end = Math.min(tMs, (i + 1) * iv);
      this.grow(i);
      this.integral[i]! += this.value * (end - t);
      if (this.value > this.max[i]!) this.max[i] = this.value;
      t = end;
    }
    this.since = Math.max(this.since, tMs);
  }

  /** Integral over [0, tMs] (after `flush(tMs)`). */
  total(): number {
    let s = 0;
    for (const v of this.integral) s += v;
    return s;
  }

  private touchMax(tMs: number): void {
    const i = Math.floor(tMs / this.intervalMs);
    this.grow(i);
    if (this.value > this.max[i]!) this.max[i] = this.value;
  }

  private grow(i: number): void {
    while (this.integral.length <= i) {
      this.integral.push(0);
      this.max.push(0);
    }
  }
}
