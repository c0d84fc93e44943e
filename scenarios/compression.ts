/**
 * What do shorter prompts and pruned context save, and what do they cost in quality?
 *
 * A policy assistant answers from retrieved documents and reviews its own answer in a
 * self-correction loop. The sweep shortens the system prompt, changes how many chunks of what
 * size are retrieved (10 small or 3 large?), and replaces the critique step's long prompt with
 * a fine-tuned model that has the instructions baked in.
 */
import { compression, defineScenario, fixed, llm, lognormal, loop, uniform } from 'llm-scale-bench';

export default defineScenario({
  name: 'compression',
  description: 'Prompt compression and context pruning at 100k requests/day: tokens, cost and quality.',
  seed: 5,
  traffic: { requestsPerDay: 100_000 },
  requestMix: [{ name: 'policy-question', share: 1, inputTokens: lognormal(80, 0.5), outputTokens: lognormal(220, 0.4), difficulty: uniform(0.1, 0.7) }],
  workflow: [
    llm('answer', { model: 'gpt-4o', systemPromptTokens: 1800, rag: { topK: 8, chunkTokens: 500, halfRecallChunkTokens: 500 } }),
    loop('self-correct', { repeatProbability: 0.35, maxIterations: 3 }, [
      llm('critique', { model: 'gpt-4o-mini', systemPromptTokens: 1500, contextFrom: ['answer'], outputTokens: lognormal(120, 0.4), quality: false }),
    ]),
  ],
  strategies: { workers: fixed(24) },
  sweep: {
    compression: {
      baseline: compression({ systemPromptScale: 1 }),
      'short-system-prompt': compression({ systemPromptScale: 0.4 }),
      top3x800: compression({ ragTopK: 3, chunkTokens: 800 }),
      top10x200: compression({ ragTopK: 10, chunkTokens: 200 }),
      top2x300: compression({ ragTopK: 2, chunkTokens: 300 }),
      'fine-tuned-critique': compression({ fineTuned: { steps: ['critique'], model: 'ft:gpt-4o-mini', systemPromptTokens: 60 } }),
      'all-three': compression({
        systemPromptScale: 0.4,
        ragTopK: 3,
        chunkTokens: 800,
        fineTuned: { steps: ['critique'], model: 'ft:gpt-4o-mini', systemPromptTokens: 60 },
      }),
    },
    // the provider's own prompt caching bills a repeated prefix at the cached price: with it on,
    // a long static system prompt costs less, and shortening it saves less
    promptCaching: { 'provider-cache-on': true, 'provider-cache-off': false },
  },
  slo: { minQuality: 0.82 },
});
