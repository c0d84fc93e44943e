/** Compression: shorter system prompts, smaller RAG context (and its recall), fine-tuned models. */
import { describe, expect, it } from 'vitest';
import { CompressionSchema } from '../../src/scenario/schema.ts';
import { ragRecall } from '../../src/strategies/compression.ts';
import { drive, sequential, simulate, tinyScenario } from './harness.ts';

const compression = (c: object) => CompressionSchema.parse(c);

describe('compression', () => {
  it('systemPromptScale 0.5 removes exactly half the system prompt from every call', async () => {
    const loaded = tinyScenario({ workflow: [{ type: 'llm', name: 'answer', model: 'gpt-4o-mini', systemPromptTokens: 800 }] });
    const full = await drive(loaded, sequential(5, 60_000));
    const half = await drive(loaded, sequential(5, 60_000), { strategies: { compression: compression({ systemPromptScale: 0.5 }) } });
    expect(full.rows.map((r) => r.inputTokens)).toEqual(new Array(5).fill(900));
    expect(half.rows.map((r) => r.inputTokens)).toEqual(new Array(5).fill(500));
    expect(full.ledger.total.inputTokens - half.ledger.total.inputTokens).toBe(5 * 400);
  });

  it('RAG top-k adds topK × chunkTokens to the prompt; recall = 1 − (1 − c/(c+h))^k', async () => {
    const rag = { topK: 8, chunkTokens: 200, halfRecallChunkTokens: 400, missDifficulty: 0.4 };
    expect(ragRecall(rag)).toBeCloseTo(1 - Math.pow(2 / 3, 8), 12);
    expect(ragRecall({ ...rag, topK: 2 })).toBeCloseTo(1 - Math.pow(2 / 3, 2), 12);
    const loaded = tinyScenario({ workflow: [{ type: 'llm', name: 'answer', model: 'gpt-4o', rag: { topK: 8, chunkTokens: 200 } }] });
    const k8 = await drive(loaded, sequential(3, 60_000));
    const k2 = await drive(loaded, sequential(3, 60_000), { strategies: { compression: compression({ ragTopK: 2 }) } });
    expect(k8.rows.map((r) => r.inputTokens)).toEqual([1700, 1700, 1700]);
    expect(k2.rows.map((r) => r.inputTokens)).toEqual([500, 500, 500]);
  });

  it('a lower RAG top-k lowers tokens and quality over a day', async () => {
    const loaded = tinyScenario({
      traffic: { requestsPerDay: 3000 },
      requestMix: [{ name: 'faq', share: 1, inputTokens: 100, outputTokens: 50, difficulty: { dist: 'uniform', min: 0.3, max: 0.6 } }],
      workflow: [{ type: 'llm', name: 'answer', model: 'gpt-4o', rag: { topK: 8, chunkTokens: 200 } }],
    });
    const k8 = await simulate(loaded);
    const k2 = await simulate(loaded, { compression: compression({ ragTopK: 2 }) });
    expect(k8.cost.byStep['answer']!.inputTokens - k2.cost.byStep['answer']!.inputTokens).toBe(3000 * 6 * 200);
    expect(k2.cost.perDayUsd).toBeLessThan(k8.cost.perDayUsd);
    // recall 0.96 vs 0.56, a miss adds 0.4 difficulty: quality drops by about a quarter
    expect(k8.quality.share - k2.quality.share).toBeGreaterThan(0.15);
  });

  it('a fine-tuned model serves its steps with its own short prompt, bypassing routing', async () => {
    const loaded = tinyScenario({ workflow: [{ type: 'llm', name: 'answer', model: 'routed', systemPromptTokens: 1500 }] });
    const run = await drive(loaded, sequential(3, 60_000), {
      strategies: { compression: compression({ fineTuned: { steps: ['answer'], model: 'llama-3.1-8b-selfhosted', systemPromptTokens: 40 } }) },
    });
    expect(run.rows.map((r) => [r.model, r.inputTokens])).toEqual(new Array(3).fill(['llama-3.1-8b-selfhosted', 140]));
    expect(run.agent.routingStats()).toBeNull();
  });
});
