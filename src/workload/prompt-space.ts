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

/** The fields of a request its vector depends on. */
type Prompt = Pick<AgentRequest, 'kind' | 'intent' | 'topic' | 'intentKey' | 'promptKey'>;

/** A task kind's topic and intent parts, by number (`<kind>/topic/<topic>` and `intentKey` name them). */
interface KindParts {
  topics: Map<number, Part>;
  intents: Map<number, Part>;
}

/** Vectors made per block of storage (one allocation, then a view per vector). */
const VECTORS_PER_BLOCK = 1024;

/**
 * Deterministic prompt vectors for a seed. A prompt's vector is made anew on each call (the
 * caller keeps it: the agent, with the wording's keys); its topic and intent parts are drawn once
 * per topic and intent. Every vector is a view into a block shared with other vectors: a
 * 64-number Float64Array of its own is an off-heap allocation each.
 */
export class PromptSpace {
  private readonly kinds = new Map<string, KindParts>();
  private block = new Float64Array(0);
  private used = 0;
  /** The prompt's own draw, before it is mixed in. */
  private readonly noise = new Float64Array(PROMPT_SPACE_DIMENSIONS);

  constructor(private readonly seed: number) {}

  /** Unit vector of a request's prompt wording (a pure function of the seed, the wording and its topic). */
  vector(req: Prompt): Float64Array {
    let kind = this.kinds.get(req.kind);
    if (kind === undefined) this.kinds.set(req.kind, (kind = { topics: new Map(), intents: new Map() }));
    let topic = kind.topics.get(req.topic);
    if (topic === undefined) kind.topics.set(req.topic, (topic = this.part(`${req.kind}/topic/${req.topic}`, 0.5, 0.3)));
    let intent = kind.intents.get(req.intent);
    if (intent === undefined) kind.intents.set(req.intent, (intent = this.part(req.intentKey, 0.03, 0.12)));
    const topicWeight = topic.weight;
    const noiseWeight = intent.weight;
    const intentWeight = Math.max(0, 1 - topicWeight - noiseWeight);
    const t = topic.v;
    const i = intent.v;
    const p = unitGaussian(new Rng(hashString(req.promptKey, this.seed)), this.noise);
    const v = this.allocate();
    const a = Math.sqrt(topicWeight);
    const b = Math.sqrt(intentWeight);
    const c = Math.sqrt(noiseWeight);
    for (let k = 0; k < v.length; k++) v[k] = a * t[k]! + b * i[k]! + c * p[k]!;
    return normalize(v);
  }

  /** A zeroed vector's storage: the next view of the current block. */
  private allocate(): Float64Array {
    const w = PROMPT_SPACE_DIMENSIONS;
    if (this.used + w > this.block.length) {
      this.block = new Float64Array(w * VECTORS_PER_BLOCK);
      this.used = 0;
    }
    const v = this.block.subarray(this.used, this.used + w);
    this.used += w;
    return v;
  }

  /** The part named `key`: its generator draws the weight, `base + spread · U`, then the unit vector. */
  private part(key: string, base: number, spread: number): Part {
    const rng = new Rng(hashString(key, this.seed));
    const weight = base + spread * rng.next();
    return { weight, v: unitGaussian(rng, this.allocate()) };
  }
}

/** Fills `v` with a unit vector of normals drawn from `rng`; returns it. */
function unitGaussian(rng: Rng, v: Float64Array): Float64Array {
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
