/**
 * Deterministic embeddings with meaning-like geometry: a text's vector is the normalised sum of
 * one seeded gaussian vector per word, so paraphrases (texts sharing most words) point the same
 * way and unrelated texts are nearly orthogonal. Very common words weigh less, so "the" and "of"
 * do not make every pair of sentences look alike.
 */
import { hashString, Rng } from '../core/random.ts';

const STOPWORDS = new Set(
  'a an the of and or to in on at for by with from is are was were be been it this that these those as i you he she we they'.split(' '),
);
const STOPWORD_WEIGHT = 0.2;
const WORD_CACHE_MAX = 4096;
const WORD = /[\p{L}\p{N}]+/gu;

/** Computes embeddings for one seed; caches recent word vectors (bounded). */
export class Embedder {
  private readonly cache = new Map<string, Float32Array>();

  constructor(private readonly seed: number) {}

  /** The unit vector of `text` with `dimensions` components (a prefix of the full-width vector, renormalised). */
  embed(text: string, dimensions: number): Float32Array {
    const sum = new Float64Array(dimensions);
    const words: string[] = text.toLowerCase().match(WORD) ?? [];
    if (words.length === 0) words.push(`\u0000${text}`); // punctuation-only text still gets its own direction
    for (const w of words) {
      const v = this.wordVector(w, dimensions);
      const weight = STOPWORDS.has(w) ? STOPWORD_WEIGHT : 1;
      for (let i = 0; i < dimensions; i++) sum[i]! += weight * v[i]!;
    }
    let norm = 0;
    for (let i = 0; i < dimensions; i++) norm += sum[i]! * sum[i]!;
    norm = Math.sqrt(norm) || 1;
    const out = new Float32Array(dimensions);
    for (let i = 0; i < dimensions; i++) out[i] = sum[i]! / norm;
    return out;
  }

  private wordVector(word: string, dimensions: number): Float32Array {
    const key = `${dimensions}|${word}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const rng = new Rng(hashString(word, this.seed));
    const v = new Float32Array(dimensions);
    for (let i = 0; i < dimensions; i++) v[i] = rng.normal();
    if (this.cache.size >= WORD_CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, v);
    return v;
  }
}

/** Cosine similarity of two vectors of equal length. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / (Math.sqrt(na * nb) || 1);
}

/** The vector as OpenAI's `encoding_format: 'base64'` sends it: little-endian float32 bytes. */
export function toBase64(vector: Float32Array): string {
  const buf = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) buf.writeFloatLE(vector[i]!, i * 4);
  return buf.toString('base64');
}
