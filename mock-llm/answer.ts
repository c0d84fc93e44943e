/**
 * What the model says, protocol-neutral: generated words (the fast path), a fixed text (JSON
 * output, a fixture's reply) or tool calls; its stream units; its output tokens. Fixed texts and
 * tool calls are counted with the real tokenizer (on its thread) and streamed one fragment per
 * token, so their usage and cost are what a provider would bill.
 */
import { generateValue } from './json-schema.ts';
import type { ModelRequest } from './model-request.ts';
import { answerRng, chooseTools, makeToolCalls, type ResolvedToolPolicy, type ToolCall } from './tools.ts';
import { applyStop, generateText, type GeneratedText, TOOL_CALL_OVERHEAD_TOKENS } from '../src/provider/tokens.ts';

/** Why the answer ended, protocol-neutral (each adapter maps it to its own word). */
export type FinishReason = 'stop' | 'length' | 'tool_calls';

/** An answer before its fixed texts are counted: either words to generate, or fixed content and/or tool calls. */
export interface AnswerDraft {
  /** Generated words (the answer is this many tokens of text before any cap); undefined for a fixed answer. */
  generateTokens: number | undefined;
  /** Fixed text content (JSON output, a fixture's text); undefined when none. */
  content: string | undefined;
  toolCalls: ToolCall[];
}

/**
 * The answer the rules give (see tools.ts chooseTools for tool calls): tool calls when tools
 * are chosen, else JSON for a json format, else `targetTokens` generated words.
 */
export function draftAnswer(
  req: ModelRequest,
  seed: number,
  requestKey: number,
  policy: ResolvedToolPolicy,
  idPrefix: string,
  targetTokens: number,
): AnswerDraft {
  if (req.tools.length > 0 && req.toolChoice.kind !== 'none') {
    const rng = answerRng(seed, requestKey, 'tools');
    const chosen = chooseTools(req.tools, req.toolChoice, req.parallelToolCalls, req.turn, policy, rng);
    if (chosen.length > 0) return { generateTokens: undefined, content: undefined, toolCalls: makeToolCalls(chosen, idPrefix, rng) };
  }
  const format = req.format;
  if (format.kind === 'json_schema') {
    return { generateTokens: undefined, content: JSON.stringify(generateValue(format.schema, answerRng(seed, requestKey, 'json'))), toolCalls: [] };
  }
  if (format.kind === 'json_object') {
    const value = generateValue(JSON_OBJECT_SCHEMA, answerRng(seed, requestKey, 'json'));
    return { generateTokens: undefined, content: JSON.stringify(value), toolCalls: [] };
  }
  return { generateTokens: targetTokens, content: undefined, toolCalls: [] };
}

/** The shape of a `json_object` answer (any object would do; this one reads like an answer). */
const JSON_OBJECT_SCHEMA = Object.freeze({
  type: 'object',
  properties: { answer: { type: 'string', minLength: 12 }, confidence: { type: 'number', minimum: 0, maximum: 1 } },
  required: ['answer', 'confidence'],
});

/** The texts of a fixed draft the tokenizer must count: content, then each call's name and arguments. */
export function textsToCount(draft: AnswerDraft): string[] {
  const out: string[] = [];
  if (draft.content !== undefined) out.push(draft.content);
  for (const c of draft.toolCalls) out.push(c.name, c.arguments);
  return out;
}

/** A tool call as answered: its argument fragments (one per token) and its tokens. */
export interface ToolCallOutput extends ToolCall {
  fragments: string[];
  /** Name, framing and (sent) argument tokens. */
  tokens: number;
}

/** One stream unit: a text token, the start of a tool call (id and name), or a fragment of its arguments. */
export type StreamUnit = { kind: 'text'; text: string } | { kind: 'call'; call: number } | { kind: 'args'; call: number; text: string };

/**
 * The final answer. A stream sends `units` units: the text's tokens, then per tool call its start
 * and its argument fragments, each unit `tokensBefore(k)` gaps after the one before (one for
 * text). `tokensThrough(k)` is what the first k units bill.
 */
export class Answer {
  /** Stream units in order (text first, then tool calls). */
  readonly units: number;
  readonly outputTokens: number;
  /** Per unit after the text, its tokens (a call's start carries its name and framing). */
  private readonly callUnitTokens: number[] = [];
  private readonly callUnitRefs: StreamUnit[] = [];
  /** The fixed text's fragments joined (see text()). */
  private joined: string | undefined;

  constructor(
    /** Generated words, or undefined. */
    readonly generated: GeneratedText | undefined,
    /** Fixed text in fragments (one per token), or empty. */
    readonly contentFragments: readonly string[],
    readonly toolCalls: readonly ToolCallOutput[],
    readonly finish: FinishReason,
    /** The stop sequence the text was cut at, or null. */
    readonly stopSequence: string | null = null,
  ) {
    const textUnits = generated?.length ?? contentFragments.length;
    toolCalls.forEach((c, k) => {
      this.callUnitRefs.push({ kind: 'call', call: k });
      this.callUnitTokens.push(c.tokens - c.fragments.length);
      for (const f of c.fragments) {
        this.callUnitRefs.push({ kind: 'args', call: k, text: f });
        this.callUnitTokens.push(1);
      }
    });
    this.units = textUnits + this.callUnitRefs.length;
    this.outputTokens = textUnits + toolCalls.reduce((s, c) => s + c.tokens, 0);
  }

