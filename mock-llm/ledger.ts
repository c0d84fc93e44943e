/**
 * The mock's usage ledger: one row per call with tokens, cost and timing. Rows are kept in a
 * bounded ring (oldest dropped, counted in `droppedRows`); totals are exact whatever the cap.
 * The ring stores each row's numbers in one typed array (and references to model ids that
 * already exist), and builds the row objects only when they are read: a busy server keeps up to `maxRows` rows,
 * and as objects they would all outlive the young generation and burden the garbage collector.
 */
import { addCall, type CallRecord, type CallSums } from '../src/provider/call-record.ts';

/** One call as mock-llm's ledger records it: the server's side (the shared fields: `CallRecord`). */
export interface LedgerRow extends CallRecord<'error' | 'hang' | 'cut' | 'client_disconnect' | 'shutdown'> {
  /** Request id, also sent as the `x-request-id` response header. */
  id: string;
  /** Wall-clock arrival time, ISO 8601. */
  time: string;
  endpoint: LedgerEndpoint;
  stream: boolean;
  /** Of `inputTokens`, written to the provider's prompt cache (Anthropic cache_control; 0 elsewhere). */
  cacheWriteInputTokens: number;
  /** From arrival to the first token, or null when none was sent. */
  ttftMs: number | null;
  /** Time spent waiting for a concurrency slot. */
  queueMs: number;
  /** HTTP status sent (0 when no status line was ever sent: hang, disconnect while queued). */
  status: number;
}

/** How a call ended. */
export type CallOutcome = LedgerRow['outcome'];

/** The API a call came in through (chat: OpenAI chat completions; messages: Anthropic). */
export type LedgerEndpoint = 'chat' | 'embeddings' | 'responses' | 'completions' | 'messages' | 'generateContent';

/** Sums over one group of rows. */
export type LedgerSums = CallSums;

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

/** A finished call as the core records it; the row's `id` and `time` are derived when read. */
export interface LedgerEntry extends Omit<LedgerRow, 'id' | 'time'> {
  /** The call's sequence number (its id is `callId(endpoint, seq)`). */
  seq: number;
  /** Wall-clock arrival, epoch milliseconds. */
  wallMs: number;
}

/** A call's id (`x-request-id`, and the response's `id`). */
export function callId(endpoint: LedgerEndpoint, seq: number): string {
  return ID_PREFIXES[endpoint] + seq;
}

const ID_PREFIXES: Readonly<Record<LedgerEndpoint, string>> = Object.freeze({
  chat: 'chatcmpl-mock',
  embeddings: 'emb-mock',
  responses: 'resp_mock',
  completions: 'cmpl-mock',
  messages: 'msg_mock',
  generateContent: 'gen-mock',
});

const OUTCOMES: readonly CallOutcome[] = ['ok', 'rate_limited', 'error', 'hang', 'cut', 'context_length', 'client_disconnect', 'shutdown'];
const OUTCOME_INDEX = new Map(OUTCOMES.map((o, i) => [o, i]));
const ENDPOINTS: readonly LedgerEndpoint[] = ['chat', 'embeddings', 'responses', 'completions', 'messages', 'generateContent'];
const ENDPOINT_INDEX = new Map(ENDPOINTS.map((e, i) => [e, i]));
const FIRST_CAPACITY = 1024;

/** A row's numbers, in storage order (one Float64Array, row after row). */
const SEQ = 0;
const WALL_MS = 1;
const INPUT = 2;
const CACHED = 3;
const OUTPUT = 4;
const COST = 5;
const LATENCY = 6;
/** NaN for a null TTFT. */
const TTFT = 7;
const QUEUE = 8;
const STATUS = 9;
/** The outcome's index in OUTCOMES, + 16 × the endpoint's index in ENDPOINTS, + 128 when streamed. */
const KIND = 10;
const CACHE_WRITE = 11;
const STRIDE = 12;

/** The ring's rows: numbers in one typed array, the model ids (strings that already exist) beside; grown by doubling up to the cap. */
class Rows {
  readonly numbers: Float64Array;
  readonly model: string[];

