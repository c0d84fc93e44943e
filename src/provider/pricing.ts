/** Cost of one call from a model's dated price table. */
import type { ModelPricing } from './catalog.ts';

/**
 * Token counts of one call; `cachedInputTokens` is the part of `inputTokens` billed at the cached
 * price, `cacheWriteInputTokens` the part written to the prompt cache (billed at the write price).
 */
export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens: number;
  /** @default 0 */
  cacheWriteInputTokens?: number;
  outputTokens: number;
}

/** US dollars for one call. */
export function callCostUsd(pricing: ModelPricing, usage: TokenUsage): number {
  const written = usage.cacheWriteInputTokens ?? 0;
  const uncached = usage.inputTokens - usage.cachedInputTokens - written;
  return (
    (uncached * pricing.inputPer1M +
      usage.cachedInputTokens * pricing.cachedInputPer1M +
      written * (pricing.cacheWritePer1M ?? pricing.inputPer1M) +
      usage.outputTokens * pricing.outputPer1M) /
    1_000_000
  );
}
