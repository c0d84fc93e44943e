/**
 * A trace held as columns of typed arrays (about 30 bytes a request), so a million-row file
 * fits in a few tens of megabytes: arrival time, input and output tokens, and where the trace
 * has them the model, the session and the shared prefix blocks of each request.
 */

/** Trace file formats the readers understand. */
export const TRACE_FORMATS = ['azure', 'burstgpt', 'csv', 'mooncake', 'otel', 'openai-log'] as const;
/** One of `TRACE_FORMATS`. */
export type TraceFormat = (typeof TRACE_FORMATS)[number];

/** Rows a reader could not use, with the line numbers of the first few. */
export interface BadRows {
  count: number;
  /** `line N: reason` for the first `MAX_REPORTED_BAD_ROWS`. */
  examples: string[];
}

/** Bad rows listed by line number in messages; the rest are counted. */
const MAX_REPORTED_BAD_ROWS = 10;

/** Tokens of one prefix block of a Mooncake trace (`hash_ids`). */
const MOONCAKE_BLOCK_TOKENS = 512;

/** One request as a reader produces it. */
export interface TraceRow {
  /** Arrival time in ms (any origin; the trace subtracts the first). */
  timeMs: number;
  inputTokens: number;
  outputTokens: number;
  model?: string;
  session?: string;
  /** Shared prefix blocks (Mooncake `hash_ids`): equal leading ids mean an equal prompt prefix. */
  blocks?: ArrayLike<number>;
  /** How long the request took where the trace says (span end − start). */
  durationMs?: number;
}

/** A whole trace, sorted by arrival; times are ms since the first request. */
export interface Trace {
  file: string;
  format: TraceFormat;
  count: number;
  timeMs: Float64Array;
  inputTokens: Int32Array;
  outputTokens: Int32Array;
  /** Index into `models`, or -1 when the row named none. */
  modelIndex: Int32Array;
  models: string[];
  /** Session number (0…sessions−1), or -1 when the row named none. */
  sessionIndex: Int32Array;
  sessions: number;
  /** Prefix blocks of request i are `blockIds[blockStart[i] … blockStart[i+1])`; null when the trace has none. */
  blockStart: Int32Array | null;
  blockIds: Int32Array | null;
  blockTokens: number;
  /** Per-request duration in ms (NaN = unknown); null when the trace has none. */
  durationMs: Float64Array | null;
  /** Epoch ms of the first request when the trace's times are absolute, else null. */
  startEpochMs: number | null;
  /** Time from the first to the last arrival. */
  spanMs: number;
  badRows: BadRows;
}

/** The requests of trace `t` that carry a model name, per name. */
export function modelCounts(t: Trace): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < t.count; i++) {
    const m = t.modelIndex[i]!;
    if (m >= 0) counts.set(t.models[m]!, (counts.get(t.models[m]!) ?? 0) + 1);
  }
  return counts;
}

/** Appends rows into growable typed arrays; `finish` sorts them by time. */
export class TraceBuilder {
  private n = 0;
  private time = new Float64Array(1024);
  private input: Int32Array<ArrayBuffer> = new Int32Array(1024);
  private output: Int32Array<ArrayBuffer> = new Int32Array(1024);
  private model: Int32Array<ArrayBuffer> = new Int32Array(1024);
  private session: Int32Array<ArrayBuffer> = new Int32Array(1024);
  private duration: Float64Array | null = null;
  private blockStart: Int32Array | null = null;
  private blockIds: Int32Array | null = null;
  private blockCount = 0;
  private readonly modelIds = new Map<string, number>();
  private readonly sessionIds = new Map<string, number>();
  private sorted = true;
  private readonly bad: BadRows = { count: 0, examples: [] };

  constructor(
    private readonly file: string,
    private readonly format: TraceFormat,
    /** Whether times are epoch ms (so hours of the day mean something). */
    private readonly absolute: boolean,
  ) {}

  /** Rows added so far. */
  get count(): number {
    return this.n;
  }

  /** Counts a row that could not be used; the first few keep their line number and reason. */
  reject(lineNo: number, reason: string): void {
    this.bad.count++;
    if (this.bad.examples.length < MAX_REPORTED_BAD_ROWS) this.bad.examples.push(`line ${lineNo}: ${reason}`);
  }

  /** Adds one request. */
  add(row: TraceRow): void {
    const i = this.put(row.timeMs, row.inputTokens, row.outputTokens, row.model, row.session);
    if (row.durationMs !== undefined) {
      this.duration ??= new Float64Array(this.time.length).fill(NaN, 0, i);
      this.duration[i] = row.durationMs;
    } else if (this.duration !== null) this.duration[i] = NaN;
    if (row.blocks !== undefined || this.blockStart !== null) this.addBlocks(i, row.blocks ?? []);
  }

