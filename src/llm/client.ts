/**
 * The LLM client contract. The simulated client (latency model on a virtual clock) and the
 * HTTP client (live mode) both satisfy it; strategies call only this.
 */
import { wait, type Task } from '../core/task.ts';
import type { CallOutcome } from '../metrics/ledger.ts';
import type { CallRecord } from '../provider/call-record.ts';
import type { ToolTurn, WireToolCall } from './tool-wire.ts';

/** One chat completion as the agent asks for it. */
export interface ChatCall {
  model: string;
  step: string;
  /** The request (agent run) this call belongs to. */
  jobId: number;
  /** Seed of the request; with `callIndex`, fixes every random draw of the call. */
  jobSeed: number;
  callIndex: number;
  /**
   * Seed of the request's step (request seed, step, loop iteration): with the model, it fixes the
   * quality verdict (`answerSeed`), identically in the simulator and live.
   */
  stepSeed: number;
  /** Prompt length: system prompt + user prompt + context. */
  inputTokens: number;
  /** The leading part of the prompt that is the same for every request of this step (system prompt). */
  prefixTokens: number;
  /** The answer length the workload wants (the model may stop earlier at a limit). */
  outputTokens: number;
  /** Difficulty for the quality model. */
  difficulty: number;
  stream: boolean;
  /** Give up after this long (fallback routing sets it). */
  timeoutMs?: number;
  /** Names the user's exact wording: equal ids mean equal prompt text (provider prompt caching; the live client's text). */
  wordingId?: number;
  /** The user prompt's prefix blocks (a Mooncake trace's `hash_ids`): equal leading ids mean an equal prefix. */
  prefixBlocks?: { ids: Int32Array; blockTokens: number };
  /** Tool calling (src/agent/tool-calling.ts): tools offered, earlier calls and results sent back; its tokens are in the counts above. */
  tools?: ToolTurn;
}

/** What a chat call returned: the ledger's row of it (`CallRecord`) and what the agent reads from the answer. */
export interface ChatResult extends CallRecord<Exclude<CallOutcome, 'cache_hit'>> {
  outcome: Exclude<CallOutcome, 'cache_hit'>;
  ttftMs: number;
  /** The quality model's verdict on this answer. */
  correct: boolean;
  /** The model's self-reported confidence, 0–1. */
  confidence: number;
  /** After a 429: how long the provider asked to wait. */
  retryAfterMs?: number;
  /** The tool calls the endpoint answered with (live only: the simulator's are the agent's prediction). */
  toolCalls?: WireToolCall[];
}

/** One embedding request (one or more texts in one call). */
export interface EmbedCall {
  model: string;
  step: string;
  jobId: number;
  jobSeed: number;
  callIndex: number;
  inputTokens: number;
  texts: number;
}

/** What an embedding call returned. */
export interface EmbedResult {
  outcome: Exclude<CallOutcome, 'cache_hit'>;
  model: string;
  inputTokens: number;
  costUsd: number;
  latencyMs: number;
}

/**
 * Receives inter-token gaps: `count` gaps of `gapMs` each (the live client sends every gap it
 * sees with count 1; the simulator a weighted sample of its per-token latency model).
 */
export type TokenGapSink = (gapMs: number, count: number) => void;

/** The one interface strategies use to reach a model (through `chatTask`/`embedTask` below). */
export interface LlmClient {
  chat(call: ChatCall): Promise<ChatResult>;
  embed(call: EmbedCall): Promise<EmbedResult>;
  /** The same call as a task (src/core/task.ts), when the client can run one without promises (the simulated client). */
  chatTask?(call: ChatCall): Task<ChatResult>;
  embedTask?(call: EmbedCall): Task<EmbedResult>;
  /** Sends the gaps between the content tokens of every answer from now on to `sink`. */
  observeTokenGaps?(sink: TokenGapSink): void;
}

/** A chat call as a task: the client's own, or waiting for its promise. */
export function chatTask(client: LlmClient, call: ChatCall): Task<ChatResult> {
  return client.chatTask !== undefined ? client.chatTask(call) : wait(() => client.chat(call));
}

/** An embedding call as a task: the client's own, or waiting for its promise. */
export function embedTask(client: LlmClient, call: EmbedCall): Task<EmbedResult> {
  return client.embedTask !== undefined ? client.embedTask(call) : wait(() => client.embed(call));
}

/** The result of a call that produced no answer (refused, failed or timed out): no tokens billed or counted. */
export function failedChat(call: ChatCall, outcome: ChatResult['outcome'], latencyMs: number, retryAfterMs?: number): ChatResult {
  const r: ChatResult = {
    outcome,
    model: call.model,
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    latencyMs,
    ttftMs: 0,
    correct: false,
    confidence: 0,
  };
  if (retryAfterMs !== undefined) r.retryAfterMs = retryAfterMs;
  return r;
}
