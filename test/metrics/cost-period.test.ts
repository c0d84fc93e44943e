/** Cost per period and per day, each labelled; the ledger CSV at full precision. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulateConfiguration } from '../../src/engine/simulate.ts';
import { csvLedger } from '../../src/metrics/ledger-file.ts';
import type { LedgerRow } from '../../src/metrics/ledger.ts';
import { expandSweep } from '../../src/scenario/configurations.ts';
import { resolveScenario } from '../../src/scenario/load.ts';

describe('cost per period and per day', () => {
  it('with --duration-hours 6, byModel carries the period’s tokens and dollars (periodCostUsd) and the day’s dollars (costUsd = 4×)', async () => {
    const { scenario, catalog } = resolveScenario({
      name: 't',
      traffic: { requestsPerDay: 4000, durationHours: 6 },
      requestMix: [{ name: 'q', share: 1, inputTokens: 200, outputTokens: 100, difficulty: 0.5 }],
      workflow: [{ type: 'llm', name: 'answer', model: 'gpt-4o-mini' }],
    });
    const r = await simulateConfiguration(scenario, catalog, expandSweep(scenario)[0]!, { seed: 1 });
    const m = r.cost.byModel['gpt-4o-mini']!;
    expect(m.calls).toBe(1000); // 4000 a day × 6/24
    expect(m.inputTokens).toBe(200_000);
    // the period's dollars are its tokens at the catalog's prices ($0.15 / $0.60 per 1M), no cache hit at 200 tokens
    expect(m.periodCostUsd).toBeCloseTo((200_000 * 0.15 + 100_000 * 0.6) / 1e6, 12);
    expect(m.costUsd).toBeCloseTo(4 * m.periodCostUsd!, 12);
    expect(r.cost.periodHours).toBe(6);
    expect(r.cost.perDayUsd).toBeCloseTo(4 * r.cost.perPeriodUsd!, 12);
  });
});

describe('ledger CSV', () => {
  it('writes every number at full precision (an embedding call of $0.0000012 was written as 0.000001)', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ledger-')), 'ledger.csv');
    const ledger = csvLedger(path);
    const row: LedgerRow = {
      tMs: 1234.5678901,
      job: 1,
      step: 'embed',
      model: 'text-embedding-3-small',
      kind: 'embedding',
      inputTokens: 60,
      cachedInputTokens: 0,
      outputTokens: 0,
      costUsd: 0.0000012,
      latencyMs: 41.123456789,
      ttftMs: 41.123456789,
      cache: null,
      retries: 0,
      outcome: 'ok',
    };
    ledger.sink(row);
    ledger.close();
    const cells = readFileSync(path, 'utf8').trim().split('\n')[1]!.split(',');
    expect(Number(cells[8])).toBe(0.0000012);
    expect(Number(cells[0])).toBe(1234.5678901);
    expect(Number(cells[9])).toBe(41.123456789);
  });
});
