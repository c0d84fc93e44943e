/**
 * Seeded randomness. Every random draw in the harness comes from an `Rng` passed down from a
 * seed, never from `Math.random`, so the same scenario and seed give the same numbers bit for bit.
 */

/** 32-bit FNV-1a hash of a string, mixed; stable across runs and platforms. */
export function hashString(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** A 32-bit integer finaliser (murmur3 fmix32): spreads close inputs over the whole range. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A fast seeded generator (xoshiro128**) with the draws the workload and latency models need. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /**
   * Box–Muller's second normal, valid while `hasSpare`: a number field that never holds
   * `undefined`, so V8 keeps it an unboxed double (a field mixing the two boxes every store).
   */
  private spareNormal = 0;
  private hasSpare = false;
  /** `lognormal`'s last cv and the σ² and σ derived from it (the same cv comes call after call). */
  private lastCv = NaN;
  private lastSigma2 = 0;
  private lastSigma = 0;

  constructor(seed: number | string) {
    this.a = this.b = this.c = this.d = 1;
    this.reseed(typeof seed === 'string' ? hashString(seed) : seed);
  }

  /**
   * Restarts this generator as `new Rng(seed)` would start (the same draws from here on), for a
   * hot path that would otherwise allocate a generator per call.
   */
  reseed(seed: number): this {
    const s = seed >>> 0;
    // splitmix32 expands the one seed into four non-zero words of state
    // the state words are kept as signed 32-bit integers (the same bits): V8 then stores them as
    // small integers in the object, not as boxed doubles (a new generator per call stays small)
    this.a = mix32((s + 0x9e3779b9) >>> 0) | 0 || 1;
    this.b = mix32((s + 0x3c6ef372) >>> 0) | 0 || 1;
    this.c = mix32((s + 0xdaa66d2b) >>> 0) | 0 || 1;
    this.d = mix32((s + 0x78dde6e4) >>> 0) | 0 || 1;
    this.hasSpare = false;
    return this;
  }

  /** A generator whose stream depends on this one's seed and `label` only (not on draws made so far). */
  static derive(seed: number, label: string): Rng {
    return new Rng(hashString(label, seed));
  }

  /** A generator in this one's state: it draws the same numbers this one will draw next. */
  clone(): Rng {
    const r = new Rng(0);
    r.a = this.a;
    r.b = this.b;
    r.c = this.c;
    r.d = this.d;
    r.spareNormal = this.spareNormal;
    r.hasSpare = this.hasSpare;
    return r;
  }

  /** Uniform in [0, 1). */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller, the spare kept for the next call). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spareNormal;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const theta = 2 * Math.PI * this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(theta);
    this.hasSpare = true;
    return r * Math.cos(theta);
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Lognormal with the given mean and coefficient of variation (sd / mean). */
  lognormal(mean: number, cv: number): number {
    if (cv <= 0) return mean;
    if (cv !== this.lastCv) {
      this.lastCv = cv;
      this.lastSigma2 = Math.log(1 + cv * cv);
      this.lastSigma = Math.sqrt(this.lastSigma2);
    }
    const mu = Math.log(mean) - this.lastSigma2 / 2;
    return Math.exp(mu + this.lastSigma * this.normal());
  }
}

/** Rotates a 32-bit word left by k (a signed 32-bit result). */
function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
