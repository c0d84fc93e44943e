import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { simulateConfiguration } from '../../src/engine/simulate.ts';
import type { LedgerRow } from '../../src/metrics/ledger.ts';
import { prepareScenario, type RunOverrides } from '../../src/sweep/prepare.ts';
import type { TraceSpec } from '../../src/trace/replay.ts';

const fx = (name: string) => join(import.meta.dirname, 'fixtures', name);
const BENCH = join(import.meta.dirname, '..', '..', 'bin', 'bench.js');

/** A one-step scenario (no system prompt: each call's input is the logged prompt), two workers counts. */
function scenarioFile(): string {
  const root = join(import.meta.dirname, '..', '.tmp');
  mkdirSync(root, { recursive: true });
  const file = join(mkdtempSync(join(root, 'replay-')), 'scenario.ts');
  writeFileSync(
    file,
    `import { defineScenario, fixed, single } from 'llm-scale-bench';
export default defineScenario({
  name: 'replay', seed: 3,
  traffic: { requestsPerDay: 50_000 },
  requestMix: [{ name: 'q', share: 1, inputTokens: 100, outputTokens: 50, difficulty: 0.3 }],
  workflow: [{ type: 'llm', name: 'answer' }],
  strategies: { routing: single('gpt-4o-mini') },
  sweep: { workers: { '64': fixed(64), '128': fixed(128) } },
});
`,
  );
  return file;
}

async function replay(trace: TraceSpec, overrides: RunOverrides = {}): Promise<{ rows: LedgerRow[]; durationHours: number; perDay: number }> {
  const prepared = await prepareScenario(scenarioFile(), { ...overrides, trace });
  const rows: LedgerRow[] = [];
  const r = await simulateConfiguration(prepared.scenario, prepared.catalog, prepared.configurations[0]!, {
    seed: 1,
    ledgerSink: (row) => rows.push({ ...row }),
    replay: prepared.replay!,
  });
  rows.sort((a, b) => a.job - b.job);
  return { rows, durationHours: r.durationHours, perDay: prepared.scenario.traffic.requestsPerDay };
}

describe('trace replay', () => {
  it('sends each logged request at its logged time with its logged tokens and model', async () => {
    const { rows, durationHours } = await replay({ file: fx('openai-log.jsonl') });
    expect(rows.map((r) => r.tMs)).toEqual([0, 2500, 7000]);
    expect(rows.map((r) => r.inputTokens)).toEqual([412, 95, 530]);
    expect(rows.map((r) => r.outputTokens)).toEqual([88, 21, 120]);
    // the logged models replace the scenario's routing (single gpt-4o-mini)
    expect(rows.map((r) => r.model)).toEqual(['gpt-4o-mini', 'gpt-4o', 'gpt-4o-mini']);
    expect(durationHours).toBeCloseTo(7 / 3600, 9);
  });

  it('--trace-speed and --requests-per-day rescale time; the run lasts the rescaled span', async () => {
    const fast = await replay({ file: fx('burstgpt.csv'), speed: 4 });
    expect(fast.rows.map((r) => r.tMs)).toEqual([0, 10_000, 28_250, 31_250, 41_250]);
    expect(fast.durationHours).toBeCloseTo(165 / 4 / 3600, 9);
    // 5 requests in 165 s is 2,618.18 a day; ask for ten times that
    const rescaled = await replay({ file: fx('burstgpt.csv') }, { requestsPerDay: 26_181.8182 });
    expect(rescaled.rows[4]!.tMs).toBeCloseTo(16_500, 0);
    expect(rescaled.perDay).toBeCloseTo(26_181.8182, 3);
  });

  it('--duration-hours plays only the start of the trace', async () => {
    const { rows, durationHours } = await replay({ file: fx('burstgpt.csv') }, { durationHours: 120 / 3600 });
    expect(rows.map((r) => r.job)).toEqual([0, 1, 2]);
    expect(durationHours).toBeCloseTo(120 / 3600, 9);
  });

  it("Mooncake prefix blocks reach the provider's prompt cache: a shared leading run of blocks is billed as cached", async () => {
    const { rows } = await replay({ file: fx('mooncake.jsonl') });
    // requests 1–3 share only block 0 (512 tokens, under the 1024-token minimum) with request 0
    expect(rows.slice(0, 4).map((r) => r.cachedInputTokens)).toEqual([0, 0, 0, 0]);
    // the last shares blocks 0–12 (13 × 512 = 6,656 tokens) with request 0: the longest 128-token
    // boundary inside them is cached (the user message starts 3 tokens in)
    expect(rows[4]!.cachedInputTokens).toBe(6656);
  });

  it('a session keeps one prompt identity, so a later turn finds the earlier prefix cached', async () => {
    // custom.csv: session a sends 120 then 150 tokens: under the 1024 minimum, nothing is cached
    const small = await replay({ file: fx('custom.csv'), columns: 'timestamp=when_ms:ms,input=prompt,output=answer,model=llm,session=conv' });
    expect(small.rows.map((r) => r.cachedInputTokens)).toEqual([0, 0, 0]);
    const root = join(import.meta.dirname, '..', '.tmp');
    const file = join(mkdtempSync(join(root, 'sessions-')), 'sessions.csv');
    writeFileSync(file, 'ts,input_tokens,output_tokens,session_id\n0,2000,10,s1\n1,2100,10,s1\n2,2100,10,s2\n');
    const { rows } = await replay({ file });
    expect(rows.map((r) => r.cachedInputTokens)).toEqual([0, 1920, 0]);
  });
});

describe('bench run --trace', () => {
  const bench = async (args: string[]) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [BENCH, ...args]);
      return { code: 0, stdout, stderr };
    } catch (err) {
      return err as { code: number; stdout: string; stderr: string };
    }
  };

  it('replays every sweep configuration and says per-day costs are extrapolated from the span', async () => {
    const out = mkdtempSync(join(import.meta.dirname, '..', '.tmp', 'run-'));
    const r = await bench(['run', scenarioFile(), '--trace', fx('burstgpt.csv'), '--out', out, '--threads', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('workers=64');
    expect(r.stdout).toContain('workers=128');
    expect(r.stdout).toContain(
      `Replayed 5 requests of ${fx('burstgpt.csv')} (burstgpt) at the logged speed over 0.0458 h (2,618 requests/day); per-day costs are extrapolated from these 0.0458 h. 5 request(s) logged models the catalog does not have (ChatGPT, GPT-4): the routing strategy chose theirs.`,
    );
    // the report sets the trace's figures beside the simulation's: replayed tokens are the logged ones
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Workload: trace and simulation</h2>');
    expect(html).toContain('<tr><td class="text">input tokens mean</td><td>684.8</td><td>684.8</td><td>0.0%</td></tr>');
    expect(html).toContain('<tr><td class="text">requests/day</td><td>2,618.18</td><td>2,618.18</td><td>0.0%</td></tr>');
  });

  it('exits 2 naming the file when the trace has no usable row', async () => {
    const r = await bench(['run', scenarioFile(), '--trace', fx('bad-only.csv'), '--out', '/tmp/never']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`bench: ${fx('bad-only.csv')}: no usable row in this azure trace`);
  });
});
