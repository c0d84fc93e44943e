/**
 * Golden tests of the findings rules over hand-built results whose answer is known: each test
 * sets a few configurations' cost, quality and latency and states the exact words expected.
 */
import { describe, expect, it } from 'vitest';
import { sloResult } from '../../src/metrics/recorder.ts';
import { computeFindings, orderFindings, pickHeadline } from '../../src/report/findings.ts';
import type { ConfigResult, Finding, ResultsFile, SloResult } from '../../src/results/schema.ts';
import { buildResults } from '../fixtures/results.ts';

interface Shape {
  axes: Record<string, string>;
  costPerDayUsd: number;
  quality: number;
  p95Ms: number;
  queueP95Ms?: number;
  utilization?: number;
  workers?: number;
  promptCache?: boolean;
  ownCache?: boolean;
  replicates?: Array<{ seed: number; costPerDayUsd: number }>;
}

const BASE = buildResults().configurations[5];
const N = 100_000;

/** A configuration with these figures; its latency CDF is a straight line up to p95 and p99, so p95's sampling error is small. */
function config(shape: Shape, slo: SloResult['targets']): ConfigResult {
  const c: ConfigResult = structuredClone(BASE);
  c.axes = shape.axes;
  c.name = Object.entries(shape.axes)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  c.cost = {
    ...c.cost,
    perDayUsd: shape.costPerDayUsd,
    perMonthUsd: shape.costPerDayUsd * 30,
    topStep: { step: 'answer', share: 0.9, costPerDayUsd: shape.costPerDayUsd * 0.9 },
  };
  c.quality = { share: shape.quality, correct: Math.round(shape.quality * N), total: N };
  c.requests = { total: N, completed: N, failed: 0, correct: Math.round(shape.quality * N) };
  c.latencyMs = {
    ...c.latencyMs,
    e2e: { ...c.latencyMs.e2e, count: N, p95: shape.p95Ms, p99: shape.p95Ms * 1.05 },
    queueWait: { ...c.latencyMs.queueWait, count: N, p95: shape.queueP95Ms ?? 0 },
  };
  c.cdf = {
    ...c.cdf,
    e2e: [
      [0, 0],
      [shape.p95Ms * 0.9, 0.9],
      [shape.p95Ms, 0.95],
      [shape.p95Ms * 1.05, 0.99],
      [shape.p95Ms * 1.1, 1],
    ],
  };
  c.workers = { ...c.workers, utilization: shape.utilization ?? 0.5, max: shape.workers ?? 8, mean: shape.workers ?? 8 };
  c.caches = {};
  if (shape.promptCache) c.caches['prompt:gpt-4o'] = { ...BASE.caches['answer-exact'], kind: 'prompt', step: '(all steps)' };
  if (shape.ownCache) c.caches['answer-exact'] = BASE.caches['answer-exact'];
  c.slo = sloResult(
    { maxErrorRate: 1, ...slo } as Parameters<typeof sloResult>[0],
    { e2eP95: shape.p95Ms, ttftP95: 0, quality: shape.quality, perDayUsd: shape.costPerDayUsd, errorRate: 0 },
    1,
  );
  if (shape.replicates) {
    c.replicates = shape.replicates.map((r) => ({ seed: r.seed, metrics: { ...headlineOf(c), costPerDayUsd: r.costPerDayUsd } }));
  } else delete c.replicates;
  return c;
}

function headlineOf(c: ConfigResult) {
  return {
    costPerDayUsd: c.cost.perDayUsd,
    costPerRequestUsd: 0,
    e2eP50Ms: 0,
    e2eP95Ms: c.latencyMs.e2e.p95,
    e2eP99Ms: 0,
    ttftP50Ms: 0,
    ttftP95Ms: 0,
    queueWaitP95Ms: 0,
    quality: c.quality.share,
    errorRate: 0,
    peakRps: 1,
  };
}