  /** Adds one request with no duration and no prefix blocks (a CSV row: no row object made). */
  addCounts(timeMs: number, inputTokens: number, outputTokens: number, model: string | undefined, session: string | undefined): void {
    const i = this.put(timeMs, inputTokens, outputTokens, model, session);
    if (this.duration !== null) this.duration[i] = NaN;
    if (this.blockStart !== null) this.addBlocks(i, []);
  }

  private put(timeMs: number, inputTokens: number, outputTokens: number, model: string | undefined, session: string | undefined): number {
    if (this.n === this.time.length) this.grow();
    const i = this.n++;
    if (i > 0 && timeMs < this.time[i - 1]!) this.sorted = false;
    this.time[i] = timeMs;
    this.input[i] = inputTokens;
    this.output[i] = outputTokens;
    this.model[i] = model === undefined || model === '' ? -1 : intern(this.modelIds, model);
    this.session[i] = session === undefined || session === '' ? -1 : intern(this.sessionIds, session);
    return i;
  }

  private addBlocks(i: number, blocks: ArrayLike<number>): void {
    if (this.blockStart === null) {
      this.blockStart = new Int32Array(this.time.length + 1);
      this.blockIds = new Int32Array(1024);
    }
    this.blockStart[i] = this.blockCount;
    while (this.blockCount + blocks.length > this.blockIds!.length) this.blockIds = growInt(this.blockIds!, this.blockIds!.length * 2);
    for (let k = 0; k < blocks.length; k++) this.blockIds![this.blockCount++] = blocks[k]!;
    this.blockStart[i + 1] = this.blockCount;
  }

  private grow(): void {
    const size = this.time.length * 2;
    const time = new Float64Array(size);
    time.set(this.time);
    this.time = time;
    this.input = growInt(this.input, size);
    this.output = growInt(this.output, size);
    this.model = growInt(this.model, size);
    this.session = growInt(this.session, size);
    if (this.duration !== null) {
      const d = new Float64Array(size);
      d.set(this.duration);
      this.duration = d;
    }
    if (this.blockStart !== null) this.blockStart = growInt(this.blockStart, size + 1);
  }

  /** The finished trace, sorted by arrival, times relative to the first. */
  finish(): Trace {
    const n = this.n;
    let order: Uint32Array | null = null;
    if (!this.sorted) {
      order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      const t = this.time;
      order.sort((a, b) => t[a]! - t[b]! || a - b);
    }
    const pick = <A extends Float64Array | Int32Array>(src: A, make: (len: number) => A): A => {
      const out = make(n);
      for (let i = 0; i < n; i++) out[i] = src[order === null ? i : order[i]!]!;
      return out;
    };
    const time = pick(this.time, (l) => new Float64Array(l));
    const t0 = n > 0 ? time[0]! : 0;
    for (let i = 0; i < n; i++) time[i] = time[i]! - t0;
    const blocks = this.sortedBlocks(order);
    return {
      file: this.file,
      format: this.format,
      count: n,
      timeMs: time,
      inputTokens: pick(this.input, (l) => new Int32Array(l)),
      outputTokens: pick(this.output, (l) => new Int32Array(l)),
      modelIndex: pick(this.model, (l) => new Int32Array(l)),
      models: [...this.modelIds.keys()],
      sessionIndex: pick(this.session, (l) => new Int32Array(l)),
      sessions: this.sessionIds.size,
      blockStart: blocks?.start ?? null,
      blockIds: blocks?.ids ?? null,
      blockTokens: MOONCAKE_BLOCK_TOKENS,
      durationMs: this.duration === null ? null : pick(this.duration, (l) => new Float64Array(l)),
      startEpochMs: this.absolute && n > 0 ? t0 : null,
      spanMs: n > 0 ? time[n - 1]! : 0,
      badRows: this.bad,
    };
  }

  private sortedBlocks(order: Uint32Array | null): { start: Int32Array; ids: Int32Array } | null {
    if (this.blockStart === null) return null;
    const srcStart = this.blockStart;
    const srcIds = this.blockIds!;
    if (order === null) return { start: srcStart.slice(0, this.n + 1), ids: srcIds.slice(0, this.blockCount) };
    const start = new Int32Array(this.n + 1);
    const ids = new Int32Array(this.blockCount);
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      const j = order[i]!;
      start[i] = k;
      for (let b = srcStart[j]!; b < srcStart[j + 1]!; b++) ids[k++] = srcIds[b]!;
    }
    start[this.n] = k;
    return { start, ids };
  }
}

function intern(ids: Map<string, number>, key: string): number {
  let id = ids.get(key);
  if (id === undefined) ids.set(key, (id = ids.size));
  return id;
}

function growInt(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const out = new Int32Array(size);
  out.set(a.subarray(0, Math.min(a.length, size)));
  return out;
}
