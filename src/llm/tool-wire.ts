/**
 * Tool calling on the wire (OpenAI chat format), for the live client: what a call offers
 * (`tools`, `tool_choice`), the earlier tool calls and results it sends back, and the tool
 * calls read back from a stream. The agent decides all of it (src/agent/tool-calling.ts); the
 * simulator reads only the token counts and stream units carried here.
 */

/** One tool call as the endpoint returned it (or as the agent predicts it when none came back). */
export interface WireToolCall {
  id: string;
  name: string;
  /** The arguments, JSON text. */
  arguments: string;
}

/** A function tool as the OpenAI chat API takes it. */
export interface WireTool {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown>; strict: boolean };
}

/** The tool calling of one chat call (see src/agent/tool-calling.ts for the rules). */
export interface ToolTurn {
  /** Tools the call offers and the one it names in `tool_choice`; `tokens`: the tools message the endpoint counts them as. */
  offer?: { tools: WireTool[]; choose: string; tokens: number };
  /** The answer is a tool call (no content, so no gaps between content tokens). */
  answersWithCall?: boolean;
  /** Earlier tool calls and their results, sent after the user message; `tokens`: both messages' tokens. */
  exchange?: { calls: WireToolCall[]; results: Array<{ tokens: number; key: string }>; tokens: number };
}

/** The request fields of an offer (none without one). */
export function toolFields(turn: ToolTurn | undefined): { tools?: WireTool[]; tool_choice?: unknown; parallel_tool_calls?: boolean } {
  const offer = turn?.offer;
  if (offer === undefined) return {};
  return { tools: offer.tools, tool_choice: { type: 'function', function: { name: offer.choose } }, parallel_tool_calls: false };
}

/** A streamed chat chunk's `delta.tool_calls` entry. */
interface ToolCallDelta {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

/**
 * Adds one chunk's tool-call deltas to `calls` (id and name first, then argument fragments, by
 * index); false when it had none (not an array, empty, or only null entries).
 */
export function readToolCallDeltas(deltas: unknown, calls: WireToolCall[]): boolean {
  if (!Array.isArray(deltas)) return false;
  let read = false;
  for (const d of deltas as Array<ToolCallDelta | null>) {
    if (d === null || typeof d !== 'object') continue;
    read = true;
    const index = typeof d.index === 'number' ? d.index : 0;
    const call = (calls[index] ??= { id: '', name: '', arguments: '' });
    if (typeof d.id === 'string') call.id = d.id;
    if (typeof d.function?.name === 'string') call.name += d.function.name;
    if (typeof d.function?.arguments === 'string') call.arguments += d.function.arguments;
  }
  return read;
}