  /** Text units (tokens of generated or fixed text). */
  get textUnits(): number {
    return this.units - this.callUnitRefs.length;
  }

  /** The whole text content ('' when none). */
  text(): string {
    if (this.generated !== undefined) return this.generated.text();
    // joined once: a kept request's fixed answer serves every repeat (see known-requests.ts)
    this.joined ??= this.contentFragments.join('');
    return this.joined;
  }

  /** Unit `i` (0 <= i < units). */
  unit(i: number): StreamUnit {
    const t = this.textUnits;
    if (i < t) return { kind: 'text', text: this.generated !== undefined ? this.generated.token(i) : this.contentFragments[i]! };
    return this.callUnitRefs[i - t]!;
  }

  /**
   * Output tokens generated between unit `k - 1` and unit `k` (0 < k < units): the tokens of
   * unit `k - 1`. A model generates every billed token at its pace, so a stream's unit k is due
   * this many gaps after unit k - 1 (a tool call's start carries its name and framing).
   */
  tokensBefore(k: number): number {
    const t = this.textUnits;
    return k <= t ? 1 : this.callUnitTokens[k - 1 - t]!;
  }

  /** Output tokens of the first `k` units. */
  tokensThrough(k: number): number {
    const t = this.textUnits;
    if (k <= t) return k;
    let sum = t;
    for (let i = 0; i < k - t; i++) sum += this.callUnitTokens[i]!;
    return sum;
  }
}

/**
 * The answer of a draft: generated words (`generated`, already capped and stopped by the
 * caller), or the draft's fixed parts cut to `maxTokens` (finish "length") with their counts.
 */
export function fixedAnswer(draft: AnswerDraft, counts: readonly number[], maxTokens: number | null, stop: readonly string[] | null): Answer {
  let budget = maxTokens ?? Infinity;
  let truncated = false;
  let at = 0;
  let fragments: string[] = [];
  let stopSequence: string | null = null;
  if (draft.content !== undefined) {
    const content = draft.content;
    fragments = splitEvenly(content, counts[at++]!);
    const hit = stop === null ? undefined : firstStop(content, stop);
    if (hit !== undefined) {
      // whole fragments before the stop sequence (the fragment it starts in goes, as for generated text)
      let kept = 0;
      let pos = 0;
      while (kept < fragments.length && pos + fragments[kept]!.length <= hit.at) pos += fragments[kept++]!.length;
      fragments = fragments.slice(0, kept);
      stopSequence = hit.sequence;
    }
    if (fragments.length > budget) {
      fragments = fragments.slice(0, budget);
      truncated = true;
    }
    budget -= fragments.length;
  }
  const calls: ToolCallOutput[] = [];
  for (const c of draft.toolCalls) {
    const head = counts[at++]! + TOOL_CALL_OVERHEAD_TOKENS;
    const argFragments = splitEvenly(c.arguments, counts[at++]!);
    if (truncated || budget < head) {
      truncated = true;
      break;
    }
    budget -= head;
    let kept = argFragments;
    if (kept.length > budget) {
      kept = kept.slice(0, budget);
      truncated = true;
    }
    budget -= kept.length;
    calls.push({ ...c, arguments: kept.join(''), fragments: kept, tokens: head + kept.length });
  }
  const finish: FinishReason = truncated ? 'length' : draft.toolCalls.length > 0 ? 'tool_calls' : 'stop';
  return new Answer(undefined, fragments, calls, finish, truncated ? null : stopSequence);
}

/** A fixed answer as it is, or `a` generated words (at most `limit`) drawn with `key`. */
export function answerOf(a: Answer | number, key: number, limit: number, stop: readonly string[] | null): Answer {
  if (typeof a !== 'number') return a;
  return generatedAnswer(generateText(Math.max(0, Math.min(a, limit)), key), a, stop);
}

/** Generated words as an answer: `target` tokens capped by `maxTokens`, cut at a stop sequence. */
export function generatedAnswer(text: GeneratedText, target: number, stop: readonly string[] | null): Answer {
  let finish: FinishReason = text.length < target ? 'length' : 'stop';
  let stopSequence: string | null = null;
  if (stop !== null) {
    const stopped = applyStop(text, stop);
    if (stopped.stopped) {
      stopSequence = firstStop(text.text(), stop)?.sequence ?? null;
      text = stopped.text;
      finish = 'stop';
    }
  }
  return new Answer(text, [], [], finish, stopSequence);
}

/** The earliest stop sequence in `text` and where it starts, if any. */
function firstStop(text: string, stop: readonly string[]): { at: number; sequence: string } | undefined {
  let first: { at: number; sequence: string } | undefined;
  for (const s of stop) {
    if (s.length === 0) continue;
    const at = text.indexOf(s);
    if (at !== -1 && (first === undefined || at < first.at)) first = { at, sequence: s };
  }
  return first;
}

/** `text` in `count` fragments of about equal length (at least one character each; never inside a surrogate pair). */
function splitEvenly(text: string, count: number): string[] {
  const n = Math.max(0, Math.min(count, text.length));
  if (n === 0) return text.length === 0 ? [] : [text];
  const out: string[] = [];
  let from = 0;
  for (let i = 1; i <= n; i++) {
    let to = i === n ? text.length : Math.round((i * text.length) / n);
    if (to > from && to < text.length && isLowSurrogate(text.charCodeAt(to))) to++;
    if (to <= from) continue;
    out.push(text.slice(from, to));
    from = to;
  }
  return out;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
