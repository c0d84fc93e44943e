import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, nearest } from '../../src/core/suggest.ts';

describe('nearest-match suggestions', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps', () => {
    expect(editDistance('run', 'run')).toBe(0);
    expect(editDistance('rnu', 'run')).toBe(1); // swap
    expect(editDistance('sede', 'seed')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('KeyBy', 'keyby')).toBe(0);
  });

  it('suggests only a likely typo', () => {
    expect(nearest('rnu', ['run', 'report', 'compare'])).toBe('run');
    expect(nearest('colour', ['routing', 'workers'])).toBeUndefined();
    expect(nearest('x', [])).toBeUndefined();
    expect(didYouMean('treshold', ['threshold', 'thresholds'])).toBe(' (did you mean threshold?)');
    expect(didYouMean('zzz', ['threshold'])).toBe('');
  });
});
