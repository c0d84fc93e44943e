/** The latency model's batched ITL draws are the per-gap draws, number for number. */
import { describe, expect, it } from 'vitest';
import { mix32, Rng } from '../../src/core/random.ts';
import { PRESET_MODELS } from '../../src/provider/catalog.ts';
import { ITL_SAMPLES_PER_CALL, sampleAnswerGaps, sampleGapMs } from '../../src/provider/latency.ts';

describe('sampleAnswerGaps', () => {
  it('draws the gaps sampleGapMs draws from new Rng(mix32(seed ^ 0x17a50001)), rescaled to the decode time, with the weights of the gaps they stand for', () => {
    const latency = PRESET_MODELS['gpt-4o']!.latency;
    for (const [outputTokens, decodeMs, inFlight, seed] of [
      [1, 0, 1, 5],
      [2, 30, 3, 6],
      [5, 90, 40, 7],
      [400, 9000.5, 12, 3_000_000_000.5],
    ] as const) {
      const got: Array<[number, number]> = [];
      sampleAnswerGaps((g, n) => got.push([g, n]), latency, outputTokens, decodeMs, inFlight, seed);
      const gaps = outputTokens - 1;
      const k = Math.min(gaps, ITL_SAMPLES_PER_CALL);
      const rng = new Rng(mix32(seed ^ 0x17a5_0001));
      const drawn = Array.from({ length: Math.max(0, k) }, () => sampleGapMs(latency, inFlight, rng));
      const sum = drawn.reduce((a, b) => a + b, 0);
      const scale = sum > 0 ? decodeMs / gaps / (sum / k) : 0;
      const each = Math.floor(gaps / k);
      expect(got).toEqual(drawn.map((d, i) => [d * scale, each + (i < gaps - each * k ? 1 : 0)]));
      expect(got.reduce((a, [, n]) => a + n, 0)).toBe(Math.max(0, gaps));
    }
  });
});
