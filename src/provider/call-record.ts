/**
 * The one row type of a call to a model. Both ledgers keep one per call: the harness's
 * (src/metrics/ledger.ts, the client's side: which job and step, cache hits, retries) and
 * mock-llm's (mock-llm/ledger.ts, the server's side: request id, endpoint, HTTP status, queueing).
 * Each extends this with its own side's fields and outcomes; the shared fields mean the same on
 * both sides, so a live run's two ledgers can be set beside each other row for row.
 */

/** How a call ended, in the words both sides use (each adds the outcomes only it can see). */
type SharedOutcome = 'ok' | 'rate_limited' | 'context_length';

/** One call to a model: what it used, what it cost, how long it took and how it ended. */
export interface CallRecord<SideOutcome extends string> {
  /** Model id (the harness also writes `tool:<step>` for a tool call). */
  model: string;
  inputTokens: number;
  /** Of `inputTokens`, read from the provider's prompt cache. */
  cachedInputTokens: number;
  outputTokens: number;
  /** At the catalog's prices (src/provider/pricing.ts). */
  costUsd: number;
  /** From the call's start (the client's send, the server's arrival) to its end. */
  latencyMs: number;
  outcome: SharedOutcome | SideOutcome;
}

/** Sums over a group of call records (the harness's usage totals add its cache hits). */
export interface CallSums {
  calls: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Adds one call to `sums`. */
export function addCall(sums: CallSums, call: Pick<CallRecord<string>, 'inputTokens' | 'cachedInputTokens' | 'outputTokens' | 'costUsd'>): void {
  sums.calls++;
  sums.inputTokens += call.inputTokens;
  sums.cachedInputTokens += call.cachedInputTokens;
  sums.outputTokens += call.outputTokens;
  sums.costUsd += call.costUsd;
}