  constructor(
    readonly capacity: number,
    from?: Rows,
  ) {
    this.numbers = new Float64Array(capacity * STRIDE);
    if (from !== undefined) this.numbers.set(from.numbers);
    this.model = from?.model ?? [];
  }

  set(i: number, e: LedgerEntry): void {
    const n = this.numbers;
    const at = i * STRIDE;
    n[at + SEQ] = e.seq;
    n[at + WALL_MS] = e.wallMs;
    n[at + INPUT] = e.inputTokens;
    n[at + CACHED] = e.cachedInputTokens;
    n[at + OUTPUT] = e.outputTokens;
    n[at + COST] = e.costUsd;
    n[at + LATENCY] = e.latencyMs;
    n[at + TTFT] = e.ttftMs === null ? NaN : e.ttftMs;
    n[at + QUEUE] = e.queueMs;
    n[at + STATUS] = e.status;
    n[at + KIND] = OUTCOME_INDEX.get(e.outcome)! + ENDPOINT_INDEX.get(e.endpoint)! * 16 + (e.stream ? 128 : 0);
    n[at + CACHE_WRITE] = e.cacheWriteInputTokens;
    this.model[i] = e.model;
  }

  row(i: number): LedgerRow {
    const n = this.numbers;
    const at = i * STRIDE;
    const kind = n[at + KIND]!;
    const endpoint = ENDPOINTS[(kind >> 4) & 7]!;
    const ttft = n[at + TTFT]!;
    return {
      id: callId(endpoint, n[at + SEQ]!),
      time: isoTime(n[at + WALL_MS]!),
      endpoint,
      model: this.model[i]!,
      stream: (kind & 128) !== 0,
      inputTokens: n[at + INPUT]!,
      cachedInputTokens: n[at + CACHED]!,
      cacheWriteInputTokens: n[at + CACHE_WRITE]!,
      outputTokens: n[at + OUTPUT]!,
      costUsd: n[at + COST]!,
      latencyMs: n[at + LATENCY]!,
      ttftMs: Number.isNaN(ttft) ? null : ttft,
      queueMs: n[at + QUEUE]!,
      outcome: OUTCOMES[kind & 15]!,
      status: n[at + STATUS]!,
    };
  }
}

/** The bounded ledger. */
export class Ledger {
  private rowsHeld: Rows | undefined;
  /** Rows held (at most maxRows). */
  private count = 0;
  /** Where the next row goes once the ring is full (the oldest row). */
  private head = 0;
  private dropped = 0;
  private totals: LedgerTotals = { ...emptySums(), byOutcome: {}, byModel: {} };

  constructor(private readonly maxRows: number) {}

  /** Records a finished call. */
  add(entry: LedgerEntry): void {
    addCall(this.totals, entry);
    this.totals.byOutcome[entry.outcome] = (this.totals.byOutcome[entry.outcome] ?? 0) + 1;
    addCall((this.totals.byModel[entry.model] ??= emptySums()), entry);
    if (this.maxRows === 0) {
      this.dropped++;
      return;
    }
    let c = this.rowsHeld;
    if (this.count < this.maxRows) {
      if (c === undefined || this.count === c.capacity) {
        c = this.rowsHeld = new Rows(Math.min(this.maxRows, c === undefined ? FIRST_CAPACITY : c.capacity * 2), c);
      }
      c.set(this.count++, entry);
      return;
    }
    c!.set(this.head, entry);
    this.head = (this.head + 1) % this.maxRows;
    this.dropped++;
  }

  /** Rows still in memory, oldest first. */
  rows(): LedgerRow[] {
    const out = new Array<LedgerRow>(this.count);
    const c = this.rowsHeld;
    for (let k = 0; k < this.count; k++) out[k] = c!.row((this.head + k) % this.count);
    return out;
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
    let out = '';
    for (const r of this.rows()) out += JSON.stringify(r) + '\n';
    return out;
  }

  /** Forgets every row and total. */
  reset(): void {
    this.rowsHeld = undefined;
    this.count = 0;
    this.head = 0;
    this.dropped = 0;
    this.totals = { ...emptySums(), byOutcome: {}, byModel: {} };
  }
}
