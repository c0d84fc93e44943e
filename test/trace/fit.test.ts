import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/provider/catalog.ts';
import { simulateConfiguration } from '../../src/engine/simulate.ts';
import { Rng } from '../../src/core/random.ts';
import { TrafficSchema } from '../../src/scenario/schema.ts';
import { prepareScenario } from '../../src/sweep/prepare.ts';
import { intentsForDistinct } from '../../src/trace/fit.ts';
import { readTrace } from '../../src/trace/read.ts';
import { fittedScenarioSource } from '../../src/trace/scenario-file.ts';
import { traceStats } from '../../src/trace/stats.ts';
import { fitTokens, ksDistance } from '../../src/trace/token-fit.ts';
import { arrivalTimes } from '../../src/workload/arrivals.ts';

const tmp = () => {
  const root = join(import.meta.dirname, '..', '.tmp');
  mkdirSync(root, { recursive: true });
  return mkdtempSync(join(root, 'fit-'));
};

/**
 * Two days of bursty, diurnal traffic (Gamma gaps with CV 2, peak-to-trough 3 at 14:00 UTC),
 * lognormal prompts, two-humped answers, two models (one not in the catalog) and sessions.
 */
function syntheticTrace(dir: string): string {
  const rng = new Rng(11);
  const traffic = TrafficSchema.parse({
    requestsPerDay: 20_000,
    durationHours: 48,
    arrivals: { shape: 'diurnal', peakToTrough: 3, peakHour: 14 },
    burstiness: { process: 'gamma', cv: 2 },
  });
  const times = arrivalTimes(traffic, 40_000, rng);
  const start = Date.UTC(2026, 10, 2);
  const rows = ['timestamp,input_tokens,output_tokens,model,session_id'];
  let sessions = 0;
  for (const t of times) {
    const input = Math.max(1, Math.round(rng.lognormal(800, 1.2)));
    const output = rng.chance(0.5) ? Math.max(1, Math.round(rng.lognormal(30, 0.3))) : Math.max(1, Math.round(rng.lognormal(400, 0.2)));
    const model = rng.chance(0.7) ? 'gpt-4o' : 'ChatGPT';
    const session = rng.chance(0.4) && sessions > 0 ? sessions - 1 - rng.int(Math.min(sessions, 50)) : sessions++;
    rows.push(`${new Date(start + t).toISOString()},${input},${output},${model},s${session}`);
  }
  const file = join(dir, 'synthetic.csv');
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}

describe('token distribution fit', () => {
  it('KS distance of whole-number data against a CDF, at each value and just below it', () => {
    const cdf = (v: number) => (v >= 2 ? 1 : v >= 1 ? 0.5 : 0);
    // F_n(1) = 2/3 against 0.5
    expect(ksDistance([1, 1, 2], cdf)).toBeCloseTo(1 / 6, 12);
    expect(ksDistance([1, 2], cdf)).toBe(0);
  });

  it('keeps the mean exactly and picks empirical quantiles for two-humped data, lognormal for lognormal data', () => {
    const rng = new Rng(4);
    const humps = Int32Array.from({ length: 20_000 }, () => (rng.chance(0.5) ? 30 : 400) + rng.int(10));
    const f = fitTokens(humps);
    expect(f.chosen).toBe('empirical');
    const mean = humps.reduce((a, b) => a + b, 0) / humps.length;
    expect(f.lognormal.mean).toBeCloseTo(mean, 1);
    const pieceMean = f.empirical.p.slice(1).reduce((a, p, k) => a + ((p - f.empirical.p[k]!) * (f.empirical.values[k]! + f.empirical.values[k + 1]!)) / 2, 0);
    expect(pieceMean / mean).toBeCloseTo(1, 2);
    const logn = Int32Array.from({ length: 20_000 }, () => Math.max(1, Math.round(rng.lognormal(500, 0.8))));
    const g = fitTokens(logn);
    expect(g.chosen).toBe('lognormal');
    expect(g.lognormal.cv).toBeGreaterThan(0.75);
    expect(g.lognormal.cv).toBeLessThan(0.85);
    expect(g.lognormal.ks).toBeLessThan(0.02);
  });

  it('sizes the intent pool so n uniform draws give the asked number of distinct prompts', () => {
    const k = intentsForDistinct(10_000, 6_000);
    expect(k * -Math.expm1(-10_000 / k)).toBeGreaterThan(5_999);
    expect((k - 1) * -Math.expm1(-10_000 / (k - 1))).toBeLessThan(6_000);
  });
});

describe('bench trace fit', () => {
  it('a simulated day of the fitted scenario matches the trace: rate within 2%, token means within 3%', async () => {
    const dir = tmp();
    const trace = await readTrace(syntheticTrace(dir));
    const stats = traceStats(trace);
    // the figures `bench trace stats` prints
    expect(stats.requests).toBe(40_000);
    expect(stats.hoursAre).toBe('utc');
    expect(stats.diurnal!.peakHour).toBeGreaterThan(13);
    expect(stats.diurnal!.peakHour).toBeLessThan(15);
    expect(stats.interArrivalCv).toBeGreaterThan(1.6);
    expect(stats.modelMix['gpt-4o']).toBeCloseTo(0.7, 1);
    const catalog = buildCatalog();
    const source = fittedScenarioSource(trace, (id) => catalog[id]?.kind === 'chat');
    expect(source).toContain('arrivals: {shape: "diurnal"');
    expect(source).toMatch(/burstiness: \{process: "(gamma|mmpp)"/);
    expect(source).toContain('logged model "ChatGPT" is not in the catalog');
    expect(source).toContain('model: "gpt-4o"');
    const file = join(dir, 'fitted.ts');
    writeFileSync(file, source);
    const prepared = await prepareScenario(file, {});
    const sim = await simulateConfiguration(prepared.scenario, prepared.catalog, prepared.configurations[0]!, { seed: 1 });
    const from = prepared.scenario.fittedFrom!;
    const got = sim.workload!;
    expect(Math.abs(got.requestsPerDay / from.requestsPerDay - 1)).toBeLessThan(0.02);
    expect(Math.abs(got.inputTokens.mean / from.inputTokens.mean - 1)).toBeLessThan(0.03);
    expect(Math.abs(got.outputTokens.mean / from.outputTokens.mean - 1)).toBeLessThan(0.03);
  });
});
