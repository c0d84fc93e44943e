/**
 * Token ids of prompt messages (a bounded cache: agents resend the same system prompt and
 * history) and generated text. The counting itself is tokenize.mjs, run on the tokenizer thread
 * (tokenizer.ts): this module does not load the tokenizer.
 */
import { Rng } from '../core/random.ts';

/** A chat message reduced to what the token count sees. */
export interface CountedMessage {
  role: string;
  content: string;
}

/** Token ids, as cached: a plain array or the tokenizer thread's typed array. */
export type TokenIds = ArrayLike<number>;

/**
 * The 3 ids that prime the assistant reply after the last message, `<|im_start|>assistant<|im_sep|>`
 * in o200k_base (test/mock-llm/tokenizer.test.ts checks them against the tokenizer).
 */
export const REPLY_PRIMER_IDS: readonly number[] = Object.freeze([200003, 173781, 200005]);
/** Tokens a prompt has on top of its messages' own (the reply primer). */
export const REPLY_PRIMER_TOKENS = REPLY_PRIMER_IDS.length;

/**
 * Output tokens a tool call costs on top of its name and arguments (the call's framing), as
 * mock-llm bills it and the agent predicts it (src/agent/tool-calling.ts): the one value.
 */
export const TOOL_CALL_OVERHEAD_TOKENS = 3;

/** Per-message token ids by role, then content (two levels: a hit concatenates no string). */
const messageCache = new Map<string, Map<string, TokenIds>>();
let messageCacheSize = 0;
const MESSAGE_CACHE_MAX = 4096;
const MESSAGE_CACHE_MAX_CHARS = 64 * 1024;

/** One message's ids in the chat layout (without the primer), if cached; do not mutate. */
export function cachedMessageTokens(role: string, content: string): TokenIds | undefined {
  return messageCache.get(role)?.get(content);
}

/** Caches one message's ids (bounded: the oldest entry goes; very long messages are not kept). */
export function rememberMessageTokens(role: string, content: string, ids: TokenIds): void {
  if (content.length > MESSAGE_CACHE_MAX_CHARS) return;
  let byContent = messageCache.get(role);
  if (byContent?.has(content)) return;
  if (messageCacheSize >= MESSAGE_CACHE_MAX) {
    // drop the oldest entry of this role (or of the first role that has one)
    const from = byContent !== undefined && byContent.size > 0 ? byContent : [...messageCache.values()].find((m) => m.size > 0)!;
    from.delete(from.keys().next().value!);
    messageCacheSize--;
  }
  if (byContent === undefined) messageCache.set(role, (byContent = new Map()));
  byContent.set(content, ids);
  messageCacheSize++;
}

/** Candidates that o200k_base splits in two (alone or after a space). */
export const NOT_SINGLE_TOKEN: ReadonlySet<string> = new Set(['morning']);

/**
 * Common English words that are one token both alone and after a space, so generated text of
 * N words is exactly N tokens (a leading-space word never merges with its neighbour in o200k).
 */
const CANDIDATE_WORDS = (
  'the of and to in is was for on that with as by at from it an be this which or are have had not but ' +
  'were one all their has more will when there been can who we out so up about into than them some ' +
  'time only other new first may these two any over also after like then most many such would over our ' +
  'year world work people way could make just what very back well long made through where much should ' +
  'because each those good great little own state same under high last right old take three system ' +
  'small large number part place case point group fact hand week company water money story month home ' +
  'market program question problem service result change level order model data value price cost speed ' +
  'answer signal window server client token stream cache agent queue worker metric report plan step ' +
  'light river green stone paper music table garden winter summer morning city street road field'
).split(' ');

/**
 * The generation vocabulary: the candidates that are one token alone and after a space, all
 * lower-case ASCII (the core writes the text into JSON without escaping). Kept in the code
 * rather than filtered at load time (that needs the tokenizer); tokenizer.test.ts checks it.
 */
export const GENERATION_VOCABULARY: readonly string[] = Object.freeze([...new Set(CANDIDATE_WORDS)].filter((w) => !NOT_SINGLE_TOKEN.has(w)));

/** The vocabulary with the leading space, built once (no string allocation per token). */
const SPACED_VOCABULARY: readonly string[] = GENERATION_VOCABULARY.map((w) => ' ' + w);

