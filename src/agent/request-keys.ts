/**
 * The string keys the agent's caches and tools look a request up by (`AgentRequest.promptKey`,
 * `intentKey`, the topic's semantic bucket) and the prompt's vector, kept once per distinct
 * wording and found with one small-integer Map lookup per request. A request's getters build a new string on every
 * read, so every Map lookup hashed it afresh and compared it character by character; a string
 * handed out again keeps its hash, and a Map finds the key it stored by identity. The strings are
 * the getters' own (built by them on first use), so every key, and everything looked up by it, is
 * unchanged.
 */
import type { AgentRequest } from '../workload/requests.ts';

/** A request's identity as the keys see it. */
type Keyed = Pick<AgentRequest, 'kindIndex' | 'kind' | 'intent' | 'paraphrase' | 'topic' | 'promptKey' | 'intentKey'>;

/** The keys of one wording (kind, intent, paraphrase) and what the agent derived from them. */
export class WordingKeys {
  /** The prompt's vector (`PromptSpace.vector`), once a semantic cache asked for it. */
  vector: Float64Array | undefined = undefined;
  private lastExact: { step: string; modelSig: string; iteration: number; inputTokens: number; key: string } | undefined = undefined;
  private embedModel = '';
  private embedKey = '';

  constructor(
    /** `req.promptKey`: the exact wording. */
    readonly prompt: string,
    /** `req.intentKey`: the question across wordings. */
    readonly intent: string,
    /** `<kind>/topic/<topic>`: a semantic cache's bucket, a tool keyed by topic. */
    readonly topic: string,
    /** The topic's number (`topic` is checked against the request's). */
    readonly topicNumber: number,
  ) {}

  /**
   * An exact cache's key of the prompt: `<step>|<model or router>|<promptKey>|<iteration>|<input
   * tokens>` (the last one's kept: a wording's next request usually asks for the same).
   */
  exact(step: string, modelSig: string, iteration: number, inputTokens: number): string {
    const e = this.lastExact;
    if (e !== undefined && e.step === step && e.modelSig === modelSig && e.iteration === iteration && e.inputTokens === inputTokens) return e.key;
    const key = `${step}|${modelSig}|${this.prompt}|${iteration}|${inputTokens}`;
    this.lastExact = { step, modelSig, iteration, inputTokens, key };
    return key;
  }

  /** An embedding cache's key of the prompt for `model`: `<model>|<promptKey>` (the last model's kept). */
  embedding(model: string): string {
    if (model !== this.embedModel || this.embedKey === '') {
      this.embedModel = model;
      this.embedKey = `${model}|${this.prompt}`;
    }
    return this.embedKey;
  }
}

/** A wording's number within its task kind, `intent · PARAPHRASES + paraphrase`, when both fit (a small integer: a cheap Map key). */
const PARAPHRASES = 4096;
const INTENTS = 2 ** 18;

/** One task kind's wordings by number, and its intent and topic strings (shared by their wordings). */
interface KindKeys {
  name: string;
  wordings: Map<number, WordingKeys>;
  intents: Map<number, string>;
  topics: Map<number, string>;
}

/** Each request's keys, made once per distinct wording (task kind, intent and paraphrase). */
export class RequestKeys {
  /** By task kind index (the name checked: a record per name). */
  private readonly kinds: KindKeys[] = [];
  /** Wordings whose numbers do not fit `PARAPHRASES`, by prompt key. */
  private readonly others = new Map<string, WordingKeys>();

  /** The keys of `req`'s wording. */
  of(req: Keyed): WordingKeys {
    let kind = this.kinds[req.kindIndex];
    if (kind === undefined || kind.name !== req.kind) {
      kind = { name: req.kind, wordings: new Map(), intents: new Map(), topics: new Map() };
      this.kinds[req.kindIndex] = kind;
    }
    const { intent, paraphrase } = req;
    const fits = intent >= 0 && intent < INTENTS && paraphrase >= 0 && paraphrase < PARAPHRASES && Number.isInteger(intent) && Number.isInteger(paraphrase);
    const id = intent * PARAPHRASES + paraphrase;
    const w = fits ? kind.wordings.get(id) : this.others.get(req.promptKey);
    if (w !== undefined && w.topicNumber === req.topic) return w;
    const made = this.make(kind, req);
    if (fits) kind.wordings.set(id, made);
    else this.others.set(made.prompt, made);
    return made;
  }

  private make(kind: KindKeys, req: Keyed): WordingKeys {
    // an intent's paraphrases share its string, a topic's wordings theirs
    let intent = kind.intents.get(req.intent);
    if (intent === undefined) kind.intents.set(req.intent, (intent = req.intentKey));
    let topic = kind.topics.get(req.topic);
    if (topic === undefined) kind.topics.set(req.topic, (topic = `${req.kind}/topic/${req.topic}`));
    return new WordingKeys(req.promptKey, intent, topic, req.topic);
  }
}
