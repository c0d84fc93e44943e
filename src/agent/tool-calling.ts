/**
 * Tool calling in a workflow (a tool step's `toolCall`), the same on the virtual clock and live:
 *
 * - The calling LLM step (the one before the tool step) offers the workflow's tools, with
 *   `tool_choice` naming this one, and its answer is the call: the tool definition is input (a message the
 *   endpoint counts ahead of the system prompt, so part of the step's fixed prefix), the call's
 *   name, framing and arguments are its output, streamed as one unit for the call's start and
 *   one per argument token.
 * - The tool step runs as it always did (timing, cost, tool cache), for the key the call names.
 * - The next LLM call of the request sends the assistant's tool call and a `tool` message with
 *   the result (`resultTokens`, the same for the same key) after the user message: both are
 *   input of that call.
 *
 * Live, the call's id and arguments are the endpoint's (mock-llm answers a forced tool call
 * with arguments generated from the schema); when none came back (the calling step was served
 * from a cache) the agent sends its own, of the same size. The arguments are three-digit
 * integers, one token whatever their value, so the simulator knows a call's tokens without
 * seeing it. Every count is the mock's tokenizer's, taken once per tool step; the tokenizer is
 * loaded only when a scenario uses tool calling.
 */
import { createRequire } from 'node:module';
import { type GptTokenizer, type TokenRules, tokenRules } from '../provider/token-rules.mjs';
import { hashString, mix32, Rng } from '../core/random.ts';
import type { ChatResult } from '../llm/client.ts';
import { TOOL_CALL_OVERHEAD_TOKENS } from '../provider/tokens.ts';
import type { ToolTurn, WireTool, WireToolCall } from '../llm/tool-wire.ts';
import type { Scenario, ToolStep } from '../scenario/schema.ts';
import { type ToolCallLink, toolCallLinks, toolName } from '../scenario/tool-calls.ts';
import { sampleTokens } from '../workload/distribution.ts';

/** The arguments' values: three-digit integers are one o200k token each (tested for all 900). */
const ID_MIN = 100;
const ID_MAX = 999;
/** The argument's name by what the tool is keyed on. */
const PARAMETER: Readonly<Record<ToolStep['keyBy'], string>> = Object.freeze({ prompt: 'query_id', intent: 'intent_id', topic: 'topic_id' });

/** What a request carries between its calling step, its tool step and the next LLM call. */
export interface ToolJobState {
  /** The calling step's answer: its tool calls (live), for the tool step. */
  calls?: WireToolCall[];
  /** The tool's call and result, for the next LLM call. */
  exchange?: NonNullable<ToolTurn['exchange']>;
}

/** A call's shape, as the agent fixes it before choosing a model (the fields tool calling changes). */
export interface ToolCallShape {
  inputTokens: number;
  prefixTokens: number;
  outputTokens: number;
  tools?: ToolTurn;
}

/** One tool-calling tool step, its counts taken once. */
interface ToolPlan {
  step: string;
  name: string;
  param: string;
  offer: NonNullable<ToolTurn['offer']>;
  turn: ToolTurn;
  /** Output tokens of the call: name, framing, arguments. */
  callTokens: number;
  /** Tokens of the assistant message carrying the call, and of a `tool` message beyond its content. */
  callMessageTokens: number;
  resultOverheadTokens: number;
  /** Tokens of the tool's result (drawn per key). */
  result: NonNullable<ToolStep['toolCall']>['resultTokens'];
  memo: Map<string, NonNullable<ToolTurn['exchange']>>;
}

/** The workflow's tool calling; undefined (no cost at all) when no tool step has `toolCall`. */
export class ToolCalling {
  private readonly byCaller = new Map<string, ToolPlan>();
  private readonly byTool = new Map<string, ToolPlan>();

  static of(scenario: Scenario): ToolCalling | undefined {
    const links = toolCallLinks(scenario.workflow);
    return links.length === 0 ? undefined : new ToolCalling(links);
  }

  private constructor(links: ToolCallLink[]) {
    // a calling step offers every tool of the workflow (as an agent sends its tool set), naming its own in tool_choice
    const tools = links.map((l) => toolDefinition(l.tool));
    const offered = messageTokens('system', JSON.stringify(tools));
    links.forEach((link, i) => {
      const plan = toolPlan(link, tools[i]!, { tools, choose: tools[i]!.function.name, tokens: offered });
      if (link.caller !== undefined) this.byCaller.set(link.caller.name, plan);
      this.byTool.set(link.tool.name, plan);
    });
  }

  /** The tool definition a step calls (undefined if it calls none). */
  calledBy(step: string): WireTool | undefined {
    const plan = this.byCaller.get(step);
    return plan?.offer.tools.find((t) => t.function.name === plan.name);
  }

