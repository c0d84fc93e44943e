import { describe, expect, it } from 'vitest';
import { findings } from '../../src/report/index.ts';
import { buildResults } from '../fixtures/results.ts';

describe('findings: SLOs', () => {
  it('names the cheapest configuration that meets every SLO', () => {
    const f = findings(buildResults());
    expect(f.slo).toEqual({ verdict: 'met', config: 'routing=cascade cache=exact', costPerDayUsd: 339, meeting: 1, configs: 6 });
    expect(f.reference).toBe('routing=cascade cache=exact');
    expect(f.sentences[0]).toEqual({
      topic: 'slo',
      text: 'The cheapest configuration that meets every SLO is routing=cascade cache=exact at $339.00 a day (e2e p95 3,830 ms, quality 90.0%); 1 of 6 configurations meets them all.',
    });
  });

  it('says none meets the SLOs and names the closest (fewest misses, then smallest miss)', () => {
    const f = findings(buildResults({ slo: { e2eP95Ms: 4000, ttftP95Ms: 1500, minQuality: 0.85, maxCostPerDayUsd: 100 } }));
    expect(f.slo.verdict).toBe('none-met');
    expect(f.sentences[0].text).toBe(
      'No configuration meets every SLO; the closest is routing=cascade cache=exact, which misses cost/day ($339.00 against a target of $100.00).',
    );
  });

  it('falls back to the cheapest configuration when the scenario sets no SLOs', () => {
    const f = findings(buildResults({ slo: {} }));
    expect(f.slo).toEqual({ verdict: 'no-slo', cheapest: 'routing=small cache=exact', costPerDayUsd: 159 });
    expect(f.sentences[0].text).toBe('The scenario sets no SLOs; the cheapest of 6 configurations is routing=small cache=exact at $159.00 a day.');
  });

  it('reports an empty run without inventing findings', () => {
    const results = buildResults();
    results.configurations = [];
    const f = findings(results);
    expect(f.slo).toEqual({ verdict: 'empty' });
    expect(f.topStep).toBeNull();
    expect(f.summary).toBe('The run holds no finished configuration, so there is nothing to report.');
  });

  it('mentions configurations an interrupted run did not finish', () => {
    const results = buildResults();
    results.missing = ['routing=router cache=none'];
    expect(findings(results).summary).toContain('The run was interrupted: 1 configuration did not finish (routing=router cache=none).');
  });
});

describe('findings: most expensive step', () => {
  it('gives the top step of the reference configuration, its share and how often it tops', () => {
    const f = findings(buildResults());
    expect(f.topStep).toEqual({ config: 'routing=cascade cache=exact', step: 'answer', share: 0.888889, costPerDayUsd: 216, topInConfigs: 5, configs: 6 });
    expect(f.sentences.find((s) => s.topic === 'cost')?.text).toBe(
      'The most expensive step is answer: 88.9% of call spend ($216.00 a day) in routing=cascade cache=exact. It is the most expensive step in 5 of 6 configurations.',
    );
  });
});

describe('findings: caching', () => {
  it('picks the cache that saves the most, with its step, key, value, hit rate and saving', () => {
    const f = findings(buildResults());
    expect(f.caching).toMatchObject({
      cache: 'answer-exact',
      step: 'answer',
      key: 'hash(model, normalised prompt, retrieved doc ids)',
      value: 'the final answer text',
      hitRate: 0.25,
      savedPerDayUsd: 72,
      trustworthy: true,
    });
    expect(f.sentences.find((s) => s.topic === 'caching')?.text).toBe(
      'The best caching candidate is an exact cache on step answer (key: hash(model, normalised prompt, retrieved doc ids); value: the final answer text), with 25.0% hit rate and 100.0% precision, saving $72.00 a day (22.9% of call spend) in routing=cascade cache=exact.',
    );
  });

  it('prefers a trustworthy cache over a bigger one that serves wrong answers', () => {
    const results = buildResults();
    const ref = results.configurations.find((c) => c.name === 'routing=cascade cache=exact')!;
    ref.caches['answer-exact'] = { ...ref.caches['answer-exact'], kind: 'semantic', precision: 0.8, falseHits: 5000 };
    expect(findings(results).caching?.cache).toBe('search-tool');
  });

  it('says there is no candidate when the run has no caches', () => {
    const f = findings(buildResults({ caches: ['none'] }));
    expect(f.caching).toBeNull();
    expect(f.sentences.find((s) => s.topic === 'caching')?.text).toBe(
      'No caches were in this run, so there is no measured caching candidate; sweep a cache on the most expensive step to find one.',
    );
  });
});

describe('findings: routing', () => {
  it('proposes the cheapest routing that keeps quality above the SLO, on the steps it moves', () => {
    const f = findings(buildResults());
    expect(f.routing).toMatchObject({
      axis: 'routing',
      fixed: { cache: 'exact' },
      baseline: { config: 'routing=strong cache=exact', strategy: 'single(gpt-4o)', costPerDayUsd: 723, quality: 0.92 },
      proposal: { config: 'routing=cascade cache=exact', savedPerDayUsd: 384, strongCallShare: 0.3 },
      steps: ['answer'],
      qualityFloor: 0.85,
    });
    expect(f.routing?.rejected.map((r) => r.config)).toEqual(['routing=small cache=exact']);
    expect(f.sentences.find((s) => s.topic === 'routing')?.text).toBe(
      'Routing proposal: use cascade(gpt-4o-mini→gpt-4o, 0.7) instead of single(gpt-4o) on step answer (holding cache=exact); 70.0% of routed requests stay on the small model, saving $384.00 a day (53.1%) at a quality cost of 2.0 pp (92.0% → 90.0%). single(gpt-4o-mini) would save $564.00 a day but quality falls to 78.0%, below the 85.0% quality SLO.',
    );
  });

  it('without a quality SLO, allows at most 1 pp of quality loss', () => {
    const f = findings(buildResults({ slo: { e2eP95Ms: 4000 }, caches: ['exact'] }));
    expect(f.routing?.proposal).toBeNull();
    expect(f.sentences.find((s) => s.topic === 'routing')?.text).toBe(
      'Routing: no strategy is cheaper than single(gpt-4o) (holding cache=exact) while keeping quality within 1 pp of single(gpt-4o). single(gpt-4o-mini) would save $564.00 a day but quality falls to 78.0%, more than 1 pp below single(gpt-4o). cascade(gpt-4o-mini→gpt-4o, 0.7) would save $384.00 a day but quality falls to 90.0%, more than 1 pp below single(gpt-4o).',
    );
  });

  it('says which SLOs the proposal misses when no tested setting lets it meet them', () => {
    const f = findings(buildResults({ slo: { e2eP95Ms: 3800, minQuality: 0.85, maxCostPerDayUsd: 800 } }));
    expect(f.reference).toBe('routing=strong cache=exact');
    expect(f.routing?.proposalMisses).toEqual([{ metric: 'e2eP95Ms', target: 3800, observed: 3830, met: false }]);
    expect(f.sentences.find((s) => s.topic === 'routing')?.text).toContain(
      'But with cache=exact it misses e2e p95 (3,830 ms against a target of 3,800 ms); no cheaper routing meets every SLO at any tested cache.',
    );
  });

  it('has no proposal when the sweep does not vary routing', () => {
    const f = findings(buildResults({ routings: ['cascade'] }));
    expect(f.routing).toBeNull();
    expect(f.sentences.find((s) => s.topic === 'routing')?.text).toBe(
      'Only one routing strategy ran (cascade(gpt-4o-mini→gpt-4o, 0.7)); sweep a routing axis to see what a cascade or router would save.',
    );
  });
});
