/**
 * Tool calling, protocol-neutral: which tools the model calls on a turn (a documented,
 * deterministic rule), and the calls themselves (ids, names, arguments generated from each
 * tool's JSON Schema). The adapters map their wire shapes to these types and back.
 */
import { Rng } from '../src/core/random.ts';
import { generateValue, type JsonSchema } from './json-schema.ts';

/** A function tool the request offers. */
export interface ToolSpec {
  name: string;
  /** JSON Schema of the arguments (`{ type: 'object', properties: {} }` when the tool has none). */
  parameters: JsonSchema;
  strict: boolean;
}

/** What the request allows: any tool or text, no tool, at least one tool, or one named tool. */
export type ToolChoice = { kind: 'auto' } | { kind: 'none' } | { kind: 'required' } | { kind: 'named'; name: string };

/** One call the model makes. */
export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as JSON text, valid against the tool's parameters. */
  arguments: string;
}

/** How the model decides under `tool_choice: auto` (the mock's options `tools`). */
export interface ToolPolicy {
  /**
   * Probability of calling a tool when the last message is the user's, drawn per request from
   * the seed and the request (the same request always decides the same way).
   * @default 1
   */
  callProbability?: number;
  /**
   * Tool rounds before the model answers in text: after this many assistant turns with tool
   * calls since the last user message, it answers in text (under `auto`).
   * @default 1
   */
  rounds?: number;
  /**
   * Tools called at once when the request allows parallel calls (capped by the tools offered).
   * @default 1
   */
  parallelCalls?: number;
}

/** The policy with defaults applied. */
export type ResolvedToolPolicy = Required<ToolPolicy>;

/** Defaults of the tool policy, in one place. */
export const TOOL_POLICY_DEFAULTS: ResolvedToolPolicy = Object.freeze({ callProbability: 1, rounds: 1, parallelCalls: 1 });

/** The conversation facts the rule reads. */
export interface TurnState {
  /** The role of the last message, reduced to user / assistant / tool / system. */
  lastRole: 'user' | 'assistant' | 'tool' | 'system';
  /** Assistant turns with tool calls since the last user message. */
  toolRounds: number;
}

/**
 * The tools the model calls on this turn; empty for a text answer.
 * - `none` (or no tools): text. A named tool: that tool, every turn. `required`: at least one tool, every turn.
 * - `auto`: text once `toolRounds` reaches `policy.rounds`; otherwise, after tool results, call
 *   again; after a user message, call with probability `policy.callProbability`.
 * Which tools: `policy.parallelCalls` of them (1 when `parallel` is false), consecutive in the
 * offered list from a start drawn from `rng`.
 */
export function chooseTools(
  tools: readonly ToolSpec[],
  choice: ToolChoice,
  parallel: boolean,
  turn: TurnState,
  policy: ResolvedToolPolicy,
  rng: Rng,
): ToolSpec[] {
  if (tools.length === 0 || choice.kind === 'none') return [];
  if (choice.kind === 'named') return tools.filter((t) => t.name === choice.name).slice(0, 1);
  const draw = rng.next();
  if (choice.kind === 'auto') {
    if (turn.toolRounds >= policy.rounds) return [];
    if (turn.toolRounds === 0 && !(draw < policy.callProbability)) return [];
  }
  const count = Math.max(1, Math.min(parallel ? policy.parallelCalls : 1, tools.length));
  const start = rng.int(tools.length);
  const out: ToolSpec[] = [];
  for (let i = 0; i < count; i++) out.push(tools[(start + i) % tools.length]!);
  return out;
}

/** The calls for the chosen tools: ids with the provider's prefix, arguments from each schema. */
export function makeToolCalls(chosen: readonly ToolSpec[], idPrefix: string, rng: Rng): ToolCall[] {
  return chosen.map((tool) => ({
    id: idPrefix + randomId(rng, 24),
    name: tool.name,
    arguments: JSON.stringify(generateValue(tool.parameters, rng) ?? {}),
  }));
}

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` base-62 characters drawn from `rng`. */
export function randomId(rng: Rng, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ID_CHARS[rng.int(ID_CHARS.length)];
  return out;
}

/** A generator for one request's answer: the same seed and request text draw the same values. */
export function answerRng(seed: number, requestKey: number, label: string): Rng {
  return Rng.derive(seed, `${label}|${requestKey}`);
}
