/**
 * Does a cascade beat the large model at equal quality?
 *
 * A support agent answers 100,000 questions a day: it classifies the question, retrieves
 * context, and writes an answer. The answer step is routed: always gpt-4o, always gpt-4o-mini,
 * or a cascade that tries gpt-4o-mini and escalates to gpt-4o when mini's confidence is low —
 * each across a few worker counts.
 */
import { cascade, defineScenario, embed, fixed, llm, lognormal, single, uniform } from 'llm-scale-bench';

export default defineScenario({
  name: 'cascade',
  description: 'Does a cascade (gpt-4o-mini, escalating to gpt-4o on low confidence) beat always-gpt-4o at equal quality?',
  seed: 42,
  traffic: { requestsPerDay: 100_000, arrivals: { shape: 'diurnal', peakToTrough: 3, peakHour: 15 } },
  requestMix: [
    {
      name: 'faq',
      share: 0.6,
      inputTokens: lognormal(60, 0.5),
      outputTokens: lognormal(180, 0.4),
      difficulty: uniform(0.1, 0.6),
      intents: 3000,
      zipf: 1.05,
    },
    {
      name: 'troubleshooting',
      share: 0.3,
      inputTokens: lognormal(200, 0.6),
      outputTokens: lognormal(350, 0.4),
      difficulty: uniform(0.4, 0.9),
      intents: 5000,
      zipf: 0.9,
    },
    {
      name: 'account',
      share: 0.1,
      inputTokens: lognormal(80, 0.5),
      outputTokens: lognormal(120, 0.4),
      difficulty: uniform(0.2, 0.7),
      intents: 800,
      zipf: 1.1,
    },
  ],
  workflow: [
    llm('classify-intent', { model: 'gpt-4o-mini', systemPromptTokens: 400, outputTokens: 8 }),
    embed('embed-query', { model: 'text-embedding-3-small' }),
    llm('answer', { systemPromptTokens: 1200, rag: { topK: 5, chunkTokens: 300 } }),
  ],
  strategies: { streaming: { steps: ['answer'] } },
  sweep: {
    routing: {
      'always-gpt-4o': single('gpt-4o'),
      'always-mini': single('gpt-4o-mini'),
      'cascade@0.5': cascade(['gpt-4o-mini', 'gpt-4o'], { minConfidence: 0.5 }),
      'cascade@0.7': cascade(['gpt-4o-mini', 'gpt-4o'], { minConfidence: 0.7 }),
      'cascade@0.9': cascade(['gpt-4o-mini', 'gpt-4o'], { minConfidence: 0.9 }),
    },
    workers: { '8': fixed(8), '12': fixed(12), '16': fixed(16) },
  },
  slo: { e2eP95Ms: 15_000, ttftP95Ms: 10_000, minQuality: 0.85 },
});
