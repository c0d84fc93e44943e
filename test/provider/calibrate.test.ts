import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer } from '../../mock-llm/server.ts';
import { measureEndpoint, retryAfterMs } from '../../src/live/calibrate.ts';
import { buildCatalog, type ModelLatency } from '../../src/provider/catalog.ts';
import { calibrationOverlay, fitLatency } from '../../src/provider/calibration.ts';

/** The mock's configured latency: what calibration has to recover. */
const CONFIGURED: ModelLatency = {
  ttftBaseMs: 1000,
  prefillMsPerInputToken: 0.1,
  ttftCv: 0.1,
  itlMs: 20,
  itlCv: 0.2,
  concurrencyCap: 32,
  slowdownAtCap: 1,
};
/**
 * Real time: the client's own overhead (HTTP, event-loop lag: 30–60 ms on a loaded 2-core box)
 * is part of every TTFT measured; at 2× or 4× it is scaled up alike and biased the TTFT base by
 * 15–20%. At 1×, with a 1 s base, it stays under 10%; the run takes about 30 s.
 */
const TIME_SCALE = 1;

/** Event-loop delay (p99, and the longest) above which a calibration round trip is not judged (see onTimeCheck). */
const MAX_LOOP_DELAY_P99_MS = 20;
const MAX_LOOP_DELAY_MS = 150;

/**
 * Watches this event loop (the mock and the client share it, so its delay is how late both
 * were) from now; `onTime` stops watching and says whether the run kept time, warning with what
 * it read when it did not (a timing round trip on a saturated machine is not a measurement).
 */
function onTimeCheck(): { onTime(read: string): boolean } {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  return {
    onTime(read: string): boolean {
      delay.disable();
      const p99 = delay.percentile(99) / 1e6;
      const max = delay.max / 1e6;
      // one stall of seconds (the process starved of CPU) spoils the requests it hits, and shows only in the max
      if (p99 <= MAX_LOOP_DELAY_P99_MS && max <= MAX_LOOP_DELAY_MS) return true;
      console.warn(
        `calibration not judged: event loop late by ${p99.toFixed(1)} ms at p99, ${max.toFixed(0)} ms at most (limits ${MAX_LOOP_DELAY_P99_MS}, ${MAX_LOOP_DELAY_MS}); read ${read}`,
      );
      return false;
    },
  };
}

