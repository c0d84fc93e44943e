/**
 * A whole agent at 100,000 requests a day: where does the money go, what should be cached,
 * what can a small model do, and which configuration is cheapest while meeting the SLOs?
 *
 * The agent classifies the request and calls the knowledge-base search as a tool (tool calling:
 * the search's definition is input of classify, the call its output, the result input of the
 * answer), embeds the query, answers with retrieved context, and sometimes revises its answer in
 * a self-correction loop. The sweep
 * crosses routing (large model, cascades, a difficulty router), caches and workers.
 */
import {
  autoscale,
  cascade,
  defineScenario,
  embed,
  exactCache,
  fixed,
  llm,
  lognormal,
  loop,
  router,
  semanticCache,
  single,
  tool,
  toolCache,
  uniform,
} from 'llm-scale-bench';

export default defineScenario({
  name: 'agent',
  description: 'A support agent (classify → search → retrieve → answer → self-correct) at 100k requests/day: the cheapest configuration that meets the SLOs.',
  seed: 2026,
  traffic: { requestsPerDay: 100_000, arrivals: { shape: 'diurnal', peakToTrough: 4, peakHour: 15 } },
  requestMix: [
    {
      name: 'faq',
      share: 0.55,
      inputTokens: lognormal(50, 0.5),
      outputTokens: lognormal(150, 0.4),
      difficulty: uniform(0.05, 0.5),
      intents: 2000,
      zipf: 1.1,
      paraphrases: 5,
    },
    {
      name: 'how-to',
      share: 0.3,
      inputTokens: lognormal(120, 0.5),
      outputTokens: lognormal(300, 0.4),
      difficulty: uniform(0.3, 0.8),
      intents: 6000,
      zipf: 0.9,
    },
    {
      name: 'incident',
      share: 0.15,
      inputTokens: lognormal(250, 0.6),
      outputTokens: lognormal(400, 0.4),
      difficulty: uniform(0.5, 0.95),
      intents: 10_000,
      zipf: 0.6,
    },
  ],
  workflow: [
    llm('classify', { model: 'gpt-4o-mini', systemPromptTokens: 350, quality: false }),
    // classify calls kb-search by tool calling (live: a real tools round trip); answer reads the result
    tool('kb-search', {
      latencyMs: lognormal(350, 0.5),
      costUsd: 0.001,
      changesPerHour: 0.1,
      keyBy: 'intent',
      toolCall: { resultTokens: lognormal(400, 0.5), description: 'Searches the support knowledge base for the articles of an intent.' },
    }),
    embed('embed-query', { model: 'text-embedding-3-small' }),
    llm('answer', { systemPromptTokens: 1400, rag: { topK: 5, chunkTokens: 350 } }),
    loop('self-correct', { repeatProbability: 0.25, maxIterations: 2 }, [
      llm('review', { model: 'gpt-4o-mini', systemPromptTokens: 900, contextFrom: ['answer'], outputTokens: lognormal(90, 0.4), quality: false }),
    ]),
  ],
  strategies: { streaming: { steps: ['answer'] } },
  sweep: {
    routing: {
      'gpt-4o': single('gpt-4o'),
      'cascade@0.6': cascade(['gpt-4o-mini', 'gpt-4o'], { minConfidence: 0.6 }),
      'cascade@0.8': cascade(['gpt-4o-mini', 'gpt-4o'], { minConfidence: 0.8 }),
      'router@0.5': router({ by: 'difficulty', small: 'gpt-4o-mini', large: 'gpt-4o', threshold: 0.5, accuracy: 0.85 }),
    },
    caches: {
      none: [],
      'exact+tool': [exactCache({ step: 'answer', capacity: 50_000, ttlS: 86_400 }), toolCache({ step: 'kb-search', ttlS: 3600 })],
      'semantic+tool': [semanticCache({ step: 'answer', threshold: 0.9, capacity: 50_000, ttlS: 86_400 }), toolCache({ step: 'kb-search', ttlS: 3600 })],
    },
    workers: {
      'fixed-16': fixed(16, { costPerHourUsd: 0.4 }),
      autoscale: autoscale({ min: 4, max: 32, metric: 'utilization', target: 0.7, coldStartS: 60, cooldownS: 300, costPerHourUsd: 0.4 }),
    },
  },
  slo: { e2eP95Ms: 15_000, ttftP95Ms: 10_000, minQuality: 0.8 },
});
