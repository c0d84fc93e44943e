/**
 * The executor on the virtual clock must agree with queueing theory. Poisson arrivals and
 * exponential (or deterministic) service times drive the real `Executor` on a `VirtualClock`;
 * the measured mean wait Wq, the probability of waiting and the utilisation are compared with
 * closed forms (Erlang C for M/M/c, Pollaczek–Khinchine for M/D/1).
 *
 * Tolerance. Waiting times in a queue near saturation are strongly autocorrelated, so the mean
 * of n waits is much noisier than n independent draws: the batch-means standard error of Wq over
 * these samples is 1–2% of Wq. Each Wq check asserts both a fixed relative tolerance (6% for
 * M/M/c at ρ = 0.85, 5% for M/M/1 and M/D/1 at ρ = 0.8, about 3 standard errors) and that the
 * error is within 4 batch-means standard errors of this very run. P(wait > 0) and the utilisation
 * are far less noisy (time averages of a 0/1 process): 1.5% relative.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/virtual-clock.ts';
import { Executor } from '../../src/engine/executor.ts';
import { Rng } from '../../src/core/random.ts';

/** Erlang C: probability that an arrival waits in an M/M/c queue with offered load a = λ/μ. */
function erlangC(c: number, a: number): number {
  let term = 1; // a^k / k!
  let sum = 0;
  for (let k = 0; k < c; k++) {
    sum += term;
    term *= a / (k + 1);
  }
  // term is now a^c / c!
  const top = term * (c / (c - a));
  return top / (sum + top);
}

/** Mean wait in queue of M/M/c: C(c, a) / (cμ − λ). */
function mmcWq(c: number, lambda: number, mu: number): number {
  return erlangC(c, lambda / mu) / (c * mu - lambda);
}

/** Mean wait in queue of M/D/1 (Pollaczek–Khinchine with zero service variance): ρ / (2μ(1 − ρ)). */
function md1Wq(lambda: number, mu: number): number {
  const rho = lambda / mu;
  return rho / (2 * mu * (1 - rho));
}

interface QueueRun {
  meanWait: number;
  /** Batch-means standard error of `meanWait`. */
  stdErr: number;
  pWait: number;
  utilization: number;
  jobs: number;
}

/** Drives the executor with `n` Poisson arrivals (rate λ per ms) and the given service times (ms). */
async function simulateQueue(c: number, lambda: number, service: (rng: Rng) => number, n: number, seed: number): Promise<QueueRun> {
  const clock = new VirtualClock();
  const arrivalRng = Rng.derive(seed, 'arrivals');
  const serviceRng = Rng.derive(seed, 'service');
  const arrivalMs = new Float64Array(n);
  const wait = new Float64Array(n);
  let busy = 0;
  let lastMs = 0;
  let busyIntegral = 0;
  let done = 0;
  const executor = new Executor(
    clock,
    { type: 'fixed', workers: c, costPerHourUsd: 0 },
    {
      queueDepth() {},
      workers(tMs, _serving, nowBusy) {
        busyIntegral += busy * (tMs - lastMs);
        lastMs = tMs;
        busy = nowBusy;
      },
      started(jobId, tMs) {
        wait[jobId] = tMs - arrivalMs[jobId]!;
      },
    },
  );
  let nextMs = arrivalRng.exponential(1 / lambda);
  const arrive = (i: number): void => {
    arrivalMs[i] = clock.now();
    const serviceMs = service(serviceRng);
    executor.submit({
      id: i,
      arrivalMs: clock.now(),
      run: async () => {
        await clock.sleep(serviceMs);
        done++;
      },
    });
    if (i + 1 < n) {
      nextMs += arrivalRng.exponential(1 / lambda);
      clock.schedule(nextMs, () => arrive(i + 1));
    }
  };
  clock.schedule(nextMs, () => arrive(0));
  await clock.run();

  // drop a warm-up of 1% (the queue starts empty), then batch means over 50 batches
  const warm = Math.floor(n / 100);
  const batches = 50;
  const per = Math.floor((n - warm) / batches);
  const means: number[] = [];
  let waited = 0;
  for (let b = 0; b < batches; b++) {
    let s = 0;
    for (let i = warm + b * per; i < warm + (b + 1) * per; i++) {
      s += wait[i]!;
      if (wait[i]! > 0) waited++;
    }
    means.push(s / per);
  }
  const m = means.reduce((a, b) => a + b, 0) / batches;
  const variance = means.reduce((a, b) => a + (b - m) ** 2, 0) / (batches - 1);
  return {
    meanWait: m,
    stdErr: Math.sqrt(variance / batches),
    pWait: waited / (batches * per),
    utilization: busyIntegral / (c * clock.now()),
    jobs: done,
  };
}

describe('executor against queueing theory', () => {
  it('Erlang C matches known values (M/M/1: C = ρ; M/M/2 at a = 1: C = 1/3)', () => {
    expect(erlangC(1, 0.8)).toBeCloseTo(0.8, 12);
    expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 12);
    expect(mmcWq(1, 0.8, 1)).toBeCloseTo(4, 12);
  });

  it('M/M/1 at ρ = 0.8: Wq = ρ/(μ−λ) = 4 service times, P(wait) = ρ, utilisation = ρ', async () => {
    const r = await simulateQueue(1, 0.8 / 100, (rng) => rng.exponential(100), 400_000, 1);
    const wq = mmcWq(1, 0.8 / 100, 1 / 100);
    expect(wq).toBeCloseTo(400, 9);
    expect(r.jobs).toBe(400_000);
    expect(Math.abs(r.meanWait - wq) / wq).toBeLessThan(0.05);
    expect(Math.abs(r.meanWait - wq)).toBeLessThan(4 * r.stdErr);
    expect(Math.abs(r.pWait - 0.8) / 0.8).toBeLessThan(0.015);
    expect(Math.abs(r.utilization - 0.8) / 0.8).toBeLessThan(0.015);
  });

  it('M/M/4 at ρ = 0.85: Wq and P(wait) follow Erlang C, utilisation = ρ', async () => {
    const c = 4;
    const lambda = (0.85 * c) / 100;
    const r = await simulateQueue(c, lambda, (rng) => rng.exponential(100), 400_000, 2);
    const wq = mmcWq(c, lambda, 1 / 100);
    const pWait = erlangC(c, lambda * 100);
    expect(Math.abs(r.meanWait - wq) / wq).toBeLessThan(0.06);
    expect(Math.abs(r.meanWait - wq)).toBeLessThan(4 * r.stdErr);
    expect(Math.abs(r.pWait - pWait) / pWait).toBeLessThan(0.015);
    expect(Math.abs(r.utilization - 0.85) / 0.85).toBeLessThan(0.015);
  });

  it('M/D/1 at ρ = 0.8: Wq follows Pollaczek–Khinchine, half the M/M/1 wait', async () => {
    const r = await simulateQueue(1, 0.8 / 100, () => 100, 300_000, 3);
    const wq = md1Wq(0.8 / 100, 1 / 100);
    expect(wq).toBeCloseTo(200, 9);
    expect(Math.abs(r.meanWait - wq) / wq).toBeLessThan(0.05);
    expect(Math.abs(r.meanWait - wq)).toBeLessThan(4 * r.stdErr);
    expect(Math.abs(r.pWait - 0.8) / 0.8).toBeLessThan(0.015);
    expect(Math.abs(r.utilization - 0.8) / 0.8).toBeLessThan(0.015);
  });
});
