import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCatalog, PRESET_MODELS } from '../../src/provider/catalog.ts';
import { applyPrices, priceTable } from '../../src/provider/prices.ts';

const file = (body: unknown) => {
  const f = join(mkdtempSync(join(tmpdir(), 'prices-')), 'prices.json');
  writeFileSync(f, JSON.stringify(body));
  return f;
};

describe('price tables', () => {
  it('every catalog price carries its source and a YYYY-MM-DD date', () => {
    for (const m of Object.values(PRESET_MODELS)) {
      expect(m.pricing.source.length).toBeGreaterThan(0);
      expect(m.pricing.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it("a --prices file replaces a model's prices, and the table records the file, the source and the date", () => {
    const f = file({ 'gpt-4o': { inputPer1M: 2, outputPer1M: 8, source: 'our contract', asOf: '2026-11-01' } });
    const catalog = applyPrices(buildCatalog(), f);
    expect(catalog['gpt-4o']!.pricing).toEqual({ inputPer1M: 2, cachedInputPer1M: 1.25, outputPer1M: 8, source: 'our contract', asOf: '2026-11-01' });
    const table = priceTable(catalog, f);
    expect(table.file).toBe(f);
    expect(table.models['gpt-4o-mini']!.source).toBe(PRESET_MODELS['gpt-4o-mini']!.pricing.source);
  });

  it('names the file and the model of a bad entry', () => {
    expect(() => applyPrices(buildCatalog(), file({ 'gpt-5o': { inputPer1M: 1, source: 's', asOf: '2026-01-01' } }))).toThrow(/unknown model "gpt-5o"/);
    const f = file({ 'gpt-4o': { inputPer1M: 1 } });
    expect(() => applyPrices(buildCatalog(), f)).toThrow(`--prices ${f}: gpt-4o needs "source" (where the prices were read) and "asOf" (YYYY-MM-DD)`);
  });
});
