/**
 * The requests of a simulated day: which task kind, which intent (Zipf popularity), which
 * wording of it (paraphrase), how long the prompt is and how hard it is. Attributes that belong
 * to a prompt (length, difficulty) are drawn from the prompt's own seed, so the same prompt
 * asked twice is the same prompt; everything else comes from the request's own seed, so every
 * configuration of a sweep sees the same requests (common random numbers).
 */
import { hashString, mix32, Rng } from '../random.ts';
import type { Scenario, TaskKind } from '../scenario/schema.ts';
import { sample, sampleTokens } from './distribution.ts';
import { Zipf } from './zipf.ts';

/** One agent run as the workload hands it to the executor. */
export interface AgentRequest {
  id: number;
  arrivalMs: number;
  kindIndex: number;
  kind: string;
  /** Intent number within its kind (0 = most popular). */
  intent: number;
  paraphrase: number;
  topic: number;
  /** Stable key of the exact wording: the same key means the same prompt text. */
  promptKey: string;
  /** Stable key of the intent across kinds. */
  intentKey: string;
  inputTokens: number;
  difficulty: number;
  /** Seed of this request's own random draws. */
  seed: number;
}

/** Generates requests one at a time, from the scenario and the run's seed. */
export class RequestFactory {
  private readonly kinds: TaskKind[];
  private readonly kindCdf: number[];
  private readonly zipfs: Zipf[];
  private readonly promptCache = new Map<string, { inputTokens: number }>();
  private readonly difficultyCache = new Map<string, number>();

  constructor(
    scenario: Scenario,
    private readonly seed: number,
  ) {
    this.kinds = scenario.requestMix;
    const total = this.kinds.reduce((s, k) => s + k.share, 0);
    let acc = 0;
    this.kindCdf = this.kinds.map((k) => (acc += k.share / total));
    this.zipfs = this.kinds.map((k) => new Zipf(k.intents, k.zipf));
  }

  /** Request `id`, arriving at `arrivalMs`. */
  make(id: number, arrivalMs: number): AgentRequest {
    const seed = mix32(this.seed ^ mix32(id + 0x51ed27));
    const rng = new Rng(seed);
    const u = rng.next();
    let kindIndex = 0;
    while (kindIndex < this.kindCdf.length - 1 && u > this.kindCdf[kindIndex]!) kindIndex++;
    const kind = this.kinds[kindIndex]!;
    const intent = this.zipfs[kindIndex]!.sample(rng);
    const paraphrase = rng.int(kind.paraphrases);
    const intentKey = `${kind.name}/${intent}`;
    const promptKey = `${intentKey}/${paraphrase}`;
    return {
      id,
      arrivalMs,
      kindIndex,
      kind: kind.name,
      intent,
      paraphrase,
      topic: Math.floor(intent / kind.intentsPerTopic),
      promptKey,
      intentKey,
      inputTokens: this.promptTokens(kind, promptKey),
      difficulty: this.intentDifficulty(kind, intentKey),
      seed,
    };
  }

  private promptTokens(kind: TaskKind, promptKey: string): number {
    let p = this.promptCache.get(promptKey);
    if (p === undefined) {
      p = { inputTokens: sampleTokens(kind.inputTokens, new Rng(hashString(promptKey, this.seed ^ 0x7f4a7c15))) };
      this.promptCache.set(promptKey, p);
    }
    return p.inputTokens;
  }

  private intentDifficulty(kind: TaskKind, intentKey: string): number {
    let d = this.difficultyCache.get(intentKey);
    if (d === undefined) {
      d = Math.min(1, Math.max(0, sample(kind.difficulty, new Rng(hashString(intentKey, this.seed ^ 0x2545f491)))));
      this.difficultyCache.set(intentKey, d);
    }
    return d;
  }
}
