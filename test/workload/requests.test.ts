/** Request mix: Zipf popularity, stable prompt attributes, the embedding geometry of prompts. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { resolveScenario } from '../../src/scenario/load.ts';
import { cosine, PromptSpace } from '../../src/workload/prompt-space.ts';
import { RequestFactory } from '../../src/workload/requests.ts';
import { Zipf } from '../../src/workload/zipf.ts';

describe('Zipf', () => {
  it('has p(k) = (1/k^s) / H exactly', () => {
    const z = new Zipf(100, 1.1);
    let h = 0;
    for (let k = 1; k <= 100; k++) h += 1 / Math.pow(k, 1.1);
    for (const k of [0, 1, 9, 99]) expect(z.p(k)).toBeCloseTo(1 / Math.pow(k + 1, 1.1) / h, 12);
  });

  it('samples ranks with frequencies 1/k^s (top 20 ranks within 4 standard deviations, 1M draws)', () => {
    const z = new Zipf(1000, 1.1);
    const n = 1_000_000;
    const counts = new Array<number>(1000).fill(0);
    const rng = new Rng(5);
    for (let i = 0; i < n; i++) counts[z.sample(rng)]!++;
    for (let k = 0; k < 20; k++) {
      const expected = n * z.p(k);
      expect(Math.abs(counts[k]! - expected)).toBeLessThan(4 * Math.sqrt(expected));
    }
    // and the frequency ratio of rank 1 to rank 10 is 10^s
    expect(counts[0]! / counts[9]!).toBeCloseTo(Math.pow(10, 1.1), 0);
  });

  it('draws exactly the rank a binary search over the cumulative table finds: random draws and draws at every step edge and table value', () => {
    for (const [n, s] of [
      [50_000, 1.05],
      [3000, 0.9],
      [800, 1.1],
      [7, 0],
      [1, 1],
    ] as const) {
      const z = new Zipf(n, s);
      const table = (z as unknown as { cdf: Float64Array }).cdf;
      const binarySearch = (u: number) => {
        let lo = 0;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (table[mid]! < u) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      };
      const us: number[] = [];
      const rng = new Rng(n);
      for (let i = 0; i < 20_000; i++) us.push(rng.next());
      for (let j = 0; j < Math.min(n, 5000); j++) us.push(j / n, Math.max(0, j / n - 2 ** -53), table[j]!, Math.max(0, table[j]! - 2 ** -53));
      for (const u of us) expect(z.sample({ next: () => u } as Rng)).toBe(binarySearch(u));
    }
  });

  it('s = 0 is uniform', () => {
    const z = new Zipf(4, 0);
    for (let k = 0; k < 4; k++) expect(z.p(k)).toBeCloseTo(0.25, 12);
  });
});

const { scenario } = resolveScenario({
  name: 'mix',
  traffic: { requestsPerDay: 1000 },
  requestMix: [
    {
      name: 'faq',
      share: 0.75,
      inputTokens: { dist: 'lognormal', mean: 100, cv: 0.5 },
      outputTokens: 50,
      difficulty: { dist: 'uniform', min: 0, max: 1 },
      intents: 50,
      paraphrases: 3,
    },
    { name: 'hard', share: 0.25, inputTokens: 300, outputTokens: 50, difficulty: 0.9, intents: 10 },
  ],
  workflow: [{ type: 'llm', name: 'answer', model: 'gpt-4o-mini' }],
});

describe('requests', () => {
  it('the same prompt has the same length and the same intent the same difficulty, whenever asked', () => {
    const f = new RequestFactory(scenario, 7);
    const tokens = new Map<string, number>();
    const difficulty = new Map<string, number>();
    const kinds = { faq: 0, hard: 0 };
    for (let i = 0; i < 20_000; i++) {
      const r = f.make(i, i);
      kinds[r.kind as 'faq' | 'hard']++;
      if (tokens.has(r.promptKey)) expect(r.inputTokens).toBe(tokens.get(r.promptKey));
      else tokens.set(r.promptKey, r.inputTokens);
      if (difficulty.has(r.intentKey)) expect(r.difficulty).toBe(difficulty.get(r.intentKey));
      else difficulty.set(r.intentKey, r.difficulty);
    }
    // paraphrases of one intent differ in length (their own draws); all 50×3 + 10×4 prompts were seen
    expect(tokens.size).toBe(50 * 3 + 10 * 4);
    expect(new Set([0, 1, 2].map((p) => tokens.get(`faq/0/${p}`))).size).toBeGreaterThan(1);
    // the mix follows the shares (3:1) within 4 sd
    expect(Math.abs(kinds.faq - 15_000)).toBeLessThan(4 * Math.sqrt(20_000 * 0.75 * 0.25));
  });

  it('is a pure function of (seed, id): a second factory gives identical requests', () => {
    const a = new RequestFactory(scenario, 7);
    const b = new RequestFactory(scenario, 7);
    for (let i = 0; i < 500; i++) expect({ ...b.make(999 - i, 0) }).toEqual({ ...new RequestFactory(scenario, 7).make(999 - i, 0) });
    for (let i = 0; i < 500; i++) expect({ ...a.make(i, 0) }).toEqual({ ...b.make(i, 0) });
    const c = new RequestFactory(scenario, 8);
    const differs = Array.from({ length: 100 }, (_, i) => c.make(i, 0).promptKey !== a.make(i, 0).promptKey).filter(Boolean).length;
    expect(differs).toBeGreaterThan(50);
  });
});

describe('prompt space', () => {
  // 500 intents, 5 per topic; paraphrase 0 of each, plus 3 more wordings
  const space = new PromptSpace(42);
  const v = (topic: number, intent: number, para: number) =>
    space.vector({ kind: 'faq', topic, intent, intentKey: `faq/${intent}`, promptKey: `faq/${intent}/${para}` });
  const paraphrase: number[] = [];
  const sameTopic: number[] = [];
  const otherTopic: number[] = [];
  for (let intent = 0; intent < 500; intent++) {
    const topic = Math.floor(intent / 5);
    for (let p = 1; p < 4; p++) paraphrase.push(cosine(v(topic, intent, 0), v(topic, intent, p)));
    if (intent % 5 !== 0) sameTopic.push(cosine(v(topic, intent, 0), v(topic, topic * 5, 0)));
    if (topic > 0) otherTopic.push(cosine(v(topic, intent, 0), v(topic - 1, intent - 5, 0)));
  }
  const share = (xs: number[], pred: (x: number) => boolean) => xs.filter(pred).length / xs.length;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  it('vectors are unit length and the same prompt gets the same vector', () => {
    const a = v(3, 17, 2);
    expect(cosine(a, a)).toBeCloseTo(1, 12);
    expect(Array.from(new PromptSpace(42).vector({ kind: 'faq', topic: 3, intent: 17, intentKey: 'faq/17', promptKey: 'faq/17/2' }))).toEqual(Array.from(a));
  });

  it('paraphrases of one intent are very similar (cos > 0.8 for 99%, median ≈ 0.9)', () => {
    expect(share(paraphrase, (c) => c > 0.8)).toBeGreaterThanOrEqual(0.99);
    expect(median(paraphrase)).toBeGreaterThan(0.88);
  });

  it('intents of one topic are fairly similar (cos in 0.45–0.85 for 95%)', () => {
    expect(share(sameTopic, (c) => c >= 0.45 && c <= 0.85)).toBeGreaterThanOrEqual(0.95);
  });

  it('prompts of different topics are unrelated (|cos| < 0.4 for 99%, mean ≈ 0)', () => {
    expect(share(otherTopic, (c) => Math.abs(c) < 0.4)).toBeGreaterThanOrEqual(0.99);
    expect(Math.abs(otherTopic.reduce((a, b) => a + b, 0) / otherTopic.length)).toBeLessThan(0.02);
  });
});
