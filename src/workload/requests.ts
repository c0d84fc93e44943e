/**
 * The requests of a simulated day: which task kind, which intent (Zipf popularity), which
 * wording of it (paraphrase), how long the prompt is and how hard it is. Attributes that belong
 * to a prompt (length, difficulty) are drawn from the prompt's own seed, so the same prompt
 * asked twice is the same prompt; everything else comes from the request's own seed, so every
 * configuration of a sweep sees the same requests (common random numbers).
 */
import { hashString, mix32, Rng } from '../core/random.ts';
import type { Scenario, TaskKind } from '../scenario/schema.ts';
import { sample, sampleTokens } from './distribution.ts';
import { Zipf } from './zipf.ts';

/** One agent run as the workload hands it to the executor. */
export class AgentRequest {
  constructor(
    readonly id: number,
    readonly arrivalMs: number,
    readonly kindIndex: number,
    readonly kind: string,
    /** Intent number within its kind (0 = most popular). */
    readonly intent: number,
    readonly paraphrase: number,
    readonly topic: number,
    /** Prompt length in tokens. */
    readonly inputTokens: number,
    /** Difficulty on the quality model's 0–1 scale. */
    readonly difficulty: number,
    /** Seed of this request's own random draws. */
    readonly seed: number,
    /** What a trace logged for this request, replacing the scenario's draws (see `TraceOverrides`). */
    readonly logged?: TraceOverrides,
  ) {}

  /** A number naming the exact wording (kind, intent, paraphrase): the same number means the same prompt text. */
  get wordingId(): number {
    return this.logged?.wordingId ?? this.kindIndex * 2 ** 40 + this.intent * 4096 + this.paraphrase;
  }

  /** Stable key of the exact wording: the same key means the same prompt text. */
  get promptKey(): string {
    return `${this.kind}/${this.intent}/${this.paraphrase}`;
  }

  /** Stable key of the intent (question) across wordings. */
  get intentKey(): string {
    return `${this.kind}/${this.intent}`;
  }
}

/** A replayed request's logged facts; each one present replaces the scenario's. */
export interface TraceOverrides {
  /** Answer length of the steps that take the task kind's (steps with their own `outputTokens` keep theirs). */
  outputTokens?: number;
  /** The model of the routed steps (the routing strategy is skipped). */
  model?: string;
  /** Prompt identity: requests of one session share it, so their prompts share a prefix. */
  wordingId?: number;
  /** Prefix blocks (Mooncake `hash_ids`): equal leading ids mean an equal prompt prefix. */
  prefixBlocks?: { ids: Int32Array; blockTokens: number };
}

/** Generates requests one at a time, from the scenario and the run's seed. */
export class RequestFactory {
  private readonly kinds: TaskKind[];
  private readonly kindCdf: number[];
  private readonly zipfs: Zipf[];
  /** Per kind: prompt length of each (intent, paraphrase), drawn on first use (0 = not yet). */
  private readonly promptTokensByKind: Int32Array[];
  /** Per kind: difficulty of each intent (NaN = not yet drawn). */
  private readonly difficultyByKind: Float64Array[];

  constructor(
    scenario: Scenario,
    private readonly seed: number,
  ) {
    this.kinds = scenario.requestMix;
    const total = this.kinds.reduce((s, k) => s + k.share, 0);
    let acc = 0;
    this.kindCdf = this.kinds.map((k) => (acc += k.share / total));
    this.zipfs = this.kinds.map((k) => new Zipf(k.intents, k.zipf));
    this.promptTokensByKind = this.kinds.map((k) => new Int32Array(k.intents * k.paraphrases));
    this.difficultyByKind = this.kinds.map((k) => new Float64Array(k.intents).fill(NaN));
  }

  /** Request `id`, arriving at `arrivalMs`; `logged` replaces the prompt length and more with what a trace logged. */
  make(id: number, arrivalMs: number, logged?: TraceOverrides & { inputTokens: number }): AgentRequest {
    const seed = mix32(this.seed ^ mix32(id + 0x51ed27));
    const rng = new Rng(seed);
    const u = rng.next();
    let kindIndex = 0;
    while (kindIndex < this.kindCdf.length - 1 && u > this.kindCdf[kindIndex]!) kindIndex++;
    const kind = this.kinds[kindIndex]!;
    const intent = this.zipfs[kindIndex]!.sample(rng);
    const paraphrase = rng.int(kind.paraphrases);
    return new AgentRequest(
      id,
      arrivalMs,
      kindIndex,
      kind.name,
      intent,
      paraphrase,
      Math.floor(intent / kind.intentsPerTopic),
      logged?.inputTokens ?? this.promptTokens(kindIndex, intent, paraphrase),
      this.intentDifficulty(kindIndex, intent),
      seed,
      logged ?? (kind.model !== undefined ? { model: kind.model } : undefined),
    );
  }

  private promptTokens(kindIndex: number, intent: number, paraphrase: number): number {
    const kind = this.kinds[kindIndex]!;
    const table = this.promptTokensByKind[kindIndex]!;
    const slot = intent * kind.paraphrases + paraphrase;
    let n = table[slot]!;
    if (n === 0) {
      const rng = new Rng(hashString(`${kind.name}/${intent}/${paraphrase}`, this.seed ^ 0x7f4a7c15));
      table[slot] = n = sampleTokens(kind.inputTokens, rng);
    }
    return n;
  }

  private intentDifficulty(kindIndex: number, intent: number): number {
    const kind = this.kinds[kindIndex]!;
    const table = this.difficultyByKind[kindIndex]!;
    let d = table[intent]!;
    if (Number.isNaN(d)) {
      const rng = new Rng(hashString(`${kind.name}/${intent}`, this.seed ^ 0x2545f491));
      table[intent] = d = Math.min(1, Math.max(0, sample(kind.difficulty, rng)));
    }
    return d;
  }
}
