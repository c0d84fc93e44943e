import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { HdrCounts } from '../../src/metrics/histogram.ts';

const PERCENTILES = [0, 0.1, 1, 5, 10, 25, 33.3, 50, 66.6, 75, 90, 92.5, 95, 99, 99.5, 99.9, 99.99, 100];

/** Records the same values in ours and in hdr-histogram-js (the reference) and compares every percentile. */
function agree(values: Array<[number, number]>): void {
  const ours = new HdrCounts();
  const ref = hdr.build({ numberOfSignificantValueDigits: 3, bitBucketSize: 32 });
  for (const [v, count] of values) {
    ours.add(v, count);
    ref.recordValueWithCount(v, count);
  }
  for (const p of PERCENTILES) expect(ours.valueAtPercentile(p), `p${p}`).toBe(ref.getValueAtPercentile(p));
}

describe('HdrCounts is HdrHistogram (3 digits) bit for bit', () => {
  it('on latencies in µs over many magnitudes, with weights', () => {
    const rng = new Rng(7);
    const values: Array<[number, number]> = [];
    for (let i = 0; i < 20_000; i++) values.push([Math.round(rng.lognormal(40_000, 2) * (rng.next() < 0.01 ? 1e4 : 1)), 1 + rng.int(300)]);
    agree(values);
  });

  it('at bucket edges, zero, and past 2^31 (where HDR falls back to floating-point log2)', () => {
    const values: Array<[number, number]> = [[0, 3]];
    for (let k = 0; k < 50; k++) for (const d of [-1, 0, 1]) if (2 ** k + d >= 0) values.push([2 ** k + d, 1 + (k % 4)]);
    for (const v of [2047, 2048, 2049, 4095, 4096, 2 ** 31 - 1, 2 ** 31, 3e9, 9e12, 2 ** 52 - 1]) values.push([v, 2]);
    agree(values);
  });

  it('with a single value and with one dominant value', () => {
    agree([[123_456, 1]]);
    agree([
      [5, 1_000_000],
      [7_000_000, 1],
    ]);
  });
});
