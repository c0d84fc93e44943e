/** Cost of one call from a model's dated price table. */
import type { ModelPricing } from './catalog.ts';

/** Token counts of one call; `cachedInputTokens` is the part of `inputTokens` billed at the cached price. */
export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

/** US dollars for one call. */
export function callCostUsd(pricing: ModelPricing, usage: TokenUsage): number {
  const uncached = usage.inputTokens - usage.cachedInputTokens;
  return (
    (uncached * pricing.inputPer1M + usage.cachedInputTokens * pricing.cachedInputPer1M + usage.outputTokens * pricing.outputPer1M) /
    1_000_000
  );
}
