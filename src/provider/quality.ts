/**
 * The quality model: whether a model answers a request of a given difficulty correctly, and the
 * confidence it reports (the signal a cascade escalates on). Shared by simulator and mock server.
 */
import { hashString, mix32, Rng } from '../core/random.ts';

/** Constants of the quality model, defined once. */
export const QUALITY_MODEL = Object.freeze({
  /** Steepness of the logistic curve P(correct) = σ(k · (capability − difficulty)). */
  steepness: 10,
  /** How far a correct answer's confidence logit sits above a wrong one's (half of it each way). */
  confidenceSignal: 1.5,
  /** Noise (sd, in logits) on the reported confidence. */
  confidenceNoise: 0.75,
});

/** Probability that a model of `capability` answers a request of `difficulty` correctly. */
export function pCorrect(capability: number, difficulty: number): number {
  return 1 / (1 + Math.exp(-QUALITY_MODEL.steepness * (capability - difficulty)));
}

/** The judged answer: correct or not, and the model's self-reported confidence in [0, 1]. */
export interface Judgement {
  correct: boolean;
  confidence: number;
}

/**
 * Draws correctness and confidence. The confidence is informative but imperfect: its logit is
 * the true log-odds, moved up for a correct answer and down for a wrong one, plus noise.
 */
export function judge(capability: number, difficulty: number, rng: Rng): Judgement {
  const logit = QUALITY_MODEL.steepness * (capability - difficulty);
  const correct = rng.next() < 1 / (1 + Math.exp(-logit));
  const shift = (correct ? 0.5 : -0.5) * QUALITY_MODEL.confidenceSignal;
  const confidence = 1 / (1 + Math.exp(-(logit + shift + QUALITY_MODEL.confidenceNoise * rng.normal())));
  return { correct, confidence };
}

/**
 * The seed of one answer's verdict: the request's step seed (request seed, step, loop iteration)
 * and the model asked. It does not depend on when the call ran, which calls came before it, or
 * whether it was a retry: the same model asked the same step of the same request answers the
 * same way, in the simulator and live (the live client sends it to mock-llm as
 * `x-mock-quality-seed`). A cache's decision (hit, false hit, stale hit) is applied on top by the
 * agent (see `cacheHitCorrect`).
 */
export function answerSeed(stepSeed: number, model: string): number {
  let h = modelHashes.get(model);
  if (h === undefined) {
    h = mix32(hashString(model) + 0x51ed_270b);
    // a mock serving any model name a client sends keeps at most this many
    if (modelHashes.size < 1024) modelHashes.set(model, h);
  }
  return mix32(stepSeed ^ h);
}

/** `answerSeed`'s per-model part, once per model id (it is asked for on every call). */
const modelHashes = new Map<string, number>();

/** `judgeAnswer`'s generator, reseeded for each verdict (`judge` is synchronous: no verdict interleaves another). */
const verdictRng = new Rng(0);

/** The verdict on one answer: `judge` with its own generator seeded by `answerSeed` (as `new Rng(seed)` would draw). */
export function judgeAnswer(capability: number, difficulty: number, seed: number): Judgement {
  return judge(capability, difficulty, verdictRng.reseed(seed));
}
