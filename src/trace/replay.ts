/**
 * Replaying a trace through a scenario: the trace's arrival times (rescaled by a speed), and for
 * each request its logged input and output tokens, its model (when the catalog knows it), its
 * session (one prompt identity per session, so later turns share the earlier turns' prefix) and
 * its prefix blocks. The scenario still decides the workflow, the task kind and the difficulty.
 */
import type { Catalog } from '../provider/catalog.ts';
import { BenchError } from '../core/errors.ts';
import type { TraceOverrides } from '../workload/requests.ts';
import { parseColumns } from './csv.ts';
import { badRowsNote, readTrace } from './read.ts';
import type { Trace, TraceFormat } from './trace.ts';

const MS_PER_HOUR = 3_600_000;
/** Prompt identities of sessions start here, above any wording id a task kind makes. */
const SESSION_WORDING_BASE = 2 ** 50;

/** What `--trace` and its flags ask for (plain data: it crosses to worker threads). */
export interface TraceSpec {
  file: string;
  format?: TraceFormat;
  /** `--columns` text. */
  columns?: string;
  /** Play k times faster than logged (`--trace-speed`). */
  speed?: number;
  /** Rescale time so the trace's rate becomes this many requests a day (`--requests-per-day`). */
  requestsPerDay?: number;
  /** Play only the first this many hours of scenario time (`--duration-hours`, `--duration`). */
  durationHours?: number;
}

/** A trace ready to replay. */
export interface TraceReplay {
  trace: Trace;
  /** Trace ms per scenario ms. */
  speed: number;
  /** Requests replayed (those inside the duration). */
  count: number;
  /** Scenario hours the replay lasts. */
  durationHours: number;
  /** Requests per day at the replayed speed. */
  requestsPerDay: number;
  /** Requests whose logged model is not in the catalog: the routing strategy chose theirs. */
  unknownModelRequests: number;
  unknownModels: string[];
}

/** Reads the trace and works out its timing. */
export async function prepareReplay(spec: TraceSpec, catalog: Catalog): Promise<TraceReplay> {
  if (spec.speed !== undefined && spec.requestsPerDay !== undefined) {
    throw new BenchError('USAGE', "--trace-speed and --requests-per-day both rescale a trace's time: give one of them");
  }
  if (spec.speed !== undefined && !(spec.speed > 0)) throw new BenchError('USAGE', `--trace-speed ${spec.speed}: expected a number above 0`);
  const trace = await readTrace(spec.file, {
    ...(spec.format !== undefined ? { format: spec.format } : {}),
    ...(spec.columns !== undefined ? { columns: parseColumns(spec.columns) } : {}),
  });
  const spanMs = Math.max(trace.spanMs, 1);
  // n requests in the span: the rate `bench trace stats` reports and a replay of the span reproduces
  const loggedPerDay = (trace.count / spanMs) * 24 * MS_PER_HOUR;
  const speed = spec.requestsPerDay !== undefined ? spec.requestsPerDay / loggedPerDay : (spec.speed ?? 1);
  let count = trace.count;
  let durationMs = trace.spanMs / speed;
  if (spec.durationHours !== undefined && spec.durationHours * MS_PER_HOUR < durationMs) {
    durationMs = spec.durationHours * MS_PER_HOUR;
    count = 0;
    while (count < trace.count && trace.timeMs[count]! / speed <= durationMs) count++;
  }
  const unknown = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const m = trace.modelIndex[i]!;
    if (m >= 0 && catalog[trace.models[m]!]?.kind !== 'chat') unknown.set(trace.models[m]!, (unknown.get(trace.models[m]!) ?? 0) + 1);
  }
  return {
    trace,
    speed,
    count,
    // a trace of one instant still lasts a millisecond, so rates stay finite
    durationHours: Math.max(durationMs, 1) / MS_PER_HOUR,
    requestsPerDay: loggedPerDay * speed,
    unknownModelRequests: [...unknown.values()].reduce((a, b) => a + b, 0),
    unknownModels: [...unknown.keys()],
  };
}

/** Scenario arrival time (ms) of replayed request `i`. */
export function replayArrival(r: TraceReplay, i: number): number {
  return r.trace.timeMs[i]! / r.speed;
}

/** What request `i` logged, as overrides of the scenario's draws. */
export function replayOverrides(r: TraceReplay, i: number, catalog: Catalog): TraceOverrides & { inputTokens: number } {
  const t = r.trace;
  const out: TraceOverrides & { inputTokens: number } = { inputTokens: Math.max(1, t.inputTokens[i]!), outputTokens: t.outputTokens[i]! };
  const m = t.modelIndex[i]!;
  if (m >= 0 && catalog[t.models[m]!]?.kind === 'chat') out.model = t.models[m]!;
  const s = t.sessionIndex[i]!;
  if (s >= 0) out.wordingId = SESSION_WORDING_BASE + s;
  if (t.blockStart !== null && t.blockIds !== null) {
    out.prefixBlocks = { ids: t.blockIds.subarray(t.blockStart[i]!, t.blockStart[i + 1]!), blockTokens: t.blockTokens };
  }
  return out;
}

/** One line saying what was replayed and how per-day figures were extrapolated. */
export function replayNote(r: TraceReplay): string {
  const speed = r.speed === 1 ? 'at the logged speed' : `${fmt(r.speed)}× the logged speed`;
  const hours = fmt(r.durationHours);
  const unknown =
    r.unknownModelRequests > 0
      ? ` ${r.unknownModelRequests} request(s) logged models the catalog does not have (${r.unknownModels.slice(0, 5).join(', ')}): the routing strategy chose theirs.`
      : '';
  const bad = badRowsNote(r.trace);
  return (
    `Replayed ${r.count.toLocaleString('en-US')} requests of ${r.trace.file} (${r.trace.format}) ${speed} over ${hours} h` +
    ` (${Math.round(r.requestsPerDay).toLocaleString('en-US')} requests/day); per-day costs are extrapolated from these ${hours} h.${unknown}` +
    (bad === null ? '' : ` ${bad}`)
  );
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
