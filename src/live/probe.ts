/**
 * A closed-loop capacity probe of one HTTP endpoint (autocannon): N connections each send a
 * request as soon as the previous answer arrives, so the result is the most requests per second
 * the endpoint sustains at that concurrency, with its latency percentiles. Closed loop measures
 * capacity, not user latency under a given arrival rate (that is `bench run --live`, open loop):
 * at saturation a closed loop waits with the server and hides the queueing users would see.
 */
import type autocannon from 'autocannon';
import { BenchError } from '../core/errors.ts';

/** Options of a probe. */
export interface ProbeOptions {
  /** Absolute http(s) URL of the endpoint. */
  url: string;
  /** Concurrency levels to probe, one after the other. @default PROBE_DEFAULTS.connections */
  connections?: number[];
  /** Seconds per level. @default PROBE_DEFAULTS.durationS */
  durationS?: number;
  /** @default 'POST' with a body, else 'GET' */
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  /** Seconds a request may take before it counts as a timeout. @default PROBE_DEFAULTS.timeoutS */
  timeoutS?: number;
}

/** Defaults of a probe, defined once. */
export const PROBE_DEFAULTS = { connections: [10], durationS: 10, timeoutS: 30 } as const;

/** What one concurrency level sustained. */
export interface ProbeResult {
  connections: number;
  durationS: number;
  /** Responses received (any status). */
  requests: number;
  /** Per-second request rate: mean over the seconds of the probe, and the best second. */
  requestsPerSecond: { mean: number; max: number };
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Connection errors (timeouts included), timeouts alone, and answers outside 2xx. */
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** Probes `url` at each concurrency level in turn. */
export async function probe(options: ProbeOptions): Promise<ProbeResult[]> {
  const url = checkUrl(options.url);
  const levels = options.connections ?? [...PROBE_DEFAULTS.connections];
  for (const n of levels) {
    if (!(Number.isInteger(n) && n > 0)) throw new BenchError('USAGE', `connections ${n}: expected positive whole numbers, e.g. 1,8,32`);
  }
  const durationS = options.durationS ?? PROBE_DEFAULTS.durationS;
  if (!(durationS > 0)) throw new BenchError('USAGE', `duration ${durationS}: expected seconds above 0`);
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type') && /^\s*[[{]/.test(options.body)) {
    headers['content-type'] = 'application/json';
  }
  // loaded here: autocannon is ~25 modules every other `bench` command would load at start-up for nothing
  const { default: run } = await import('autocannon');
  const out: ProbeResult[] = [];
  for (const connections of levels) {
    const r = await run({
      url,
      connections,
      duration: durationS,
      method: (options.method ?? (options.body !== undefined ? 'POST' : 'GET')) as autocannon.Request['method'],
      headers,
      timeout: options.timeoutS ?? PROBE_DEFAULTS.timeoutS,
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
    out.push({
      connections,
      durationS: r.duration,
      requests: r.requests.total,
      requestsPerSecond: { mean: r.requests.average, max: r.requests.max },
      latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.average },
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
    });
  }
  return out;
}

/** The probe's results as a text table, one row per concurrency level. */
export function probeTable(results: ProbeResult[]): string {
  const head = ['connections', 'req/s mean', 'req/s max', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'requests', 'errors', 'non-2xx'];
  const rows = results.map((r) => [
    String(r.connections),
    r.requestsPerSecond.mean.toFixed(1),
    r.requestsPerSecond.max.toFixed(0),
    r.latencyMs.p50.toFixed(1),
    r.latencyMs.p90.toFixed(1),
    r.latencyMs.p99.toFixed(1),
    r.latencyMs.max.toFixed(1),
    String(r.requests),
    String(r.errors),
    String(r.non2xx),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

function checkUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new BenchError('USAGE', `"${text}" is not a URL; give the endpoint in full, e.g. http://127.0.0.1:8080/agent`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new BenchError('USAGE', `${text}: only http:// and https:// endpoints can be probed`);
  return u.href;
}
