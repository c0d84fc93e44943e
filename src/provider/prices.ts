/**
 * Price tables: every catalog price carries where it was read (`source`) and when (`asOf`); a
 * `--prices` file replaces them per model, and a run records the table it used.
 */
import { readFileSync } from 'node:fs';
import { BenchError } from '../core/errors.ts';
import { findModel, type Catalog, type ModelPricing, type ModelSpec } from './catalog.ts';

/** The table a run used: where it came from, and each model's prices with their source and date. */
export interface PriceTable {
  /** The `--prices` file, or null for the catalog's own prices. */
  file: string | null;
  models: Record<string, ModelPricing>;
}

const FIELDS = ['inputPer1M', 'cachedInputPer1M', 'outputPer1M'] as const;

/** Applies a `--prices` file (`{ "<model>": { inputPer1M?, cachedInputPer1M?, outputPer1M?, source, asOf } }`). */
export function applyPrices(catalog: Catalog, file: string): Catalog {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new BenchError('USAGE', `--prices ${file}: could not read it: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new BenchError('USAGE', `--prices ${file}: expected a JSON object of model id → prices`);
  const out: Record<string, ModelSpec> = { ...catalog };
  for (const [id, p] of Object.entries(parsed as Record<string, Record<string, unknown>>)) {
    const spec = findModel(catalog, id);
    if (spec === undefined) throw new BenchError('USAGE', `--prices ${file}: unknown model "${id}"; known models: ${Object.keys(catalog).join(', ')}`);
    for (const k of FIELDS) {
      if (p[k] !== undefined && !(typeof p[k] === 'number' && p[k] >= 0))
        throw new BenchError('USAGE', `--prices ${file}: ${id}.${k} must be a number ≥ 0 (US dollars per million tokens)`);
    }
    if (typeof p.source !== 'string' || typeof p.asOf !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(p.asOf)) {
      throw new BenchError('USAGE', `--prices ${file}: ${id} needs "source" (where the prices were read) and "asOf" (YYYY-MM-DD)`);
    }
    out[id] = { ...spec, pricing: { ...spec.pricing, ...(p as Partial<ModelPricing>) } };
  }
  return Object.freeze(out);
}

/** The price table of a catalog, for results.json. */
export function priceTable(catalog: Catalog, file: string | null): PriceTable {
  return { file, models: Object.fromEntries(Object.entries(catalog).map(([id, m]) => [id, m.pricing])) };
}
