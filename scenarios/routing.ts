/**
 * Which router, and does fallback rescue a rate-limited provider?
 *
 * A help-desk agent answers 100,000 requests a day of three kinds. The answer step is routed by
 * task kind (incidents to the large model), by predicted difficulty (a cheap heuristic), or by a classifier call to a small model (paid and waited for) — against
 * always-large and always-small. gpt-4o is rate-limited at 60 requests a minute here, so the
 * last choice retries with backoff and then falls back to claude-sonnet-4.
 */
import { defineScenario, fallback, llm, lognormal, router, single, uniform } from 'llm-scale-bench';

export default defineScenario({
  name: 'routing',
  description: 'Routing by task kind, predicted difficulty or a classifier call, and fallback when gpt-4o is rate-limited, at 100k requests/day.',
  seed: 17,
  traffic: { requestsPerDay: 100_000, arrivals: { shape: 'diurnal', peakToTrough: 3, peakHour: 14 } },
  faults: { 'gpt-4o': { requestsPerMinute: 60 } },
  requestMix: [
    { name: 'faq', share: 0.5, inputTokens: lognormal(60, 0.5), outputTokens: lognormal(150, 0.4), difficulty: uniform(0.05, 0.5) },
    { name: 'how-to', share: 0.35, inputTokens: lognormal(120, 0.5), outputTokens: lognormal(280, 0.4), difficulty: uniform(0.3, 0.75) },
    { name: 'incident', share: 0.15, inputTokens: lognormal(300, 0.5), outputTokens: lognormal(400, 0.4), difficulty: uniform(0.55, 0.95) },
  ],
  workflow: [llm('answer', { systemPromptTokens: 900 })],
  strategies: { workers: { type: 'fixed', workers: 24 } },
  sweep: {
    routing: {
      'always-mini': single('gpt-4o-mini'),
      'always-sonnet': single('claude-sonnet-4'),
      'by-task': router({ by: 'task', small: 'gpt-4o-mini', large: 'claude-sonnet-4', largeKinds: ['incident'] }),
      'by-difficulty': router({ by: 'difficulty', small: 'gpt-4o-mini', large: 'claude-sonnet-4', threshold: 0.55, accuracy: 0.8 }),
      'by-classifier': router({
        by: 'classifier',
        small: 'gpt-4o-mini',
        large: 'claude-sonnet-4',
        classifierModel: 'gpt-4o-mini',
        threshold: 0.55,
        accuracy: 0.92,
      }),
      'gpt-4o-rate-limited': single('gpt-4o'),
      'gpt-4o-then-sonnet': fallback(['gpt-4o', 'claude-sonnet-4'], { retries: 1, backoffMs: 300 }),
    },
  },
  slo: { e2eP95Ms: 20_000, minQuality: 0.8 },
});
