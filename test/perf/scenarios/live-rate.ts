/**
 * The live generator benchmark's traffic (test/perf/live.perf.ts): one short streamed answer per
 * request, Poisson arrivals; the benchmark sets requestsPerDay and durationHours for each rate.
 * Workers are plenty, so no request waits in the executor's queue (queue wait is not send lag).
 */
import { constant, defineScenario, fixed, llm, uniform } from 'llm-scale-bench';

export default defineScenario({
  name: 'live-rate',
  description: 'Live generator benchmark: one short streamed answer per request at a fixed mean rate.',
  seed: 7,
  traffic: { requestsPerDay: 1_728_000, durationHours: 0.05 },
  requestMix: [{ name: 'q', share: 1, inputTokens: constant(40), outputTokens: constant(16), difficulty: uniform(0.1, 0.5) }],
  workflow: [llm('answer', { model: 'gpt-4o-mini', systemPromptTokens: 60, quality: false })],
  strategies: { workers: fixed(100_000) },
  slo: { e2eP95Ms: 20_000 },
});