/** A run of these configurations; `sweep` is the resolved scenario's sweep (settings in words come from it). */
function run(
  shapes: Shape[],
  slo: SloResult['targets'],
  sweep: Record<string, Record<string, unknown>> = {},
  strategies: Record<string, unknown> = { promptCaching: true },
): ResultsFile {
  const r = buildResults();
  r.slo = slo;
  r.scenario.config = { sweep, strategies };
  r.configurations = shapes.map((s) => config(s, slo));
  return r;
}

const SLO = { e2eP95Ms: 9000, minQuality: 0.85 };
const ROUTING = {
  'gpt-4o': { type: 'single', model: 'gpt-4o' },
  'cascade@0.6': { type: 'cascade', models: ['gpt-4o-mini', 'gpt-4o'], minConfidence: 0.6 },
  mini: { type: 'single', model: 'gpt-4o-mini' },
};
const WORKERS = { '8': { type: 'fixed', workers: 8, costPerHourUsd: 0 }, '16': { type: 'fixed', workers: 16, costPerHourUsd: 0 } };

const byId = (list: Finding[], id: string) => list.find((f) => f.id === id);
const recommended = (list: Finding[]) => list.flatMap((f) => (f.recommend ? [f.recommend.config] : []));

describe('findings: the headline', () => {
  it('is the cheapest configuration that meets every SLO, quality included', () => {
    const r = run(
      [
        { axes: { routing: 'mini' }, costPerDayUsd: 50, quality: 0.7, p95Ms: 3000 },
        { axes: { routing: 'cascade@0.6' }, costPerDayUsd: 300, quality: 0.86, p95Ms: 5000 },
        { axes: { routing: 'gpt-4o' }, costPerDayUsd: 700, quality: 0.87, p95Ms: 4000 },
      ],
      SLO,
      { routing: ROUTING },
    );
    const f = computeFindings(r);
    expect(f[0]).toEqual({
      id: 'headline',
      kind: 'headline',
      severity: 'recommendation',
      text: 'The cheapest configuration that meets every SLO is routing=cascade@0.6: $300.00 a day ($9,000 a month), e2e p95 5,000 ms, quality 86%. 2 of 3 configurations meet every SLO.',
      evidence: {
        configs: ['routing=cascade@0.6'],
        figures: { costPerDayUsd: 300, costPerMonthUsd: 9000, e2eP95Ms: 5000, quality: 0.86, meeting: 2, configurations: 3 },
      },
      recommend: { config: 'routing=cascade@0.6' },
    });
  });

  it('never recommends a configuration that misses an SLO, even by a hair of quality', () => {
    const r = run(
      [
        { axes: { routing: 'mini' }, costPerDayUsd: 50, quality: 0.8499, p95Ms: 3000 },
        { axes: { routing: 'gpt-4o' }, costPerDayUsd: 700, quality: 0.87, p95Ms: 4000 },
      ],
      SLO,
      { routing: ROUTING },
    );
    const f = computeFindings(r);
    expect(recommended(f)).toEqual(['routing=gpt-4o', 'routing=gpt-4o']);
    expect(byId(f, 'choice:routing')?.text).toBe(
      'routing=gpt-4o (single model gpt-4o) is the only routing choice that meets every SLO. routing=mini would cost $650.00 a day less but misses quality by 0.01 pp (85% against a target of 85%).',
    );
  });

  it('breaks a tie in cost (within the noise) by the lower p95', () => {
    const slo = { e2eP95Ms: 9000 };
    const a = config({ axes: { workers: '8' }, costPerDayUsd: 100, quality: 0.9, p95Ms: 8000 }, slo);
    const b = config({ axes: { workers: '16' }, costPerDayUsd: 100.5, quality: 0.9, p95Ms: 3000 }, slo);
    const c = config({ axes: { workers: '24' }, costPerDayUsd: 120, quality: 0.9, p95Ms: 1000 }, slo);
    expect(pickHeadline([a, b, c])?.name).toBe('workers=16');
    expect(pickHeadline([a, c])?.name).toBe('workers=8');
  });

  it('says when none meets every SLO, names the closest, by how much it misses and the measured change that closes the gap', () => {
    const r = run(
      [
        { axes: { routing: 'cascade@0.6', workers: '8' }, costPerDayUsd: 300, quality: 0.86, p95Ms: 15_958, queueP95Ms: 9000, utilization: 0.99 },
        { axes: { routing: 'cascade@0.6', workers: '16' }, costPerDayUsd: 700, quality: 0.86, p95Ms: 6000 },
        { axes: { routing: 'mini', workers: '8' }, costPerDayUsd: 100, quality: 0.7, p95Ms: 20_000, queueP95Ms: 12_000 },
        { axes: { routing: 'mini', workers: '16' }, costPerDayUsd: 120, quality: 0.7, p95Ms: 5000 },
      ],
      { e2eP95Ms: 9000, minQuality: 0.85, maxCostPerDayUsd: 310 },
      { routing: ROUTING, workers: WORKERS },
    );
    const f = computeFindings(r);
    expect(f[0]).toMatchObject({ id: 'headline', kind: 'slo-gap', severity: 'critical', evidence: { configs: ['routing=cascade@0.6 workers=8'] } });
    expect(f[0].recommend).toBeUndefined();
    expect(f[0].text).toBe(
      'No configuration meets every SLO. The closest, routing=cascade@0.6 workers=8, misses e2e p95 by 6.96 s (16 s against a target of 9 s). ' +
        'To close the gap: 16 workers (16 fixed workers) brings e2e p95 to 6,000 ms, but then misses cost/day by $390.00 ($700.00 against a target of $310.00).',
    );
    expect(recommended(f)).toEqual([]);
  });

  it('names what the numbers point to when no measured change closes the gap: workers for a queue, a stronger model for quality', () => {
    const r = run(
      [
        { axes: { routing: 'cascade@0.6' }, costPerDayUsd: 300, quality: 0.83, p95Ms: 15_000, queueP95Ms: 10_000, utilization: 0.98, workers: 8 },
        { axes: { routing: 'mini' }, costPerDayUsd: 100, quality: 0.7, p95Ms: 16_000, queueP95Ms: 12_000, utilization: 0.99, workers: 8 },
      ],
      SLO,
      { routing: ROUTING },
    );
    expect(computeFindings(r)[0].text).toBe(
      'No configuration meets every SLO. The closest, routing=cascade@0.6, misses e2e p95 by 6 s (15 s against a target of 9 s) and quality by 2 pp (83% against a target of 85%). ' +
        'To close the gap: more workers: queue wait p95 is 10 s of the 15 s e2e p95, with 8 workers 98% busy; ' +
        'a stronger model or a higher cascade threshold on the routed step (the best quality measured is 83%, by routing=cascade@0.6).',
    );
  });
});

