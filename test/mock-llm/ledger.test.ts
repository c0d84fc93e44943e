import { encodeChat } from 'gpt-tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, callCostUsd, startMockServer, type LedgerRow, type LedgerSnapshot, type MockServer } from '../../mock-llm/index.ts';
import { Ledger, type LedgerEntry } from '../../mock-llm/ledger.ts';

const models = buildCatalog({
  quick: {
    extends: 'gpt-4o',
    latency: { ttftBaseMs: 1, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 0, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 10,
  },
  'late-start': { extends: 'quick', latency: { ttftBaseMs: 40 }, defaultOutputTokens: 3 },
});
let server: MockServer;
beforeAll(async () => {
  server = await startMockServer({ port: 0, models, ledgerMaxRows: 3 });
});
afterAll(async () => {
  await server.close();
});

const messages = [{ role: 'user', content: 'What does a ledger row hold?' }];
const chat = (extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model: 'quick', messages, ...extra }) }).then(async (r) => {
    await r.text();
    return r;
  });

/** The value of an unlabelled sample (or one named with its labels) in the exposition text. */
function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no sample ${name}`);
  return Number(line.slice(name.length + 1));
}

/** The send-lateness histogram's cumulative buckets: [le, count]. */
function lateness(text: string): (readonly [string, number])[] {
  return [...text.matchAll(/^mock_llm_send_lateness_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])] as const);
}

describe('ledger endpoint', () => {
  it('records one row per call with tokens and cost from the price table, and resets on DELETE', async () => {
    await fetch(`${server.url}/v1/ledger`, { method: 'DELETE' });
    await chat();
    const snap = (await (await fetch(`${server.url}/v1/ledger`)).json()) as LedgerSnapshot;
    const row = snap.rows[0]!;
    const inputTokens = encodeChat(messages as never, 'gpt-4o').length;
    expect(row).toMatchObject({
      endpoint: 'chat',
      model: 'quick',
      stream: false,
      inputTokens,
      cachedInputTokens: 0,
      outputTokens: 10,
      outcome: 'ok',
      status: 200,
    });
    expect(row.costUsd).toBeCloseTo(callCostUsd(models['quick']!.pricing, { inputTokens, cachedInputTokens: 0, outputTokens: 10 }), 15);
    expect(row.costUsd).toBeCloseTo((inputTokens * 2.5 + 10 * 10) / 1e6, 15);
    expect(row.ttftMs).toBeGreaterThanOrEqual(1);
    expect(snap.totals.calls).toBe(1);
    await fetch(`${server.url}/v1/ledger`, { method: 'DELETE' });
    const empty = (await (await fetch(`${server.url}/v1/ledger`)).json()) as LedgerSnapshot;
    expect(empty.rows).toEqual([]);
    expect(empty.totals.calls).toBe(0);
  });

  it('keeps at most ledgerMaxRows rows, counts the dropped ones, and keeps totals exact', async () => {
    await fetch(`${server.url}/v1/ledger`, { method: 'DELETE' });
    for (let i = 0; i < 5; i++) await chat({}, { 'x-mock-output-tokens': String(i + 1) });
    const snap = (await (await fetch(`${server.url}/v1/ledger`)).json()) as LedgerSnapshot;
    expect(snap.rows.map((r) => r.outputTokens)).toEqual([3, 4, 5]);
    expect(snap.droppedRows).toBe(2);
    expect(snap.totals.calls).toBe(5);
    expect(snap.totals.outputTokens).toBe(1 + 2 + 3 + 4 + 5);
  });

  it('answers NDJSON for Accept: application/x-ndjson and ?format=ndjson', async () => {
    const a = await fetch(`${server.url}/v1/ledger`, { headers: { accept: 'application/x-ndjson' } });
    expect(a.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await a.text()).trim().split('\n');
    expect(lines).toHaveLength(3);
    expect((JSON.parse(lines[0]!) as LedgerRow).model).toBe('quick');
    const b = await (await fetch(`${server.url}/v1/ledger?format=ndjson`)).text();
    expect(b.trim().split('\n')).toHaveLength(3);
  });

  it('bills a repeated long prompt prefix at the cached price', async () => {
    const long = [
      { role: 'system', content: 'policy '.repeat(1500) },
      { role: 'user', content: 'first' },
    ];
    const first = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'quick', messages: long }) });
    const a = (await first.json()) as { usage: { prompt_tokens_details: { cached_tokens: number } } };
    const second = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'quick', messages: [long[0], { role: 'user', content: 'second question' }] }),
    });
    const b = (await second.json()) as { usage: { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } } };
    expect(a.usage.prompt_tokens_details.cached_tokens).toBe(0);
    expect(b.usage.prompt_tokens_details.cached_tokens).toBeGreaterThanOrEqual(1024);
    expect(b.usage.prompt_tokens_details.cached_tokens % 128).toBe(0);
    expect(b.usage.prompt_tokens_details.cached_tokens).toBeLessThan(b.usage.prompt_tokens);
  });
});

describe('metrics endpoint', () => {
  it('exposes requests, tokens, cost, in-flight, 429s and errors in Prometheus text format', async () => {
    await chat({}, { 'x-mock-fault': '429' });
    await chat({}, { 'x-mock-fault': '500' });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^# HELP mock_llm_requests_total /m);
    expect(text).toMatch(/^mock_llm_requests_total\{model="quick",endpoint="chat",status="200"\} \d+$/m);
    expect(text).toMatch(/^mock_llm_output_tokens_total\{model="quick"\} \d+$/m);
    expect(text).toMatch(/^mock_llm_cost_usd_total\{model="quick"\} [\d.e-]+$/m);
    expect(text).toMatch(/^mock_llm_rate_limited_total\{model="quick"\} 1$/m);
    expect(text).toMatch(/^mock_llm_errors_total\{type="server_error"\} 1$/m);
    expect(text).toMatch(/^mock_llm_in_flight\{model="quick"\} 0$/m);
    // each family's samples follow its own TYPE line
    let current = '';
    for (const line of text.trim().split('\n')) {
      if (line.startsWith('# TYPE ')) current = line.split(' ')[2]!;
      else if (!line.startsWith('#')) expect(line.startsWith(current)).toBe(true);
    }
  });

  it('counts how late each streamed token and each whole answer went out, in a Prometheus histogram', async () => {
    await fetch(`${server.url}/v1/ledger`, { method: 'DELETE' }); // resets the counters too
    const stream = (model: string, headers: Record<string, string> = {}): Promise<string> =>
      fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model, messages, stream: true }) }).then((r) => r.text());
    expect((await stream('quick')).match(/"content":"/g)).toHaveLength(10);
    expect(await stream('quick', { 'x-mock-output-tokens': '0' })).toContain('data: [DONE]'); // no token: one send
    await chat(); // one whole answer
    await chat({}, { 'x-mock-fault': '500' }); // an error is not a scheduled send
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^# TYPE mock_llm_send_lateness_seconds histogram$/m);
    expect(metric(text, 'mock_llm_send_lateness_seconds_count')).toBe(12);
    const buckets = lateness(text);
    expect(buckets.map(([le]) => le)).toEqual(['0.0005', '0.001', '0.002', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '1', '+Inf']);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]![1]).toBeGreaterThanOrEqual(buckets[i - 1]![1]); // cumulative
    expect(buckets.at(-1)![1]).toBe(12);
    const max = metric(text, 'mock_llm_send_lateness_max_seconds');
    expect(max).toBeGreaterThanOrEqual(0);
    expect(metric(text, 'mock_llm_send_lateness_seconds_sum')).toBeLessThanOrEqual(12 * max + 1e-12);
  });

  it('records a send as late as the event loop was busy past its due time', async () => {
    await fetch(`${server.url}/v1/ledger`, { method: 'DELETE' });
    // the server runs in this process: once the call is admitted (its 3 tokens due 40 ms after
    // arrival), keep the event loop busy for 80 ms, so they go out at least 40 ms late
    const answer = fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'late-start', messages, stream: true }) }).then(
      (r) => r.text(),
    );
    const waitUntil = performance.now() + 5_000;
    while (server.stats().inFlight === 0 && performance.now() < waitUntil) await new Promise((r) => setTimeout(r, 1));
    const busyUntil = performance.now() + 80;
    while (performance.now() < busyUntil); // blocks the loop on purpose
    expect((await answer).match(/"content":"/g)).toHaveLength(3);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(metric(text, 'mock_llm_send_lateness_seconds_count')).toBe(3);
    expect(metric(text, 'mock_llm_send_lateness_max_seconds')).toBeGreaterThanOrEqual(0.035);
    expect(metric(text, 'mock_llm_send_lateness_seconds_sum')).toBeGreaterThanOrEqual(3 * 0.035);
    expect(lateness(text).find(([le]) => le === '0.025')![1]).toBe(0); // none within 25 ms
  });
});

describe('process health in /metrics', () => {
  it("reports the event loop's utilization and the garbage collector's pauses since the last reset", async () => {
    await fetch(`${server.url}/v1/ledger`, { method: 'DELETE' });
    const busyUntil = performance.now() + 150;
    while (performance.now() < busyUntil); // the server's process (this one) is busy for 150 ms
    // and makes garbage until the collector has paused a few times
    let text = '';
    const deadline = performance.now() + 10_000;
    let junk: { i: number; s: string }[] = [];
    do {
      for (let i = 0; i < 200_000; i++) {
        junk.push({ i, s: `x${i}` });
        if (junk.length > 1_000) junk = [];
      }
      text = await (await fetch(`${server.url}/metrics`)).text();
    } while (metric(text, 'mock_llm_gc_pauses_total') < 3 && performance.now() < deadline);
    expect(text).toMatch(/^# TYPE mock_llm_event_loop_utilization gauge$/m);
    const busy = metric(text, 'mock_llm_event_loop_utilization');
    expect(busy).toBeGreaterThan(0.2); // 150 ms busy, then more, out of the few hundred since the reset
    expect(busy).toBeLessThanOrEqual(1);
    const pauses = metric(text, 'mock_llm_gc_pauses_total');
    expect(pauses).toBeGreaterThanOrEqual(3);
    const maxS = metric(text, 'mock_llm_gc_pause_max_seconds');
    expect(maxS).toBeGreaterThan(0);
    expect(metric(text, 'mock_llm_gc_pause_seconds_total')).toBeGreaterThanOrEqual(maxS);
    // a reset starts them again: then 200 ms of waiting is mostly idle time, and makes next to no garbage
    await fetch(`${server.url}/v1/ledger`, { method: 'DELETE' });
    await new Promise((r) => setTimeout(r, 200));
    const idle = await (await fetch(`${server.url}/metrics`)).text();
    expect(metric(idle, 'mock_llm_event_loop_utilization')).toBeLessThan(0.5);
    expect(metric(idle, 'mock_llm_gc_pauses_total')).toBeLessThan(pauses);
  });
});

const baseEntry: LedgerEntry = {
  seq: 0,
  wallMs: 0,
  endpoint: 'chat',
  model: 'm',
  stream: false,
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteInputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  latencyMs: 0,
  ttftMs: null,
  queueMs: 0,
  outcome: 'ok',
  status: 200,
};

describe('Ledger (unit)', () => {
  it('drops the oldest rows in a ring and keeps exact totals', () => {
    const ledger = new Ledger(2);
    const row = (n: number): LedgerEntry => ({ ...baseEntry, seq: n, wallMs: 1_000 * n, inputTokens: n, costUsd: n });
    for (let i = 1; i <= 5; i++) ledger.add(row(i));
    const snap = ledger.snapshot();
    expect(snap.rows.map((r) => r.id)).toEqual(['chatcmpl-mock4', 'chatcmpl-mock5']);
    expect(snap.rows.map((r) => r.time)).toEqual([new Date(4_000).toISOString(), new Date(5_000).toISOString()]);
    expect(snap.rows[0]!.ttftMs).toBeNull();
    expect(snap.droppedRows).toBe(3);
    expect(snap.totals.inputTokens).toBe(15);
    expect(snap.totals.byModel['m']!.costUsd).toBe(15);
  });

  it('gives back every field of a row as recorded', () => {
    const ledger = new Ledger(10);
    const entry: LedgerEntry = {
      seq: 7,
      wallMs: 1_700_000_000_123,
      endpoint: 'messages',
      model: 'e',
      stream: true,
      inputTokens: 11,
      cachedInputTokens: 3,
      cacheWriteInputTokens: 2,
      outputTokens: 5,
      costUsd: 0.25,
      latencyMs: 12.5,
      ttftMs: 4.25,
      queueMs: 1.5,
      outcome: 'client_disconnect',
      status: 499,
    };
    ledger.add(entry);
    const { seq, wallMs, ...rest } = entry;
    expect(ledger.snapshot().rows).toEqual([{ id: `msg_mock${seq}`, time: new Date(wallMs).toISOString(), ...rest }]);
  });

  it('keeps rows in order as its storage grows past its first capacity, then wraps at the cap', () => {
    const ledger = new Ledger(1500);
    for (let i = 0; i < 2000; i++) ledger.add({ ...baseEntry, seq: i, inputTokens: i });
    const rows = ledger.snapshot().rows;
    expect(rows).toHaveLength(1500);
    expect(rows.map((r) => r.inputTokens)).toEqual(Array.from({ length: 1500 }, (_, k) => 500 + k));
  });
});
