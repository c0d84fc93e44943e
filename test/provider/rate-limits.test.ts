/**
 * One rate-limit model (src/provider/limits.ts) for the simulator and mock-llm: the same stream of
 * calls gets its 429s at the same calls, with the same retry-after, whether it is simulated on the
 * virtual clock or sent over HTTP to the mock, played 5× faster on the real clock.
 */
import { describe, expect, it } from 'vitest';
import { startMockServer } from '../../mock-llm/index.ts';
import { VirtualClock } from '../../src/engine/virtual-clock.ts';
import type { ChatCall, ChatResult, LlmClient } from '../../src/llm/client.ts';
import { HttpLlmClient } from '../../src/llm/http-client.ts';
import { SimLlmClient } from '../../src/llm/sim-client.ts';
import { RealClock } from '../../src/live/real-clock.ts';
import { buildCatalog } from '../../src/provider/catalog.ts';
import { perMinuteLimits, RateLimiter } from '../../src/provider/limits.ts';
import type { Clock } from '../../src/core/clock.ts';

const MODEL = 'gpt-4o-mini';
/** 4 requests and 2,000 tokens a minute: one request back every 15 s, 100 tokens every 3 s. */
const FAULTS = { requestsPerMinute: 4, tokensPerMinute: 2000, errorRate: 0 };
const TIME_SCALE = 5;

/**
 * [scenario ms, input tokens, output tokens, expected outcome]. Calls are 1.5 s or more apart (300 ms
 * of wall time at 5×, well above the mock's tokenizing time, so they reach its limiter in order),
 * and every verdict has a margin of at least 0.23 request or 230 tokens (3.5 s of scenario time,
 * 700 ms of wall time): the wall clock's jitter cannot flip one.
 */
const STREAM: Array<[number, number, number, ChatResult['outcome']]> = [
  [0, 250, 50, 'ok'], // requests 4 → 3, tokens 2000 → 1700
  [2500, 250, 50, 'ok'], // 3.17 → 2.17; 1783 → 1483
  [5000, 1600, 200, 'rate_limited'], // tokens: 1567 < 1800, 7 s short
  [7500, 250, 50, 'ok'], // 2.5 → 1.5; 1650 → 1350
  [9000, 250, 50, 'ok'], // 1.6 → 0.6; 1400 → 1100
  [11_500, 50, 50, 'rate_limited'], // requests: 0.77 < 1, 3.5 s short
  [25_000, 50, 50, 'ok'], // 0.6 + 16/15 = 1.67 → 0.67
  [26_500, 50, 50, 'rate_limited'], // requests: 0.77 < 1, 3.5 s short
];

function call(i: number, inputTokens: number, outputTokens: number): ChatCall {
  return {
    model: MODEL,
    step: 'answer',
    jobId: i,
    jobSeed: 1000 + i,
    stepSeed: 2000 + i,
    callIndex: 0,
    inputTokens,
    prefixTokens: 0,
    outputTokens,
    difficulty: 0.3,
    stream: false,
    wordingId: i,
  };
}

/** Sends the stream on `clock` through `client`; resolves with every result. */
async function play(clock: Clock, client: LlmClient, run: () => Promise<void>, originMs = 0): Promise<ChatResult[]> {
  const results: ChatResult[] = [];
  const done: Promise<void>[] = [];
  STREAM.forEach(([atMs, input, output], i) => {
    done.push(
      new Promise<void>((resolve) =>
        clock.schedule(originMs + atMs, () =>
          clock.spawn(async () => {
            results[i] = await client.chat(call(i, input, output));
            resolve();
          }),
        ),
      ),
    );
  });
  await run();
  await Promise.all(done);
  return results;
}

describe('one rate limiter for the simulator and mock-llm', () => {
  const catalog = buildCatalog();

  it('refuses the same calls, with the same retry-after, on the virtual and on the real clock', { retry: 2 }, async () => {
    const virtual = new VirtualClock();
    const sim = await play(virtual, new SimLlmClient({ catalog, clock: virtual, faults: { [MODEL]: FAULTS }, promptCaching: false }), () => virtual.run());
    expect(sim.map((r) => r.outcome)).toEqual(STREAM.map((s) => s[3]));

    // a fresh mock each attempt (its buckets start full), warmed up on a model without limits
    const mock = await startMockServer({ port: 0, models: catalog, timeScale: TIME_SCALE, limits: { [MODEL]: perMinuteLimits(FAULTS, TIME_SCALE)! } });
    try {
      const real = new RealClock(TIME_SCALE);
      const client = new HttpLlmClient({ baseUrl: `${mock.url}/v1`, catalog, clock: real, timeScale: TIME_SCALE });
      await client.chat({ ...call(-1, 1600, 50), model: 'gpt-4o' });
      const start = real.now();
      const live = await play(real, client, async () => undefined, start);
      expect(live.map((r) => r.outcome)).toEqual(sim.map((r) => r.outcome));
      // the same prompt and output tokens counted against the limit
      sim.forEach((r, i) => {
        if (r.outcome === 'ok') expect([live[i]!.inputTokens, live[i]!.outputTokens]).toEqual([r.inputTokens, r.outputTokens]);
      });
      // retry-after: the same wait, give or take how much later this call and the last one admitted
      // reached the live limiter than their intended times (up to 2 s of scenario time, 400 ms wall)
      sim.forEach((r, i) => {
        if (r.outcome === 'rate_limited') expect(Math.abs(live[i]!.retryAfterMs! - r.retryAfterMs!)).toBeLessThan(2000);
      });
    } finally {
      await mock.close();
    }
  });

  it('tryTake takes and answers 0, or takes nothing and answers the wait', () => {
    const limiter = new RateLimiter(MODEL, perMinuteLimits({ requestsPerMinute: 2 })!, 0);
    expect(limiter.tryTake(10, 0)).toBe(0);
    expect(limiter.tryTake(10, 0)).toBe(0);
    expect(limiter.tryTake(10, 0)).toBeCloseTo(30_000, 6);
    // a wait that ends exactly when the bucket refills is not refused again by float rounding
    expect(limiter.tryTake(10, 1040)).toBeCloseTo(28_960, 6);
    expect(limiter.tryTake(10, 30_000)).toBe(0);
    expect(perMinuteLimits({})).toBeUndefined();
    expect(perMinuteLimits({ tokensPerMinute: 600 }, 10)).toEqual({ requestsPerMinute: Infinity, tokensPerMinute: 600, windowMs: 6000 });
  });
});
