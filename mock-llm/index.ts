/**
 * mock-llm: an OpenAI-compatible LLM server with the catalog's latency, pricing and quality
 * models, a cost ledger, rate limits and injected faults — and the same behaviour as msw handlers.
 */

// server and msw handlers
export { startMockServer, type MockServer } from './server.ts';
export { createMockHandlers, DEFAULT_MSW_BASE_URL, type MockHandlers, type MockHandlersOptions } from './msw.ts';

// options
export {
  MOCK_DEFAULTS,
  resolveMockOptions,
  type FaultRates,
  type MockServerOptions,
  type RateLimits,
  type ResolvedMockOptions,
} from './options.ts';
export { ApiError, MockConfigError, type ApiErrorType } from './errors.ts';
export { TOOL_POLICY_DEFAULTS, type ToolPolicy } from './tools.ts';

// scripted replies
export {
  defineFixtures,
  readFixturesFile,
  type Fixture,
  type FixtureMatch,
  type FixtureReply,
  type FixtureToolCall,
  type TextMatcher,
} from './fixtures.ts';

// wire conventions and observability
export { FORCEABLE_FAULTS, type ForcedFault, type MockStats } from './core.ts';
export { MOCK_REQUEST_HEADERS } from '../src/provider/mock-headers.ts';
export type { CallOutcome, LedgerEndpoint, LedgerRow, LedgerSnapshot, LedgerSums, LedgerTotals } from './ledger.ts';

// the model of an LLM, shared with the simulator
export {
  buildCatalog,
  CatalogError,
  getModel,
  PRESET_MODELS,
  type Catalog,
  type ModelInput,
  type ModelLatency,
  type ModelPricing,
  type ModelSpec,
  type PromptCachingSpec,
} from '../src/provider/catalog.ts';
export { loadFactor, meanTtftMs, sampleDecodeMs, sampleGapMs, sampleTtftMs } from '../src/provider/latency.ts';
export { callCostUsd, type TokenUsage } from '../src/provider/pricing.ts';
export { judge, pCorrect, QUALITY_MODEL, type Judgement } from '../src/provider/quality.ts';
// token counting itself (gpt-tokenizer, about 21 MB of heap) is not exported here, so that a
// process importing the server does not load it: use `src/provider/tokenize.mjs` (countTextTokens,
// encodePrompt) where synchronous counts are wanted
export type { CountedMessage } from '../src/provider/tokens.ts';
export { cosineSimilarity } from '../src/provider/embeddings.ts';
