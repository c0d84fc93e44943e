/** Writes ledger rows to a CSV file as they come, in batches (a day can hold millions of rows). */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { LEDGER_COLUMNS, type LedgerRow, type LedgerSink } from './ledger.ts';

const FLUSH_ROWS = 20_000;

/** A CSV ledger file: `sink` receives rows, `close` flushes what is left. */
export function csvLedger(path: string): { sink: LedgerSink; close(): void } {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${LEDGER_COLUMNS.join(',')}\n`);
  let lines: string[] = [];
  const flush = () => {
    if (lines.length === 0) return;
    appendFileSync(path, `${lines.join('\n')}\n`);
    lines = [];
  };
  return {
    sink(row: LedgerRow) {
      lines.push(LEDGER_COLUMNS.map((c) => csvCell(row[c])).join(','));
      if (lines.length >= FLUSH_ROWS) flush();
    },
    close: flush,
  };
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  // full precision (the shortest text that reads back to the same number): an embedding call's
  // $0.0000012 rounded to 6 decimals was off by 25–50%
  if (typeof v === 'number') return String(v);
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
