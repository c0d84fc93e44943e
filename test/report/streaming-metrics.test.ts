/** ITL p95, TPOT p95 and output tokens/s in the report's configuration table and in compare. */
import { describe, expect, it } from 'vitest';
import { renderCompare, renderReport } from '../../src/report/index.ts';
import type { ResultsFile } from '../../src/results/schema.ts';
import { buildResults } from '../fixtures/results.ts';

const pct = (p50: number, p95: number) => ({ count: 500, mean: p50, p50, p90: p95 * 0.9, p95, p99: p95 * 1.4, max: p95 * 2 });

/** The fixture run with streaming figures on its first configuration only (the others predate them). */
function streamingRun(): ResultsFile {
  const r = buildResults();
  const c = r.configurations[0]!;
  c.latencyMs.itl = pct(21.5, 34.2);
  c.latencyMs.tpot = pct(18, 26.7);
  c.throughput.outputTokensPerS = { aggregate: 1234, perRequest: pct(40, 48) };
  return r;
}

const cellText = (html: string) => html.replace(/<[^>]+>/g, '').trim();

/** The configuration table as header → cell text, one object per row. */
function configurationRows(html: string): Record<string, string>[] {
  const table = /<table[^>]*id="configurations"[^>]*>([\s\S]*?)<\/table>/.exec(html)![1]!;
  const headers = [...table.matchAll(/<th[^>]*>([\s\S]*?)<\/th>/g)].map((m) => cellText(m[1]!));
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)![1]!;
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((tr) => {
    const cells = [...tr[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => cellText(m[1]!));
    return Object.fromEntries(headers.map((h, i) => [h, cells[i]!]));
  });
}

describe('streaming metrics in the report', () => {
  it('shows ITL p95, TPOT p95 and output tok/s of a configuration that has them, – for one that does not', () => {
    const rows = configurationRows(renderReport(streamingRun()));
    expect(rows[0]).toMatchObject({ 'ITL p95': '34.2 ms', 'TPOT p95': '26.7 ms', 'output tok/s': '1,234' });
    expect(rows[1]).toMatchObject({ 'ITL p95': '–', 'TPOT p95': '–', 'output tok/s': '–' });
  });
});

describe('streaming metrics in compare', () => {
  it('compares ITL p95, TPOT p95 and output tok/s, each the right way round', () => {
    const a = streamingRun();
    const b = structuredClone(a);
    const c = b.configurations[0]!;
    c.latencyMs.itl!.p95 = 41; // +6.8 ms: worse
    c.latencyMs.tpot!.p95 = 20; // −6.7 ms: better
    c.throughput.outputTokensPerS!.aggregate = 1500; // higher is better
    const html = renderCompare(a, b);
    const rows = [...html.matchAll(/<tr data-direction="(\w+)">([\s\S]*?)<\/tr>/g)].map((m) => [
      m[1],
      ...[...m[2]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((t) => cellText(t[1]!)),
    ]);
    const of = (label: string) => rows.filter((r) => r[2] === label);
    expect(of('ITL p95')).toEqual([['worse', 'strong · none', 'ITL p95', '34.2 ms', '41 ms', '+6.8 ms', '+19.9%', 'worse']]);
    expect(of('TPOT p95')).toEqual([['better', 'strong · none', 'TPOT p95', '26.7 ms', '20 ms', '−6.7 ms', '−25.1%', 'better']]);
    expect(of('output tok/s')).toEqual([['better', 'strong · none', 'output tok/s', '1,234', '1,500', '+266', '+21.6%', 'better']]);
  });
});
