/** The summary `bench run` prints: one row per configuration, then the findings in a few lines. */
import { routingCurves } from '../metrics/routing-curves.ts';
import { findings } from '../report/index.ts';
import type { ResultsFile } from '../results/schema.ts';
import { ms, pct, textTable, usd } from './format.ts';

/** The per-configuration summary table. */
export function summaryTable(results: ResultsFile): string {
  const rows = results.configurations.map((c) => [
    c.name,
    ms(c.latencyMs.e2e.p50),
    ms(c.latencyMs.e2e.p95),
    ms(c.latencyMs.ttft.p95),
    ms(c.latencyMs.queueWait.p95),
    c.throughput.peakRps.toFixed(2),
    usd(c.cost.perDayUsd),
    usd(c.cost.perMonthUsd),
    pct(c.quality.share),
    pct(c.requests.total === 0 ? 0 : c.requests.failed / c.requests.total),
    c.slo.checks.length === 0 ? '-' : c.slo.meetsAll ? 'yes' : 'no',
  ]);
  return textTable(['configuration', 'p50', 'p95', 'TTFT p95', 'queue p95', 'peak req/s', 'cost/day', 'cost/month', 'quality', 'errors', 'SLOs met'], rows);
}

/** A few lines under the table: the numbers a reader looks for first. */
export function summaryNotes(results: ResultsFile): string[] {
  const lines: string[] = [];
  const configs = results.configurations;
  if (configs.length === 0) return lines;
  const first = configs[0]!;
  lines.push(
    `${first.requests.total.toLocaleString('en-US')} requests per configuration over ${first.durationHours} h (seed ${results.seed}); ` +
      `${results.mode === 'live' ? 'ran live in' : 'simulated in'} ${configs.map((c) => Math.round(c.engine.wallMs)).join('/')} ms.`,
  );
  // the same findings, in the same words, as the report's "what this run says"
  for (const sentence of findings(results).sentences) lines.push(sentence.text);
  for (const curve of routingCurves(results)) {
    const group = Object.entries(curve.group).map(([k, v]) => `${k}=${v}`).join(' ');
    const share = (v: number | null) => (v === null ? 'not reached' : `${pct(v)} strong calls`);
    lines.push(
      `Routing ${curve.weak}→${curve.strong}${group ? ` (${group})` : ''}: APGR ${curve.apgr.toFixed(3)}, ` +
        `CPT(50%) ${share(curve.cpt50)}, CPT(80%) ${share(curve.cpt80)}.`,
    );
  }
  return lines;
}