describe('findings: one change said once, and no advice from invalid figures', () => {
  it('names a change once when two failed checks point to it (e2e and TTFT p95 both waiting in the queue)', () => {
    const slo = { e2eP95Ms: 9000, ttftP95Ms: 2000 };
    const r = run([{ axes: { routing: 'mini' }, costPerDayUsd: 100, quality: 0.9, p95Ms: 15_000, queueP95Ms: 12_000, utilization: 0.99, workers: 8 }], slo);
    const c = r.configurations[0]!;
    c.slo = sloResult({ maxErrorRate: 1, ...slo }, { e2eP95: 15_000, ttftP95: 14_000, quality: 0.9, perDayUsd: 100, errorRate: 0 }, 1);
    expect(computeFindings(r)[0].text).toBe(
      'No configuration meets every SLO. The closest, routing=mini, misses e2e p95 by 6 s (15 s against a target of 9 s) and TTFT p95 by 12 s (14 s against a target of 2 s). ' +
        'To close the gap: more workers: queue wait p95 is 12 s of the 15 s e2e p95, with 8 workers 99% busy.',
    );
  });

  const invalidRecord = {
    kind: 'send-lag',
    valid: false,
    observed: 29_000,
    threshold: 100,
    unit: 'ms',
    message: 'send lag p99 29,000 ms (scenario time) against at most 100 ms',
  };

  it('draws no advice from a configuration that failed a validity check, and says why', () => {
    const r = run(
      [
        { axes: { routing: 'gpt-4o' }, costPerDayUsd: 700, quality: 0.9, p95Ms: 6000 },
        { axes: { routing: 'mini' }, costPerDayUsd: 50, quality: 0.9, p95Ms: 5000 },
      ],
      SLO,
      { routing: ROUTING },
    );
    // the cheap one meets every SLO only because its figures are not real
    r.configurations[1]!.validity = [invalidRecord as NonNullable<ConfigResult['validity']>[number]];
    const list = computeFindings(r);
    expect(list[0].id).toBe('headline');
    expect(list[0].evidence.configs).toEqual(['routing=gpt-4o']);
    expect(byId(list, 'invalid')?.text).toBe(
      '1 of 2 configurations failed a validity check (routing=mini; first: send lag p99 29,000 ms (scenario time) against at most 100 ms), ' +
        'so its figures do not describe the system and no advice is drawn from them; the findings below cover the 1 valid one. Rerun on an idle machine or at a lower time scale.',
    );
    expect(list.some((f) => f.id !== 'invalid' && f.text.includes('routing=mini'))).toBe(false);
    expect(recommended(list)).not.toContain('routing=mini');
  });

  it('with every configuration invalid, the headline says so and nothing else is advised', () => {
    const r = run([{ axes: { routing: 'mini' }, costPerDayUsd: 50, quality: 0.5, p95Ms: 50_000, queueP95Ms: 49_000, workers: 32, utilization: 0.18 }], SLO);
    r.configurations[0]!.validity = [invalidRecord as NonNullable<ConfigResult['validity']>[number]];
    const list = computeFindings(r);
    expect(list.map((f) => f.id)).toEqual(['headline']);
    expect(list[0].kind).toBe('invalid');
    expect(list[0].text).toMatch(
      /^1 of 1 configuration failed a validity check \(routing=mini; first: send lag p99 29,000 ms .*no advice is drawn from them\. Rerun/,
    );
  });
});

describe('findings: choices (proposals)', () => {
  const sweep = {
    caches: {
      none: [],
      exact: [{ type: 'exact', step: 'answer', capacity: 20_000, ttlS: 86_400 }],
      'semantic@0.85': [{ type: 'semantic', step: 'answer', capacity: 20_000, ttlS: 86_400, threshold: 0.85 }],
    },
  };

  it('names the concrete setting and the trade-off in $/day, $/month, quality pp and p95', () => {
    const r = run(
      [
        { axes: { caches: 'none' }, costPerDayUsd: 400, quality: 0.9, p95Ms: 6000, promptCache: true },
        { axes: { caches: 'exact' }, costPerDayUsd: 350, quality: 0.9, p95Ms: 5800, promptCache: true, ownCache: true },
        { axes: { caches: 'semantic@0.85' }, costPerDayUsd: 300, quality: 0.88, p95Ms: 5000, promptCache: true, ownCache: true },
      ],
      SLO,
      sweep,
    );
    const choice = byId(computeFindings(r), 'choice:caches')!;
    expect(choice.text).toBe(
      'caches=semantic@0.85 (semantic cache on answer (similarity ≥ 0.85, TTL 24 h)) is the cheapest caches choice that meets every SLO: against caches=exact, the next cheapest that does, ' +
        'it saves $50.00 a day ($1,500 a month), quality −2 pp (90% → 88%), e2e p95 −800 ms (5,800 ms → 5,000 ms).',
    );
    expect(choice.recommend).toEqual({ config: 'caches=semantic@0.85', setting: 'caches: semantic cache on answer (similarity ≥ 0.85, TTL 24 h)' });
    expect(choice.impactPerMonthUsd).toBe(1500);
    expect(choice.evidence.configs).toEqual(['caches=semantic@0.85', 'caches=exact']);
  });

  it('never makes a proposal below the quality floor', () => {
    const r = run(
      [
        { axes: { caches: 'exact' }, costPerDayUsd: 350, quality: 0.9, p95Ms: 5800, ownCache: true },
        { axes: { caches: 'semantic@0.85' }, costPerDayUsd: 250, quality: 0.84, p95Ms: 5000, ownCache: true },
      ],
      SLO,
      sweep,
    );
    const f = computeFindings(r);
    expect(recommended(f)).not.toContain('caches=semantic@0.85');
    expect(byId(f, 'choice:caches')?.text).toBe(
      'caches=exact (exact cache on answer (TTL 24 h)) is the only caches choice that meets every SLO. caches=semantic@0.85 would cost $100.00 a day less but misses quality by 1 pp (84% against a target of 85%).',
    );
  });

  it('when only one value meets every SLO, names the alternative that comes closest and what it misses', () => {
    const slo = { e2eP95Ms: 20_000, ttftP95Ms: 2000 };
    const r = run(
      [
        { axes: { streaming: 'off' }, costPerDayUsd: 182, quality: 0.94, p95Ms: 17_500 },
        { axes: { streaming: 'draft' }, costPerDayUsd: 182, quality: 0.94, p95Ms: 17_500 },
        { axes: { streaming: 'plan+draft' }, costPerDayUsd: 182, quality: 0.94, p95Ms: 17_500 },
      ],
      slo,
      { streaming: { off: { steps: [] }, draft: { steps: ['draft'] }, 'plan+draft': { steps: ['plan', 'draft'] } } },
    );
    // TTFT is set by hand: streaming moves the first token, not the end
    for (const [i, ttft] of [40_000, 3496, 1500].entries()) {
      const c = r.configurations[i]!;
      c.slo = sloResult({ maxErrorRate: 1, ...slo }, { e2eP95: 17_500, ttftP95: ttft, quality: 0.94, perDayUsd: 182, errorRate: 0 }, 1);
    }
    expect(byId(computeFindings(r), 'choice:streaming')?.text).toBe(
      'streaming=plan+draft (streaming plan, draft) is the only streaming choice that meets every SLO. streaming=draft misses TTFT p95 by 1,496 ms (3,496 ms against a target of 2,000 ms).',
    );
  });

  it('holds the other axes and orders choices by what they save a month', () => {
    const r = run(
      [
        { axes: { routing: 'gpt-4o', workers: '8' }, costPerDayUsd: 700, quality: 0.88, p95Ms: 8000 },
        { axes: { routing: 'gpt-4o', workers: '16' }, costPerDayUsd: 720, quality: 0.88, p95Ms: 5000 },
        { axes: { routing: 'cascade@0.6', workers: '8' }, costPerDayUsd: 400, quality: 0.86, p95Ms: 8500 },
        { axes: { routing: 'cascade@0.6', workers: '16' }, costPerDayUsd: 430, quality: 0.86, p95Ms: 5000 },
      ],
      SLO,
      { routing: ROUTING, workers: WORKERS },
    );
    const f = computeFindings(r);
    expect(f.map((x) => x.id)).toEqual(['headline', 'choice:routing', 'choice:workers', 'top-step', 'hint:caching']);
    expect(f[1].text).toBe(
      'routing=cascade@0.6 (cascade gpt-4o-mini→gpt-4o escalating below confidence 0.6) is the cheapest routing choice that meets every SLO at 8 workers: against routing=gpt-4o, the next cheapest that does, ' +
        'it saves $300.00 a day ($9,000 a month), quality −2 pp (88% → 86%), e2e p95 +500 ms (8,000 ms → 8,500 ms).',
    );
    expect(f[2].text).toBe(
      '8 workers (8 fixed workers) is the cheapest workers choice that meets every SLO at routing=cascade@0.6: against 16 workers, the next cheapest that does, ' +
        'it saves $30.00 a day ($900.00 a month), quality the same within noise (86%), e2e p95 +3,500 ms (5,000 ms → 8,500 ms).',
    );
  });
});

describe('findings: noise', () => {
  it('drops a cost difference inside the noise (one replication: under 1%)', () => {
    const r = run(
      [
        { axes: { workers: '8' }, costPerDayUsd: 100, quality: 0.9, p95Ms: 5000 },
        { axes: { workers: '16' }, costPerDayUsd: 100.8, quality: 0.9, p95Ms: 4000 },
      ],
      SLO,
      { workers: WORKERS },
    );
    const f = computeFindings(r);
    expect(byId(f, 'choice:workers')).toBeUndefined();
    expect(f[0].evidence.configs).toEqual(['workers=16']);
  });

  it("uses the replications' interval when there is one: a 5% saving that swings with the seed is not a finding", () => {
    const r = run(
      [
        {
          axes: { workers: '8' },
          costPerDayUsd: 100,
          quality: 0.9,
          p95Ms: 5000,
          replicates: [
            { seed: 1, costPerDayUsd: 100 },
            { seed: 2, costPerDayUsd: 80 },
            { seed: 3, costPerDayUsd: 120 },
          ],
        },
        {
          axes: { workers: '16' },
          costPerDayUsd: 105,
          quality: 0.9,
          p95Ms: 4000,
          replicates: [
            { seed: 1, costPerDayUsd: 105 },
            { seed: 2, costPerDayUsd: 120 },
            { seed: 3, costPerDayUsd: 90 },
          ],
        },
      ],
      SLO,
      { workers: WORKERS },
    );
    expect(byId(computeFindings(r), 'choice:workers')).toBeUndefined();
    r.configurations[1].replicates = [1, 2, 3].map((seed, i) => ({
      seed,
      metrics: { ...r.configurations[1].replicates![0].metrics, costPerDayUsd: [105, 85, 125][i] },
    }));
    expect(byId(computeFindings(r), 'choice:workers')?.evidence.figures.savedPerDayUsd).toBe(5);
  });

  it('reads a quality difference inside the sampling error of a proportion as the same', () => {
    const r = run(
      [
        { axes: { workers: '8' }, costPerDayUsd: 100, quality: 0.9, p95Ms: 5000 },
        { axes: { workers: '16' }, costPerDayUsd: 120, quality: 0.9025, p95Ms: 4000 },
      ],
      SLO,
      { workers: WORKERS },
    );
    expect(byId(computeFindings(r), 'choice:workers')?.text).toContain('quality the same within noise (90%)');
  });
});

describe('findings: never propose what is already on', () => {
  it('proposes neither provider prompt caching nor a cache when the configuration has them', () => {
    const r = run([{ axes: { x: 'a' }, costPerDayUsd: 100, quality: 0.9, p95Ms: 5000, promptCache: true, ownCache: true }], SLO);
    expect(computeFindings(r).filter((f) => f.kind === 'hint')).toEqual([]);
  });

  it('hints at a cache axis only when no cache ran, and at prompt caching only when it is off', () => {
    const r = run([{ axes: { x: 'a' }, costPerDayUsd: 100, quality: 0.9, p95Ms: 5000 }], SLO, {}, { promptCaching: false });
    expect(
      computeFindings(r)
        .filter((f) => f.kind === 'hint')
        .map((f) => f.text),
    ).toEqual([
      'Provider prompt caching is off in x=a; sweep promptCaching on and off to measure what cached-input prices would save.',
      'No cache of ours ran in this sweep; add a cache axis on answer (90% of call spend) to measure what it saves and what its false hits cost in quality.',
    ]);
  });
});

describe('findings: order and repeats', () => {
  it('puts the headline first, then by impact, and drops a finding said twice', () => {
    const f = (id: string, impact?: number, text = id): Finding => ({
      id,
      kind: 'choice',
      severity: impact ? 'recommendation' : 'info',
      text,
      evidence: { configs: [], figures: {} },
      ...(impact ? { impactPerMonthUsd: impact } : {}),
    });
    const ordered = orderFindings([f('a', 100), f('top-step'), f('b', 900), { ...f('headline'), kind: 'headline' }, f('c', 100, 'b')]);
    expect(ordered.map((x) => x.id)).toEqual(['headline', 'b', 'a', 'top-step']);
  });

  it('says an interrupted run did not finish and an empty run has nothing to report', () => {
    const r = buildResults();
    r.missing = ['routing=router cache=none'];
    r.configurations = [];
    expect(computeFindings(r).map((f) => f.text)).toEqual([
      'The run holds no finished configuration, so there is nothing to report.',
      'The run was interrupted: 1 configuration did not finish (routing=router cache=none); the findings cover the 0 that did.',
    ]);
  });
});
