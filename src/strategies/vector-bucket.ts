/**
 * A memory store's bucket (cache-store.ts): its entries in the order they were stored, their store
 * times and, in a store searched by similarity, their vectors side by side, so a scan reads a few
 * arrays instead of following node → entry → value → vector for every entry. Plain arrays of
 * doubles (on the heap, grown in place), not typed arrays: a Float64Array of this size is an
 * off-heap allocation each time a bucket grows.
 *
 * The similarity search is exact and prunes with a bound. A dot product runs in index order (so it
 * is `cosine` to the bit) and stops at two checkpoints, half and three quarters of the way, to ask
 * whether it can still reach the similarity a match needs: by Cauchy–Schwarz the terms left add at
 * most ‖query's tail‖ · ‖vector's tail‖, both norms known (the entry's kept from when it was
 * stored). An entry that cannot reach the needed similarity, with a margin far above the sum's
 * rounding error, cannot be the match, and the rest of its vector is never read. On a semantic
 * cache's prompts (one topic per bucket, other intents at cosine ≈ 0.5–0.8) most entries stop
 * at a checkpoint.
 */

/** Slack on the bound, relative to ‖query‖ · ‖vector‖ (a 64-term sum's rounding error is ~1e-14 of it). */
const MARGIN = 1e-9;

/** What a search knows of its query: the vector and the norms of its whole, and of its tails at the checkpoints. */
export interface Query {
  vector: ArrayLike<number>;
  norm: number;
  tail1: number;
  tail2: number;
}

/** One bucket's entries (`N`: the store's node), store times and, when `width` > 0, vectors and their norms. */
export class VectorBucket<N> {
  readonly nodes: N[] = [];
  /** When each entry was stored. */
  readonly storedAt: number[] = [];
  /** Entry i's vector at [i·width, (i + 1)·width). */
  private readonly vectors: number[] = [];
  /** Entry i's ‖v‖, ‖v[c1:]‖, ‖v[c2:]‖ at [3i, 3i + 3). */
  private readonly norms: number[] = [];
  /** The checkpoints: after c1 and after c2 terms. */
  private readonly c1: number;
  private readonly c2: number;

  /** `width`: the length of every vector (0: no vectors kept). */
  constructor(readonly width: number) {
    this.c1 = width >> 1;
    this.c2 = (3 * width) >> 2;
  }

  add(node: N, storedAtMs: number, vector: ArrayLike<number> | undefined): void {
    this.nodes.push(node);
    this.storedAt.push(storedAtMs);
    const w = this.width;
    if (w === 0) return;
    if (vector?.length !== w) throw new Error(`a vector-indexed bucket holds vectors of ${w} numbers, not ${vector?.length}`);
    const v = this.vectors;
    for (let k = 0; k < w; k++) v.push(vector[k]!);
    this.norms.push(tailNorm(vector, 0), tailNorm(vector, this.c1), tailNorm(vector, this.c2));
  }

  /** Removes a node, keeping the others' order (as a Set's delete does). */
  delete(node: N): void {
    const i = this.nodes.indexOf(node);
    if (i < 0) return;
    const w = this.width;
    if (w > 0) {
      this.vectors.splice(i * w, w);
      this.norms.splice(3 * i, 3);
    }
    this.nodes.splice(i, 1);
    this.storedAt.splice(i, 1);
  }

  /** The norms a search needs of its query (throws if its length is not the bucket's width). */
  query(vector: ArrayLike<number>): Query {
    if (vector.length !== this.width) throw new Error(`a query of ${vector.length} numbers against vectors of ${this.width}`);
    return { vector, norm: tailNorm(vector, 0), tail1: tailNorm(vector, this.c1), tail2: tailNorm(vector, this.c2) };
  }

  /**
   * Σ query[k] · vector_i[k], k = 0, 1, … in order (`cosine(query, vector_i)` to the bit), or
   * -Infinity once the bound shows it is below `needed`.
   */
  similarity(q: Query, i: number, needed: number): number {
    const query = q.vector;
    const v = this.vectors;
    const off = i * this.width;
    const n = 3 * i;
    const margin = MARGIN * (1 + q.norm * this.norms[n]!);
    let s = 0;
    let k = 0;
    for (const c1 = this.c1; k < c1; k++) s += query[k]! * v[off + k]!;
    if (s + q.tail1 * this.norms[n + 1]! + margin < needed) return -Infinity;
    for (const c2 = this.c2; k < c2; k++) s += query[k]! * v[off + k]!;
    if (s + q.tail2 * this.norms[n + 2]! + margin < needed) return -Infinity;
    for (const w = this.width; k < w; k++) s += query[k]! * v[off + k]!;
    return s;
  }
}

/**
 * ‖v[from:]‖, scaled by the largest component as `Math.hypot` is: squares of tiny components
 * would round to 0 (a tail norm of 0 would prune a tail that lifts the sum), of huge ones to
 * Infinity. NaN when a component is NaN (a NaN or infinite norm never prunes).
 */
function tailNorm(v: ArrayLike<number>, from: number): number {
  let max = 0;
  for (let k = from; k < v.length; k++) {
    const a = Math.abs(v[k]!);
    if (a > max || Number.isNaN(a)) max = a;
    if (Number.isNaN(max)) return NaN;
  }
  if (max === 0 || max === Infinity) return max;
  let s = 0;
  for (let k = from; k < v.length; k++) {
    const x = v[k]! / max;
    s += x * x;
  }
  return max * Math.sqrt(s);
}
