/**
 * Fixed workers or an autoscaler over a diurnal day: what do they cost, and what p95 do they give?
 *
 * Traffic peaks in the afternoon at six times the night's rate. A fixed pool sized for the
 * peak idles all night; one sized for the average queues at the peak; an autoscaler follows the
 * curve, paying cold starts. Each worker costs $0.40 an hour.
 */
import { autoscale, defineScenario, fixed, llm, lognormal, single, tool, uniform } from 'llm-scale-bench';

const WORKER_HOUR_USD = 0.4;

export default defineScenario({
  name: 'autoscaling',
  description: 'Fixed vs autoscaled workers over a diurnal day at 100k requests/day: cost per day (LLM + workers) and p95 latency.',
  seed: 11,
  traffic: { requestsPerDay: 100_000, arrivals: { shape: 'diurnal', peakToTrough: 6, peakHour: 15 }, bursts: { count: 3, durationMin: 15, multiplier: 2 } },
  requestMix: [{ name: 'task', share: 1, inputTokens: lognormal(300, 0.5), outputTokens: lognormal(250, 0.5), difficulty: uniform(0.1, 0.6) }],
  workflow: [
    llm('plan', { model: 'gpt-4o-mini', systemPromptTokens: 500, outputTokens: 60, quality: false }),
    tool('crm-lookup', { latencyMs: lognormal(400, 0.6), costUsd: 0 }),
    llm('answer', { systemPromptTokens: 800, contextFrom: ['plan'] }),
  ],
  strategies: { routing: single('gpt-4o-mini') },
  sweep: {
    workers: {
      'fixed-8': fixed(8, { costPerHourUsd: WORKER_HOUR_USD }),
      'fixed-16': fixed(16, { costPerHourUsd: WORKER_HOUR_USD }),
      'fixed-28': fixed(28, { costPerHourUsd: WORKER_HOUR_USD }),
      'auto-util-0.7': autoscale({
        min: 2,
        max: 40,
        metric: 'utilization',
        target: 0.7,
        intervalS: 60,
        coldStartS: 90,
        cooldownS: 300,
        maxStep: 6,
        costPerHourUsd: WORKER_HOUR_USD,
      }),
      'auto-jobs-0.8': autoscale({
        min: 2,
        max: 40,
        metric: 'jobsPerWorker',
        target: 0.8,
        intervalS: 30,
        coldStartS: 90,
        cooldownS: 300,
        maxStep: 8,
        costPerHourUsd: WORKER_HOUR_USD,
      }),
      'auto-queue-1': autoscale({
        min: 2,
        max: 40,
        metric: 'queuePerWorker',
        target: 1,
        intervalS: 30,
        coldStartS: 90,
        cooldownS: 300,
        maxStep: 8,
        costPerHourUsd: WORKER_HOUR_USD,
      }),
    },
  },
  slo: { e2eP95Ms: 12_000 },
});
