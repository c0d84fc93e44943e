/**
 * Which cache, what TTL, what threshold?
 *
 * A research assistant answers 100,000 questions a day: it searches the web (a paid tool whose
 * results change over time), embeds the retrieved passages, and writes an answer with gpt-4o.
 * Popular questions repeat, often in other words. The sweep tries each cache alone and the
 * best ones together: an exact request cache on the answer, a semantic cache at several
 * similarity thresholds (hit rate against false hits), a tool-output cache at several TTLs
 * (hit rate against staleness) and an embedding cache for the passages.
 */
import { defineScenario, embed, embeddingCache, exactCache, fixed, llm, lognormal, semanticCache, tool, toolCache, uniform } from 'llm-scale-bench';

const semantic = (threshold: number) => semanticCache({ step: 'answer', threshold, capacity: 20_000, ttlS: 86_400 });
const tools = (ttlS: number) => toolCache({ step: 'web-search', ttlS, capacity: 20_000 });

export default defineScenario({
  name: 'caching',
  description: 'Which cache saves the most at 100k requests/day, with what TTL and what similarity threshold?',
  seed: 7,
  traffic: { requestsPerDay: 100_000, arrivals: { shape: 'diurnal', peakToTrough: 3, peakHour: 14 } },
  requestMix: [
    {
      name: 'question',
      share: 1,
      inputTokens: lognormal(40, 0.5),
      outputTokens: lognormal(250, 0.4),
      difficulty: uniform(0.2, 0.7),
      intents: 20_000,
      zipf: 1.1,
      paraphrases: 6,
      intentsPerTopic: 4,
    },
  ],
  workflow: [
    tool('web-search', { latencyMs: lognormal(900, 0.5), costUsd: 0.005, changesPerHour: 0.25, keyBy: 'intent' }),
    embed('embed-passages', { model: 'text-embedding-3-small', input: 'chunks', chunks: { perRequest: 8, tokens: 400, corpus: 50_000, zipf: 1.0 } }),
    llm('answer', { model: 'gpt-4o', systemPromptTokens: 600, rag: { topK: 4, chunkTokens: 400 } }),
  ],
  strategies: { workers: fixed(16) },
  sweep: {
    caches: {
      none: [],
      exact: [exactCache({ step: 'answer', capacity: 20_000, ttlS: 86_400 })],
      'semantic@0.80': [semantic(0.8)],
      'semantic@0.85': [semantic(0.85)],
      'semantic@0.90': [semantic(0.9)],
      'semantic@0.95': [semantic(0.95)],
      'tool-ttl-5m': [tools(300)],
      'tool-ttl-1h': [tools(3600)],
      'tool-ttl-6h': [tools(6 * 3600)],
      embeddings: [embeddingCache({ step: 'embed-passages', capacity: 50_000 })],
      'exact+tool-1h+embeddings': [
        exactCache({ step: 'answer', capacity: 20_000, ttlS: 86_400 }),
        tools(3600),
        embeddingCache({ step: 'embed-passages', capacity: 50_000 }),
      ],
    },
  },
  slo: { e2eP95Ms: 12_000, minQuality: 0.8 },
});