/** The vocabulary as bytes, without and with the leading space (built on first use). */
let vocabulary: { bare: readonly Uint8Array[]; spaced: readonly Uint8Array[] } | undefined;
function vocabularyBytes(): { bare: readonly Uint8Array[]; spaced: readonly Uint8Array[] } {
  return (vocabulary ??= { bare: GENERATION_VOCABULARY.map((w) => Buffer.from(w)), spaced: SPACED_VOCABULARY.map((w) => Buffer.from(w)) });
}

/**
 * Generated answers are windows of one fixed pseudo-random text of `RING_WORDS` words (a
 * power of two), built once per process: an answer is a start word (from a hash of the seed
 * and the request) and a length, its text a slice of the ring (no per-token work or join) and
 * its tokens the ring's words. Answers longer than the ring wrap around.
 */
const RING_WORDS = 1 << 17;

interface TextRing {
  /** Every word with its leading space, concatenated. */
  text: string;
  /** Where word i starts in `text` (RING_WORDS + 1 entries). */
  offsets: Int32Array;
  /** Word i's index in the vocabulary. */
  words: Uint8Array;
}

let ring: TextRing | undefined;

function textRing(): TextRing {
  if (ring !== undefined) return ring;
  const size = GENERATION_VOCABULARY.length;
  if (size > 256) throw new Error('the generation vocabulary must fit word indices in a byte');
  const rng = new Rng(0x7e47_7e47);
  const words = new Uint8Array(RING_WORDS);
  const offsets = new Int32Array(RING_WORDS + 1);
  const parts = new Array<string>(RING_WORDS);
  let pos = 0;
  for (let i = 0; i < RING_WORDS; i++) {
    const w = rng.int(size);
    words[i] = w;
    offsets[i] = pos;
    parts[i] = SPACED_VOCABULARY[w]!;
    pos += parts[i]!.length;
  }
  offsets[RING_WORDS] = pos;
  return (ring = { text: parts.join(''), offsets, words });
}

/**
 * A generated answer of `length` tokens: the first word bare, the others with a leading space,
 * so its text has exactly `length` tokens. Deterministic for its start.
 */
export class GeneratedText {
  constructor(
    private readonly start: number,
    readonly length: number,
  ) {}

  /** Token `i` as streamed (the first one without its leading space). */
  token(i: number): string {
    return (i === 0 ? GENERATION_VOCABULARY : SPACED_VOCABULARY)[this.word(i)]!;
  }

  /** Token `i` as UTF-8 bytes, shared by every answer: do not modify. */
  tokenBytes(i: number): Uint8Array {
    const bytes = vocabularyBytes();
    return (i === 0 ? bytes.bare : bytes.spaced)[this.word(i)]!;
  }

  /** The vocabulary index of token `i`. */
  private word(i: number): number {
    return textRing().words[(this.start + i) & (RING_WORDS - 1)]!;
  }

  /** The whole text: one slice of the ring (more only when it wraps). */
  text(): string {
    const { text, offsets } = textRing();
    let out = '';
    let at = this.start;
    let left = this.length;
    let skip = 1; // the first word's leading space
    while (left > 0) {
      const take = Math.min(left, RING_WORDS - at);
      out += text.slice(offsets[at]! + skip, offsets[at + take]);
      left -= take;
      at = 0;
      skip = 0;
    }
    return out;
  }

  /** Its first `count` tokens. */
  head(count: number): GeneratedText {
    return new GeneratedText(this.start, Math.min(count, this.length));
  }
}

/** `count` tokens of text, chosen by `key` (a 32-bit hash of whatever the text must be deterministic for). */
export function generateText(count: number, key: number): GeneratedText {
  return new GeneratedText((key >>> 0) & (RING_WORDS - 1), count);
}

/**
 * Cuts the text before the first stop sequence (OpenAI leaves the stop sequence out). The cut
 * is at a token boundary: the token in which the match starts is dropped with the rest.
 */
export function applyStop(generated: GeneratedText, stop: readonly string[]): { text: GeneratedText; stopped: boolean } {
  if (stop.length === 0) return { text: generated, stopped: false };
  const text = generated.text();
  let first = -1;
  for (const s of stop) {
    if (s.length === 0) continue;
    const at = text.indexOf(s);
    if (at !== -1 && (first === -1 || at < first)) first = at;
  }
  if (first === -1) return { text: generated, stopped: false };
  let pos = 0;
  let keep = 0;
  while (keep < generated.length && pos + generated.token(keep).length <= first) pos += generated.token(keep++).length;
  return { text: generated.head(keep), stopped: true };
}
