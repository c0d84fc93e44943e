/**
 * Embedding vectors of the simulated prompts, built so that a semantic cache meets the same
 * trade-off it meets on real text: wordings of one intent are very similar (cosine ≈ 0.85–0.97),
 * intents of one topic are fairly similar (≈ 0.5–0.8, the source of false hits at low
 * thresholds) and prompts of different topics are unrelated (≈ 0 ± 0.1).
 */
import { hashString, Rng } from '../core/random.ts';
import type { AgentRequest } from './requests.ts';

/** Width of the simulated embedding vectors. */
const PROMPT_SPACE_DIMENSIONS = 64;

/** A vector drawn for a topic or an intent, with the weight drawn before it from the same generator. */
interface Part {
  weight: number;
  v: Float64Array;
}

/** Deterministic prompt vectors for a seed; cached per prompt, their topic and intent parts per topic and intent. */
export class PromptSpace {
  private readonly vectors = new Map<string, Float64Array>();
  private readonly topics = new Map<string, Part>();
  private readonly intents = new Map<string, Part>();

  constructor(private readonly seed: number) {}

  /** Unit vector of a request's prompt wording. */
  vector(req: Pick<AgentRequest, 'kind' | 'topic' | 'intentKey' | 'promptKey'>): Float64Array {
    const promptKey = req.promptKey;
    let v = this.vectors.get(promptKey);
    if (v !== undefined) return v;
    const topic = this.part(this.topics, `${req.kind}/topic/${req.topic}`, 0.5, 0.3);
    const intent = this.part(this.intents, req.intentKey, 0.03, 0.12);
    const topicWeight = topic.weight;
    const noiseWeight = intent.weight;
    const intentWeight = Math.max(0, 1 - topicWeight - noiseWeight);
    const t = topic.v;
    const i = intent.v;
    const p = unitGaussian(new Rng(hashString(promptKey, this.seed)));
    v = new Float64Array(PROMPT_SPACE_DIMENSIONS);
    const [a, b, c] = [Math.sqrt(topicWeight), Math.sqrt(intentWeight), Math.sqrt(noiseWeight)];
    for (let k = 0; k < v.length; k++) v[k] = a * t[k]! + b * i[k]! + c * p[k]!;
    normalize(v);
    this.vectors.set(promptKey, v);
    return v;
  }

  /** The part of `key` (its generator draws the weight, `base + spread · U`, then the unit vector), drawn once. */
  private part(parts: Map<string, Part>, key: string, base: number, spread: number): Part {
    let part = parts.get(key);
    if (part === undefined) {
      const rng = new Rng(hashString(key, this.seed));
      const weight = base + spread * rng.next();
      parts.set(key, (part = { weight, v: unitGaussian(rng) }));
    }
    return part;
  }
}

function unitGaussian(rng: Rng): Float64Array {
  const v = new Float64Array(PROMPT_SPACE_DIMENSIONS);
  for (let k = 0; k < v.length; k++) v[k] = rng.normal();
  return normalize(v);
}

/** Scales a vector to unit length in place. */
function normalize(v: Float64Array | number[]): Float64Array {
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
