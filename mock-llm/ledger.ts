/**
 * The mock's usage ledger: one row per call with tokens, cost and timing. Rows are kept in a
 * bounded ring (oldest dropped, counted in `droppedRows`); totals are exact whatever the cap.
 */

/** How a call ended. */
export type CallOutcome =
  | 'ok'
  | 'rate_limited'
  | 'error'
  | 'hang'
  | 'cut'
  | 'context_length'
  | 'client_disconnect'
  | 'shutdown';

/** One call as the ledger records it. */
export interface LedgerRow {
  /** Request id, also sent as the `x-request-id` response header. */
  id: string;
  /** Wall-clock arrival time, ISO 8601. */
  time: string;
  endpoint: 'chat' | 'embeddings';
  model: string;
  stream: boolean;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** From arrival to the last byte (or to the end of the call for faults). */
  latencyMs: number;
  /** From arrival to the first token, or null when none was sent. */
  ttftMs: number | null;
  /** Time spent waiting for a concurrency slot. */
  queueMs: number;
  outcome: CallOutcome;
  /** HTTP status sent (0 when no status line was ever sent: hang, disconnect while queued). */
  status: number;
}

/** Sums over one group of rows. */
export interface LedgerSums {
  calls: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Exact totals over every call since the last reset. */
export interface LedgerTotals extends LedgerSums {
  byOutcome: Partial<Record<CallOutcome, number>>;
  byModel: Record<string, LedgerSums>;
}

/** What GET /v1/ledger answers as JSON. */
export interface LedgerSnapshot {
  totals: LedgerTotals;
  /** Rows dropped from memory because of the cap (still counted in totals). */
  droppedRows: number;
  rows: LedgerRow[];
}

let isoSecond = NaN;
let isoPrefix = '';
/**
 * `new Date(ms).toISOString()` for an integer epoch time, the part up to the seconds reused within
 * the same second (one Date per second rather than per call).
 */
export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (!Number.isInteger(ms) || ms < 0 || ms >= 253402300800000) return new Date(ms).toISOString(); // outside years 1970–9999
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20); // "YYYY-MM-DDTHH:MM:SS."
  }
  const milli = ms - second * 1000;
  return isoPrefix + (milli < 10 ? '00' : milli < 100 ? '0' : '') + milli + 'Z';
}

function emptySums(): LedgerSums {
  return { calls: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, costUsd: 0 };
}

function addTo(s: LedgerSums, row: LedgerRow): void {
  s.calls++;
  s.inputTokens += row.inputTokens;
  s.cachedInputTokens += row.cachedInputTokens;
  s.outputTokens += row.outputTokens;
  s.costUsd += row.costUsd;
}

/** The bounded ledger. */
export class Ledger {
  private ring: LedgerRow[] = [];
  private head = 0;
  private dropped = 0;
  private totals: LedgerTotals = { ...emptySums(), byOutcome: {}, byModel: {} };

  constructor(private readonly maxRows: number) {}

  /** Records a finished call. */
  add(row: LedgerRow): void {
    addTo(this.totals, row);
    this.totals.byOutcome[row.outcome] = (this.totals.byOutcome[row.outcome] ?? 0) + 1;
    addTo((this.totals.byModel[row.model] ??= emptySums()), row);
    if (this.maxRows === 0) {
      this.dropped++;
    } else if (this.ring.length < this.maxRows) {
      this.ring.push(row);
    } else {
      this.ring[this.head] = row;
      this.head = (this.head + 1) % this.maxRows;
      this.dropped++;
    }
  }

  /** Rows still in memory, oldest first. */
  rows(): LedgerRow[] {
    return this.head === 0 ? this.ring.slice() : [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
  }

  /** Totals, dropped count and rows. */
  snapshot(): LedgerSnapshot {
    return { totals: structuredClone(this.totals), droppedRows: this.dropped, rows: this.rows() };
  }

  /** The exact totals (live object: read, do not mutate). */
  currentTotals(): Readonly<LedgerTotals> {
    return this.totals;
  }

  /** Rows as NDJSON, one row a line. */
  toNdjson(): string {
    const rows = this.rows();
    let out = '';
    for (const r of rows) out += JSON.stringify(r) + '\n';
    return out;
  }

  /** Forgets every row and total. */
  reset(): void {
    this.ring = [];
    this.head = 0;
    this.dropped = 0;
    this.totals = { ...emptySums(), byOutcome: {}, byModel: {} };
  }
}
