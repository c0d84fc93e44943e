/** A near-miss sweep axis name gets a suggestion: in --only, and as a scenario's sweep key. */
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { BenchError } from '../../src/core/errors.ts';
import { resolveScenario } from '../../src/scenario/load.ts';

describe('a misspelt sweep axis', () => {
  it('in --only: "did you mean" the axis=choice it nearly names, exit 2', async () => {
    let stderr = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    let code: number;
    try {
      code = await main(['run', 'scenarios/streaming.ts', '--only', 'streeming=draft', '--duration-hours', '0.01']);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(2);
    expect(stderr).toBe(
      'bench: --only "streeming=draft" matches no configuration of scenarios/streaming.ts (did you mean "streaming=draft"?); they are: streaming=off, streaming=draft, streaming=plan+draft\n',
    );
  });

  it('as a scenario sweep key: "rooting" -> did you mean "routing"', () => {
    const scenario = {
      name: 't',
      traffic: { requestsPerDay: 1000 },
      requestMix: [{ name: 'q', share: 1, inputTokens: 100, outputTokens: 100, difficulty: 0.5 }],
      workflow: [{ type: 'llm', name: 'answer' }],
      sweep: { rooting: { a: { type: 'single', model: 'gpt-4o-mini' }, b: { type: 'single', model: 'gpt-4o' } } },
    };
    let message = '';
    try {
      resolveScenario(scenario, 'scenarios/x.ts');
    } catch (err) {
      expect(err).toBeInstanceOf(BenchError);
      message = (err as Error).message;
    }
    expect(message).toBe(
      'scenarios/x.ts: sweep: unknown field "rooting" (did you mean "routing"?); known fields: routing, workers, caches, streaming, compression, promptCaching',
    );
  });
});