describe('bench calibrate against mock-llm', () => {
  const catalog = buildCatalog({ 'cal-model': { extends: 'gpt-4o-mini', latency: CONFIGURED } });
  let server: Awaited<ReturnType<typeof startMockServer>>;
  beforeAll(async () => {
    server = await startMockServer({ port: 0, host: '127.0.0.1', models: catalog, timeScale: TIME_SCALE, seed: 5 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('recovers the configured TTFT base, prefill per token, ITL and slowdown within 10%', async (ctx) => {
    const loopDelay = onTimeCheck();
    const run = await measureEndpoint({
      target: `${server.url}/v1`,
      model: 'cal-model',
      requests: 48,
      concurrency: [1, 8, 24],
      promptTokens: [128, 1024, 4096],
      outputTokens: [8, 32],
      timeScale: TIME_SCALE,
      maxDurationS: 60,
    });
    expect(run.stoppedBecause).toBeNull();
    expect(run.samples).toHaveLength(48);
    // the cap is not identifiable below saturation: it comes from the base model
    const fit = fitLatency(run.samples, catalog['cal-model']!);
    const l = fit.latency;
    expect(l.concurrencyCap).toBe(32);
    const overlay = calibrationOverlay('cal-model', catalog['cal-model']!, fit, { target: 'x', at: 't', requests: 48 });
    // the overlay's entry is in the catalog's shape (here over the preset the test model extends)
    expect(buildCatalog({ 'cal-model': { extends: 'gpt-4o-mini', ...overlay['cal-model']! } })['cal-model']!.latency).toEqual(l);
    expect(overlay['cal-model']!.calibration.ttft.samples).toBe(48);
    // under load (2 cores at load average 10+) the client's lateness read slowdown 0.79–0.88: not judged, saying so
    if (!loopDelay.onTime(`TTFT base ${l.ttftBaseMs}, prefill ${l.prefillMsPerInputToken}, ITL ${l.itlMs}, slowdown ${l.slowdownAtCap}`)) return ctx.skip();
    const within = (got: number, want: number) => expect(Math.abs(got / want - 1), `${got} against ${want}`).toBeLessThan(0.1);
    within(l.ttftBaseMs, CONFIGURED.ttftBaseMs);
    within(l.prefillMsPerInputToken, CONFIGURED.prefillMsPerInputToken);
    within(l.itlMs, CONFIGURED.itlMs);
    within(l.slowdownAtCap, CONFIGURED.slowdownAtCap);
    expect(fit.ttft.r2).toBeGreaterThan(0.6);
  }, 120_000);

  it('recovers the configured spreads (ttftCv, itlCv) within 10%', async (ctx) => {
    // a spread is a standard deviation: its estimate from N draws is off by about 1/√(2N), so
    // the grid has ~200 requests (5% standard error). Long TTFTs and gaps: the client's own
    // lateness (tens of ms on a loaded box, ×2 at this time scale) adds its variance to what
    // is measured and must stay small against the spreads (a TTFT sd near 1 s, a decode-time
    // sd near 0.25 s; the ITL spread is read from whole decode times, see itlSpread). Many
    // requests in flight (a cap of 64) keep the run near 25 s. Seed 7: the mock's own TTFT
    // draws for these 193 calls have a cv of 0.300 (seed 11's: 0.281), so what is checked is
    // the calibration, not the luck of the draws.
    // No slowdown: the load factor is then 1 whatever the fit reads for it (the test above
    // checks the slowdown), so a misread slowdown cannot pass for spread.
    const spreads: ModelLatency = {
      ...CONFIGURED,
      ttftBaseMs: 2000,
      prefillMsPerInputToken: 0.1,
      ttftCv: 0.3,
      itlMs: 100,
      itlCv: 0.3,
      concurrencyCap: 64,
      slowdownAtCap: 0,
    };
    const spreadCatalog = buildCatalog({ 'spread-model': { extends: 'gpt-4o-mini', latency: spreads } });
    const mock = await startMockServer({ port: 0, host: '127.0.0.1', models: spreadCatalog, timeScale: 2, seed: 7 });
    const loopDelay = onTimeCheck();
    try {
      const run = await measureEndpoint({
        target: `${mock.url}/v1`,
        model: 'spread-model',
        requests: 192,
        concurrency: [32, 48],
        promptTokens: [128, 1024, 4096],
        outputTokens: [24],
        timeScale: 2,
        maxDurationS: 100,
      });
      expect(run.stoppedBecause).toBeNull();
      const l = fitLatency(run.samples, spreadCatalog['spread-model']!).latency;
      // a box too busy to keep time (other jobs on its cores) cannot measure a spread: the
      // lateness adds its own. At load average 10–20 (2 cores) the event loop was late by
      // 30–50 ms at p99 and itlCv read 0.31–0.59; idle (load 1.8), 0.287 and 0.288
      if (!loopDelay.onTime(`ttftCv ${l.ttftCv}, itlCv ${l.itlCv}`)) return ctx.skip();
      const within = (got: number, want: number) => expect(Math.abs(got / want - 1), `${got} against ${want}`).toBeLessThan(0.1);
      within(l.ttftCv, spreads.ttftCv);
      within(l.itlCv, spreads.itlCv);
      within(l.itlMs, spreads.itlMs);
    } finally {
      await mock.close();
    }
  }, 120_000);

  it('stops on an error other than 429, naming the status', async () => {
    await expect(measureEndpoint({ target: `${server.url}/v1`, model: 'no-such-model', requests: 3, concurrency: [1] })).rejects.toThrow(
      /answered 404 to a request for no-such-model/,
    );
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(null)).toBe(1000);
    expect(retryAfterMs(new Date(Date.now() + 3000).toUTCString())).toBeGreaterThan(1000);
  });
});
