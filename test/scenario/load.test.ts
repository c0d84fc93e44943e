import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BenchError } from '../../src/core/errors.ts';
import { loadScenarioFile, resolveScenario } from '../../src/scenario/load.ts';

const base = () => ({
  name: 't',
  traffic: { requestsPerDay: 1000 },
  requestMix: [{ name: 'q', share: 1, inputTokens: 100, outputTokens: 100, difficulty: 0.5 }],
  workflow: [{ type: 'llm', name: 'answer' }],
});

function messageOf(input: unknown): string {
  try {
    resolveScenario(input, 'scenarios/x.ts');
  } catch (err) {
    expect(err).toBeInstanceOf(BenchError);
    return (err as Error).message;
  }
  throw new Error('expected a BenchError');
}

describe('scenario validation', () => {
  it('fills every default of a minimal scenario', () => {
    const { scenario } = resolveScenario(base());
    expect(scenario.seed).toBe(1);
    expect(scenario.traffic.durationHours).toBe(24);
    expect(scenario.traffic.arrivals).toEqual({ shape: 'poisson' });
    expect(scenario.strategies.routing).toEqual({ type: 'single', model: 'gpt-4o' });
    expect(scenario.workflow[0]).toMatchObject({ type: 'llm', model: 'routed', systemPromptTokens: 0 });
  });

  it('names the file and the path of a missing field', () => {
    const s = base() as Record<string, unknown>;
    delete s.traffic;
    expect(messageOf(s)).toBe('scenarios/x.ts: traffic: Invalid input: expected object, received undefined');
  });

  it('names the path of a wrong type deep inside the workflow', () => {
    const s = base();
    (s.workflow[0] as Record<string, unknown>).systemPromptTokens = 'long';
    expect(messageOf(s)).toBe('scenarios/x.ts: workflow[0].systemPromptTokens: Invalid input: expected number, received string');
  });

  it('rejects an unknown field instead of ignoring a typo, naming the nearest known field', () => {
    const s = { ...base(), trafic: {} };
    expect(messageOf(s)).toBe(
      'scenarios/x.ts: (top level): unknown field "trafic" (did you mean "traffic"?); known fields: name, description, seed, traffic, models, faults, requestMix, workflow, strategies, sweep, slo, gate, fittedFrom',
    );
  });

  it('names the nearest field of the union member the input chose (a cascade, a diurnal arrival, a tool step in a loop)', () => {
    const cascade = { ...base(), strategies: { routing: { type: 'cascade', models: ['gpt-4o-mini', 'gpt-4o'], minConfidance: 0.5 } } };
    expect(messageOf(cascade)).toBe(
      'scenarios/x.ts: strategies.routing: unknown field "minConfidance" (did you mean "minConfidence"?); known fields: type, models, minConfidence',
    );
    const diurnal = { ...base(), traffic: { requestsPerDay: 10, arrivals: { shape: 'diurnal', peakhour: 3 } } };
    expect(messageOf(diurnal)).toBe(
      'scenarios/x.ts: traffic.arrivals: unknown field "peakhour" (did you mean "peakHour"?); known fields: shape, peakToTrough, peakHour',
    );
    const loop = { ...base(), workflow: [{ type: 'loop', name: 'l', repeatProbability: 0.5, steps: [{ type: 'tool', name: 't', latencyMs: 3, keyby: 'x' }] }] };
    expect(messageOf(loop)).toMatch(
      /^scenarios\/x\.ts: workflow\[0\]\.steps\[0\]: unknown field "keyby" \(did you mean "keyBy"\?\); known fields: type, name, latencyMs,/,
    );
    const far = { ...base(), sweep: { colour: {} } };
    expect(messageOf(far)).toBe('scenarios/x.ts: sweep: unknown field "colour"; known fields: routing, workers, caches, streaming, compression, promptCaching');
  });

  it('refuses shares that do not sum to 1 instead of normalising them', () => {
    const s = base();
    s.requestMix = [
      { ...s.requestMix[0]!, share: 0.7 },
      { ...s.requestMix[0]!, name: 'r', share: 0.5 },
    ];
    expect(messageOf(s)).toBe('scenarios/x.ts: requestMix: the shares sum to 1.2 (q 0.7, r 0.5); they must sum to 1');
    // floating-point sums within 1e-6 of 1 are fine (0.6 + 0.3 + 0.1 = 0.9999999999999999)
    const thirds = base();
    thirds.requestMix = [0.6, 0.3, 0.1].map((share, i) => ({ ...thirds.requestMix[0]!, name: `k${i}`, share }));
    expect(() => resolveScenario(thirds)).not.toThrow();
  });

  it('refuses an empty sweep axis instead of dropping it', () => {
    const s = { ...base(), sweep: { routing: {} } };
    expect(messageOf(s)).toBe('scenarios/x.ts: sweep.routing: an empty axis; give it at least one choice, or remove it');
  });

  it('rejects an unknown model with the list of known ones', () => {
    const s = { ...base(), strategies: { routing: { type: 'single', model: 'gpt-9' } } };
    expect(messageOf(s)).toMatch(/^scenarios\/x\.ts: strategies\.routing: unknown model "gpt-9"; known models: gpt-4o, gpt-4o-mini, /);
  });

  it('rejects a cache on a step of the wrong kind', () => {
    const s = {
      ...base(),
      workflow: [
        { type: 'tool', name: 'search', latencyMs: 100 },
        { type: 'llm', name: 'answer' },
      ],
      strategies: { caches: [{ type: 'exact', step: 'search' }] },
    };
    expect(messageOf(s)).toBe('scenarios/x.ts: strategies.caches[0].step: cache type "exact" needs a step of type "llm"; "search" is of type "tool"');
  });

  it('checks every choice of a sweep axis', () => {
    const s = { ...base(), sweep: { routing: { big: { type: 'single', model: 'nope' } } } };
    expect(messageOf(s)).toMatch(/^scenarios\/x\.ts: sweep\.routing\.big: unknown model "nope"/);
  });

  it('lets a scenario add a model that extends a preset', () => {
    const { catalog } = resolveScenario({ ...base(), models: { 'my-4o': { extends: 'gpt-4o', pricing: { inputPer1M: 1 } } } });
    expect(catalog['my-4o']!.pricing.inputPer1M).toBe(1);
    expect(catalog['my-4o']!.pricing.outputPer1M).toBe(10);
  });

  it('reports a file that does not exist, and one without a default export', async () => {
    await expect(loadScenarioFile('nope/missing.ts')).rejects.toThrow('nope/missing.ts: no such file');
    const dir = mkdtempSync(join(tmpdir(), 'bench-'));
    const file = join(dir, 'empty.ts');
    writeFileSync(file, 'export const x = 1;\n');
    await expect(loadScenarioFile(file)).rejects.toThrow(`${file}: no default export; write \`export default defineScenario({...})\``);
  });
});
