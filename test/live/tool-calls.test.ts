import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../../mock-llm/index.ts';
import { simulateConfiguration } from '../../src/engine/simulate.ts';
import { runLiveConfiguration } from '../../src/live/engine.ts';
import type { LedgerRow } from '../../src/metrics/ledger.ts';
import { expandSweep } from '../../src/scenario/configurations.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';

/**
 * scenarios/agent.ts played live against mock-llm, its tool calling included: classify offers
 * kb-search and answers with the call, the tool runs, and the answer step sends the call and its
 * result back. Call for call, every LLM and embedding call has the simulator's input and output
 * tokens; the tool calls are real round trips (each id the answer step sends back is one the
 * mock returned to classify, with the offered tool's name and arguments valid against its
 * schema). 20× faster than real time: only tokens are compared, and they do not depend on timing.
 */
const TIME_SCALE = 20;
const SEED = 7;
const loaded = await loadScenarioFile('scenarios/agent.ts');
const scenario = { ...loaded.scenario, traffic: { ...loaded.scenario.traffic, durationHours: 0.05 } };
const catalog = loaded.catalog;
// no caches: whether a cache holds an answer depends on timing, which live and simulated runs do not share
const config = expandSweep(scenario).find((c) => c.name === 'routing=gpt-4o workers=fixed-16 caches=none')!;

interface Seen {
  offered: unknown[];
  /** Tool calls the mock returned, by id (the same request body gets the same id: the mock is deterministic). */
  returned: Map<string, { name: string; arguments: string }>;
  returnedCalls: number;
  sentBack: string[];
}

/** A pass-through proxy in front of the mock that keeps the tool calling it sees. */
function recordingProxy(target: string, seen: Seen): Server {
  const { hostname, port } = new URL(target);
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url?.endsWith('/chat/completions')) noteRequest(JSON.parse(body.toString()), seen);
      const up = request({ hostname, port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        let text = '';
        r.on('data', (c: Buffer) => {
          text += c.toString();
          res.write(c);
        });
        r.on('end', () => {
          noteStream(text, seen);
          res.end();
        });
      });
      up.end(body);
    });
  });
}

function noteRequest(body: { tools?: unknown[]; messages: Array<{ role: string; tool_calls?: Array<{ id: string }> }> }, seen: Seen): void {
  if (body.tools !== undefined) seen.offered.push(...body.tools);
  for (const m of body.messages) for (const c of m.tool_calls ?? []) seen.sentBack.push(c.id);
}

function noteStream(text: string, seen: Seen): void {
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    const chunk = JSON.parse(line.slice(6)) as {
      choices?: Array<{ delta?: { tool_calls?: Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }> } }>;
    };
    for (const d of chunk.choices?.[0]?.delta?.tool_calls ?? []) {
      const c = (calls[d.index] ??= { id: '', name: '', arguments: '' });
      if (d.id !== undefined) c.id = d.id;
      c.name += d.function?.name ?? '';
      c.arguments += d.function?.arguments ?? '';
    }
  }
  for (const c of calls) seen.returned.set(c.id, { name: c.name, arguments: c.arguments });
  seen.returnedCalls += calls.length;
}

/** Each job's calls in order: step, kind, model, input and output tokens. */
function callsByJob(rows: LedgerRow[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const r of [...rows].sort((a, b) => a.job - b.job || a.tMs - b.tMs)) {
    const list = out.get(r.job) ?? [];
    list.push(`${r.step} ${r.kind} ${r.model} ${r.cache ?? 'call'} in=${r.inputTokens} out=${r.outputTokens} ${r.outcome}`);
    out.set(r.job, list);
  }
  return out;
}

describe('tool calling in a live run of scenarios/agent.ts', () => {
  let mock: MockServer;
  let proxy: Server;
  const seen: Seen = { offered: [], returned: new Map(), returnedCalls: 0, sentBack: [] };
  beforeAll(async () => {
    mock = await startMockServer({ host: '127.0.0.1', port: 0, models: catalog, seed: SEED, timeScale: TIME_SCALE });
    proxy = recordingProxy(mock.url, seen);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
    await mock.close();
  });

  it('agrees with the simulation call for call: tokens, and the tool calls are real round trips', async () => {
    const simRows: LedgerRow[] = [];
    const liveRows: LedgerRow[] = [];
    const sim = await simulateConfiguration(scenario, catalog, config, { seed: SEED, ledgerSink: (r) => simRows.push(r) });
    const target = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1`;
    const live = await runLiveConfiguration(scenario, catalog, config, { seed: SEED, timeScale: TIME_SCALE, target, ledgerSink: (r) => liveRows.push(r) });
    expect(live.requests.failed).toBe(0);
    expect(live.requests.total).toBe(sim.requests.total);
    expect(sim.requests.total).toBeGreaterThan(100);
    // call for call: the same calls in the same order with the same tokens
    const simCalls = callsByJob(simRows);
    const liveCalls = callsByJob(liveRows);
    expect([...liveCalls.keys()]).toEqual([...simCalls.keys()]);
    for (const [job, calls] of simCalls) expect(liveCalls.get(job), `job ${job}`).toEqual(calls);
    // the provider prompt cache is used in both (how much depends on timing: its TTL, who came first;
    // test/live/live.test.ts compares it at 2x speed)
    const cached = (rows: LedgerRow[]) => rows.reduce((s, r) => s + r.cachedInputTokens, 0);
    expect(cached(liveRows)).toBeGreaterThan(0);
    expect(cached(simRows)).toBeGreaterThan(0);
    // the tool calls: classify offered kb-search every time, and every call sent back is one the mock made
    const classify = simRows.filter((r) => r.step === 'classify' && r.cache === null).length;
    expect(seen.offered.length).toBe(classify);
    expect(new Set(seen.offered.map((t) => JSON.stringify(t))).size).toBe(1);
    const tool = seen.offered[0] as { function: { name: string; parameters: object } };
    expect(tool.function.name).toBe('kb-search');
    expect(seen.returnedCalls).toBe(classify);
    const validate = new Ajv({ strict: false }).compile(tool.function.parameters);
    for (const c of seen.returned.values()) {
      expect(c.name).toBe('kb-search');
      expect(validate(JSON.parse(c.arguments))).toBe(true);
    }
    const answers = simRows.filter((r) => r.step === 'answer' && r.cache === null).length;
    expect(seen.sentBack.length).toBe(answers);
    for (const id of seen.sentBack) expect(seen.returned.has(id), id).toBe(true);
  });
});
