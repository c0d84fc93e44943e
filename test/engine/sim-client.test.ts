/** The simulated LLM client: server concurrency cap with a FIFO queue, exact latency model, timeouts. */
import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/provider/catalog.ts';
import { VirtualClock } from '../../src/engine/virtual-clock.ts';
import type { ChatCall, ChatResult } from '../../src/llm/client.ts';
import { SimLlmClient } from '../../src/llm/sim-client.ts';

// a model with no spread and no slowdown: TTFT = 100 + 0 × input, decode = 10 ms × (tokens − 1)
const catalog = buildCatalog({
  steady: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 100, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 10, itlCv: 0, concurrencyCap: 2, slowdownAtCap: 0 },
  },
});

function call(jobId: number, extra: Partial<ChatCall> = {}): ChatCall {
  return {
    model: 'steady',
    step: 's',
    jobId,
    jobSeed: jobId,
    stepSeed: jobId,
    callIndex: 0,
    inputTokens: 10,
    prefixTokens: 0,
    outputTokens: 11,
    difficulty: 0,
    stream: false,
    ...extra,
  };
}

async function callsAt(client: SimLlmClient, clock: VirtualClock, calls: Array<{ atMs: number; call: ChatCall }>): Promise<ChatResult[]> {
  const out: ChatResult[] = [];
  calls.forEach((c, i) => clock.schedule(c.atMs, () => clock.spawn(async () => void (out[i] = await client.chat(c.call)))));
  await clock.run();
  return out;
}

describe('SimLlmClient', () => {
  it('a call takes TTFT + decode exactly: 100 + 10 × 10 = 200 ms', async () => {
    const clock = new VirtualClock();
    const client = new SimLlmClient({ catalog, clock, promptCaching: false });
    const [r] = await callsAt(client, clock, [{ atMs: 0, call: call(0) }]);
    expect(r).toMatchObject({ outcome: 'ok', latencyMs: 200, ttftMs: 100, inputTokens: 10, outputTokens: 11 });
  });

  it('runs at most concurrencyCap calls at once; the rest wait in FIFO order', async () => {
    const clock = new VirtualClock();
    const client = new SimLlmClient({ catalog, clock, promptCaching: false });
    const results = await callsAt(
      client,
      clock,
      [0, 1, 2, 3, 4].map((i) => ({ atMs: i, call: call(i) })),
    );
    // two run at 0 and 1, the third starts at 200 (when the first ends), the fourth at 201, the fifth at 400
    expect(results.map((r) => r.latencyMs)).toEqual([200, 200, 398, 398, 596]);
    expect(results.map((r) => r.ttftMs)).toEqual([100, 100, 298, 298, 496]);
    expect(client.inFlight('steady')).toBe(0);
  });

  it('a timeout bounds the latency, even for a call still waiting for a server slot', async () => {
    const clock = new VirtualClock();
    const client = new SimLlmClient({ catalog, clock, promptCaching: false });
    const results = await callsAt(client, clock, [
      { atMs: 0, call: call(0) },
      { atMs: 0, call: call(1) },
      { atMs: 0, call: call(2, { timeoutMs: 150 }) }, // queued behind two 200 ms calls
      { atMs: 0, call: call(3) },
    ]);
    expect(results[2]).toMatchObject({ outcome: 'timeout', latencyMs: 150, costUsd: 0 });
    // the abandoned call does not hold a slot: the fourth starts when the first ends
    expect(results[3]!.latencyMs).toBe(400);
    expect(client.inFlight('steady')).toBe(0);
  });

  it('a call that would run past its timeout is cut at the timeout', async () => {
    const clock = new VirtualClock();
    const client = new SimLlmClient({ catalog, clock, promptCaching: false });
    const [r] = await callsAt(client, clock, [{ atMs: 0, call: call(0, { timeoutMs: 150 }) }]);
    expect(r).toMatchObject({ outcome: 'timeout', latencyMs: 150 });
  });

  it('refuses a call longer than the context window without waiting', async () => {
    const clock = new VirtualClock();
    const client = new SimLlmClient({ catalog, clock, promptCaching: false });
    const [r] = await callsAt(client, clock, [{ atMs: 0, call: call(0, { inputTokens: 128_000 }) }]);
    expect(r).toMatchObject({ outcome: 'context_length', latencyMs: 0, costUsd: 0 });
  });
});
