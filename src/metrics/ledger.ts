/**
 * The ledger: one row per call (LLM, embedding, tool, cache hit), aggregated as it is written.
 * Rows are kept only when a sink asks for them, so a million-request day stays small in memory.
 */
import { addCall, type CallRecord } from '../provider/call-record.ts';
import type { UsageTotals } from '../results/schema.ts';

/** One row of the harness's ledger: a call as the client saw it (the shared fields: `CallRecord`). */
export interface LedgerRow extends CallRecord<'server_error' | 'timeout' | 'cache_hit'> {
  /** Call start, ms since the start of the run. */
  tMs: number;
  job: number;
  step: string;
  /** Model id, `tool:<step>` for a tool, or the model the cached answer came from. */
  model: string;
  kind: 'llm' | 'embedding' | 'tool';
  ttftMs: number;
  /** Which cache answered, when one did. */
  cache: 'exact' | 'semantic' | 'embedding' | 'tool' | null;
  retries: number;
}

/** What happened to one call. */
export type CallOutcome = LedgerRow['outcome'];

/** Receives every row (e.g. a CSV writer); optional. */
export type LedgerSink = (row: LedgerRow) => void;

/** Ledger columns in order, for CSV and NDJSON writers. */
export const LEDGER_COLUMNS: ReadonlyArray<keyof LedgerRow> = [
  'tMs',
  'job',
  'step',
  'model',
  'kind',
  'inputTokens',
  'cachedInputTokens',
  'outputTokens',
  'costUsd',
  'latencyMs',
  'ttftMs',
  'cache',
  'retries',
  'outcome',
];

/** An empty usage total. */
export function emptyUsage(): UsageTotals {
  return { calls: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, costUsd: 0, cacheHits: 0 };
}

function add(u: UsageTotals, row: LedgerRow): void {
  addCall(u, row);
  if (row.cache !== null) u.cacheHits++;
}

/** Aggregates rows by model and by step as they arrive; forwards them to an optional sink. */
export class Ledger {
  readonly total = emptyUsage();
  readonly byModel = new Map<string, UsageTotals>();
  readonly byStep = new Map<string, UsageTotals>();
  rows = 0;

  constructor(private readonly sink?: LedgerSink) {}

  record(row: LedgerRow): void {
    this.rows++;
    add(this.total, row);
    let m = this.byModel.get(row.model);
    if (m === undefined) this.byModel.set(row.model, (m = emptyUsage()));
    add(m, row);
    let s = this.byStep.get(row.step);
    if (s === undefined) this.byStep.set(row.step, (s = emptyUsage()));
    add(s, row);
    this.sink?.(row);
  }
}
