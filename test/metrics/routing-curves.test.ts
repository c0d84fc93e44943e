import { describe, expect, it } from 'vitest';
import { area, cpt } from '../../src/metrics/routing-curves.ts';

describe('RouteLLM metrics', () => {
  const random = [
    { strongCallShare: 0, pgr: 0 },
    { strongCallShare: 1, pgr: 1 },
  ];
  it('gives APGR 0.5 for the random-router diagonal', () => {
    expect(area(random)).toBeCloseTo(0.5, 12);
  });
  it('gives APGR of a concave curve by trapezoids', () => {
    const pts = [
      { strongCallShare: 0, pgr: 0 },
      { strongCallShare: 0.2, pgr: 0.6 },
      { strongCallShare: 0.5, pgr: 0.9 },
      { strongCallShare: 1, pgr: 1 },
    ];
    // 0.2·0.3 + 0.3·0.75 + 0.5·0.95
    expect(area(pts)).toBeCloseTo(0.06 + 0.225 + 0.475, 12);
    expect(cpt(pts, 0.5)).toBeCloseTo(0.2 * (0.5 / 0.6), 12);
    expect(cpt(pts, 0.8)).toBeCloseTo(0.2 + 0.3 * ((0.8 - 0.6) / 0.3), 12);
  });
  it('has no CPT when the curve never reaches the target', () => {
    expect(
      cpt(
        [
          { strongCallShare: 0, pgr: 0 },
          { strongCallShare: 1, pgr: 0.7 },
        ],
        0.8,
      ),
    ).toBeNull();
  });
});
