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

  it('rejects an unknown field instead of ignoring a typo', () => {
    const s = { ...base(), trafic: {} };
    expect(messageOf(s)).toBe('scenarios/x.ts: (top level): Unrecognized key: "trafic"');
  });

  it('rejects an unknown model with the list of known ones', () => {
    const s = { ...base(), strategies: { routing: { type: 'single', model: 'gpt-9' } } };
    expect(messageOf(s)).toMatch(/^scenarios\/x\.ts: strategies\.routing: unknown model "gpt-9"; known models: gpt-4o, gpt-4o-mini, /);
  });

  it('rejects a cache on a step of the wrong kind', () => {
    const s = {
      ...base(),
      workflow: [{ type: 'tool', name: 'search', latencyMs: 100 }, { type: 'llm', name: 'answer' }],
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
