/** The agent's ledger rows: one per LLM call, embedding call, tool call and cache hit. */
import type { ChatResult, EmbedResult } from '../llm/client.ts';
import type { LedgerRow } from '../metrics/ledger.ts';

/** The row of a chat call that started at `t0` (the job id is filled in when it is recorded). */
export function chatRow(t0: number, step: string, model: string, r: ChatResult): LedgerRow {
  return {
    job: -1,
    tMs: t0,
    step,
    model,
    kind: 'llm',
    inputTokens: r.inputTokens,
    cachedInputTokens: r.cachedInputTokens,
    outputTokens: r.outputTokens,
    costUsd: r.costUsd,
    latencyMs: r.latencyMs,
    ttftMs: r.ttftMs,
    cache: null,
    retries: 0,
    outcome: r.outcome,
  };
}

/** The row of an embedding call that started at `t0`. */
export function embedRow(t0: number, step: string, e: EmbedResult): LedgerRow {
  return {
    job: -1,
    tMs: t0,
    step,
    model: e.model,
    kind: 'embedding',
    inputTokens: e.inputTokens,
    cachedInputTokens: 0,
    outputTokens: 0,
    costUsd: e.costUsd,
    latencyMs: e.latencyMs,
    ttftMs: e.latencyMs,
    cache: null,
    retries: 0,
    outcome: e.outcome,
  };
}

/** The row of a tool call that started at `t0` and took `latencyMs`. */
export function toolRow(t0: number, step: string, costUsd: number, latencyMs: number): LedgerRow {
  return {
    job: -1,
    tMs: t0,
    step,
    model: `tool:${step}`,
    kind: 'tool',
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    costUsd,
    latencyMs,
    ttftMs: 0,
    cache: null,
    retries: 0,
    outcome: 'ok',
  };
}

/** The row of a cache hit that started at `t0` and took `latencyMs`. */
export function cacheRow(
  t0: number,
  step: string,
  model: string,
  kind: LedgerRow['kind'],
  cache: NonNullable<LedgerRow['cache']>,
  latencyMs: number,
  outputTokens: number,
): LedgerRow {
  return {
    job: -1,
    tMs: t0,
    step,
    model,
    kind,
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens,
    costUsd: 0,
    latencyMs,
    ttftMs: latencyMs,
    cache,
    retries: 0,
    outcome: 'cache_hit',
  };
}