  /**
   * An LLM step's call: a calling step offers its tool and answers with the call; the first LLM
   * call after a tool step sends the call and its result.
   */
  shape(step: string, job: { tools?: ToolJobState }, shape: ToolCallShape): void {
    const plan = this.byCaller.get(step);
    let turn: ToolTurn | undefined;
    if (plan !== undefined) {
      turn = plan.turn;
      shape.inputTokens += plan.offer.tokens;
      shape.prefixTokens += plan.offer.tokens;
      shape.outputTokens = plan.callTokens;
    }
    const exchange = job.tools?.exchange;
    if (exchange !== undefined) {
      job.tools!.exchange = undefined;
      turn = { ...turn, exchange };
      shape.inputTokens += exchange.tokens;
    }
    if (turn !== undefined) shape.tools = turn;
  }

  /** A calling step's answer came back: its tool calls (live) are what the tool step runs. */
  answered(job: { tools?: ToolJobState }, turn: ToolTurn | undefined, result: ChatResult): void {
    if (turn?.offer === undefined || result.outcome !== 'ok' || result.toolCalls === undefined) return;
    (job.tools ??= {}).calls = result.toolCalls;
  }

  /** The tool step ran for `key`: its call and result go to the request's next LLM call. */
  ran(step: ToolStep, job: { tools?: ToolJobState }, key: string): void {
    const plan = this.byTool.get(step.name);
    if (plan === undefined) return;
    const state = (job.tools ??= {});
    const own = ownExchange(plan, key);
    const live = state.calls?.find((c) => c.name === plan.name && c.id !== '');
    state.calls = undefined;
    state.exchange = live === undefined ? own : { ...own, calls: [live] };
  }
}

/** Most keys whose result and own call are kept per tool step (memory bound; a miss only recomputes). */
const MEMO_MAX = 100_000;

/** The result for `key` (its size fixed by the key) and the agent's own call for it, memoised per key. */
function ownExchange(plan: ToolPlan, key: string): NonNullable<ToolTurn['exchange']> {
  const memo = plan.memo;
  let e = memo.get(key);
  if (e === undefined) {
    if (memo.size >= MEMO_MAX) memo.clear();
    const resultKey = `${plan.step}|${key}`;
    const tokens = sampleTokens(plan.result, Rng.derive(0x7001, resultKey));
    e = { calls: [predictedCall(plan, key)], results: [{ tokens, key: resultKey }], tokens: plan.callMessageTokens + plan.resultOverheadTokens + tokens };
    memo.set(key, e);
  }
  return e;
}

/** A call of the agent's own, for when the endpoint sent none: the same size as the endpoint's. */
function predictedCall(plan: ToolPlan, key: string): WireToolCall {
  const h = hashString(key, 0x7002);
  const id = `call_${hex(mix32(h ^ 1))}${hex(mix32(h ^ 2))}${hex(mix32(h ^ 3))}`;
  return { id, name: plan.name, arguments: argumentsText(plan.param, ID_MIN + (h % (ID_MAX - ID_MIN + 1))) };
}

function hex(x: number): string {
  return (x >>> 0).toString(16).padStart(8, '0');
}

function argumentsText(param: string, value: number): string {
  return `{"${param}":${value}}`;
}

/** The tool definition of a step: one integer argument, named by what the tool is keyed on. */
function toolDefinition(tool: ToolCallLink['tool']): WireTool {
  const param = PARAMETER[tool.keyBy];
  return {
    type: 'function',
    function: {
      name: toolName(tool.name),
      description: tool.toolCall.description ?? `Looks up ${tool.name} by ${tool.keyBy}.`,
      parameters: {
        type: 'object',
        properties: { [param]: { type: 'integer', minimum: ID_MIN, maximum: ID_MAX, description: `The ${tool.keyBy} to look up.` } },
        required: [param],
        additionalProperties: false,
      },
      strict: true,
    },
  };
}

function toolPlan(link: ToolCallLink, definition: WireTool, offer: NonNullable<ToolTurn['offer']>): ToolPlan {
  const name = definition.function.name;
  const param = PARAMETER[link.tool.keyBy];
  const args = argumentsText(param, ID_MIN);
  const argTokens = textTokens(args);
  return {
    step: link.tool.name,
    name,
    param,
    offer,
    turn: { offer, answersWithCall: true },
    callTokens: textTokens(name) + TOOL_CALL_OVERHEAD_TOKENS + argTokens,
    // the endpoint counts an assistant tool call as `name(arguments)`
    callMessageTokens: messageTokens('assistant', `${name}(${args})`),
    resultOverheadTokens: messageTokens('tool', ''),
    result: link.tool.toolCall.resultTokens,
    memo: new Map(),
  };
}

// ---- the mock's token counts (token-rules.mjs over gpt-tokenizer), loaded on first use -------

let rules: TokenRules | undefined;

function loadRules(): TokenRules {
  // synchronous (the agent is built synchronously), and only for scenarios with tool calling
  rules ??= tokenRules(createRequire(import.meta.url)('gpt-tokenizer') as GptTokenizer);
  return rules;
}

/** Tokens of `text` alone. */
export function textTokens(text: string): number {
  return loadRules().countTextTokens(text);
}

/** Tokens of one message in the chat layout (without the reply primer), as mock-llm counts it. */
export function messageTokens(role: string, content: string): number {
  return loadRules().messageIds(role, content).length;
}
