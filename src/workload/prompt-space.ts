/**
 * Embedding vectors of the simulated prompts, built so that a semantic cache meets the same
 * trade-off it meets on real text: wordings of one intent are very similar (cosine ≈ 0.85–0.97),
 * intents of one topic are fairly similar (≈ 0.5–0.8, the source of false hits at low
 * thresholds) and prompts of different topics are unrelated (≈ 0 ± 0.1).
 */
import { hashString, Rng } from '../core/random.ts';
import type { AgentRequest } from './requests.ts';

/** Width of the simulated embedding vectors. */
export const PROMPT_SPACE_DIMENSIONS = 64;

/** Deterministic prompt vectors for a seed; cached per prompt. */
export class PromptSpace {
  private readonly vectors = new Map<string, Float64Array>();

  constructor(private readonly seed: number) {}

  /** Unit vector of a request's prompt wording. */
  vector(req: Pick<AgentRequest, 'kind' | 'topic' | 'intentKey' | 'promptKey'>): Float64Array {
    let v = this.vectors.get(req.promptKey);
    if (v !== undefined) return v;
    const topicKey = `${req.kind}/topic/${req.topic}`;
    const topicRng = new Rng(hashString(topicKey, this.seed));
    const topicWeight = 0.5 + 0.3 * topicRng.next();
    const intentRng = new Rng(hashString(req.intentKey, this.seed));
    const noiseWeight = 0.03 + 0.12 * intentRng.next();
    const intentWeight = Math.max(0, 1 - topicWeight - noiseWeight);
    const t = unitGaussian(topicRng);
    const i = unitGaussian(intentRng);
    const p = unitGaussian(new Rng(hashString(req.promptKey, this.seed)));
    v = new Float64Array(PROMPT_SPACE_DIMENSIONS);
    const [a, b, c] = [Math.sqrt(topicWeight), Math.sqrt(intentWeight), Math.sqrt(noiseWeight)];
    for (let k = 0; k < v.length; k++) v[k] = a * t[k]! + b * i[k]! + c * p[k]!;
    normalize(v);
    this.vectors.set(req.promptKey, v);
    return v;
  }
}

function unitGaussian(rng: Rng): Float64Array {
  const v = new Float64Array(PROMPT_SPACE_DIMENSIONS);
  for (let k = 0; k < v.length; k++) v[k] = rng.normal();
  return normalize(v);
}

/** Scales a vector to unit length in place. */
export function normalize(v: Float64Array | number[]): Float64Array {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k]! * v[k]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let k = 0; k < v.length; k++) v[k] = v[k]! * inv;
  return v as Float64Array;
}

/** Cosine similarity of two unit vectors. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}
