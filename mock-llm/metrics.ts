/**
 * Counters of the mock, rendered in the Prometheus text exposition format for GET /metrics.
 * Token and cost totals come from the ledger (exact); this file counts what the ledger does not:
 * HTTP statuses, 429s and errors by type, how late scheduled sends went out, and how busy the
 * serving process was.
 */
import { performance, PerformanceObserver, type EventLoopUtilization } from 'node:perf_hooks';
import type { LedgerSums, LedgerTotals } from './ledger.ts';

/** The live gauges the core exposes per model. */
export interface ModelGauges {
  inFlight: number;
  queued: number;
}

/** One request counter and its labels. */
interface RequestCounter {
  model: string;
  endpoint: string;
  status: number;
  n: number;
}

/** Upper bounds, in seconds, of the send-lateness histogram's buckets (then +Inf). */
export const LATENESS_BUCKETS_S: readonly number[] = Object.freeze([0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);

/**
 * How late the mock sent what it had scheduled: each streamed token, and each whole answer,
 * against the due time its latency model gave it (wall time, after the time scale). A mock that
 * keeps up sends within a millisecond or two; a loaded one (an overloaded event loop, a long
 * garbage-collection pause, too few cores) shows here, so a load test can tell its own numbers
 * from the mock's lag. Sends made early (by up to the scheduler's 0.02 ms tolerance) count as 0.
 */
export class LatenessHistogram {
  /** counts[i]: observations ≤ LATENESS_BUCKETS_S[i] and above the previous bound; the last is +Inf. */
  private readonly counts = new Float64Array(LATENESS_BUCKETS_S.length + 1);
  count = 0;
  sumMs = 0;
  maxMs = 0;

  observe(latenessMs: number): void {
    const ms = latenessMs > 0 ? latenessMs : 0;
    const s = ms / 1000;
    let i = 0;
    while (i < LATENESS_BUCKETS_S.length && s > LATENESS_BUCKETS_S[i]!) i++;
    this.counts[i]!++;
    this.count++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  /** Cumulative counts per bound, as Prometheus renders them (the last is +Inf). */
  cumulative(): number[] {
    let run = 0;
    return Array.from(this.counts, (c) => (run += c));
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sumMs = 0;
    this.maxMs = 0;
  }
}

/**
 * How busy the process serving the mock was since the last reset: the share of wall time its
 * event loop ran code rather than waited (near 1, sends queue up behind one another), and the
 * pauses of its garbage collector (every send due during one goes out late). With the lateness
 * histogram they tell whether the mock kept up with a load test. They are the process's own: a
 * mock started inside a test process counts that process's work too.
 */
class ProcessHealth {
  private since: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      this.pauses++;
      this.pauseMs += entry.duration;
      if (entry.duration > this.maxPauseMs) this.maxPauseMs = entry.duration;
    }
  });
  pauses = 0;
  pauseMs = 0;
  maxPauseMs = 0;

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** The event loop's utilization since the last reset, 0 to 1. */
  utilization(): number {
    return performance.eventLoopUtilization(this.since).utilization;
  }

  reset(): void {
    this.since = performance.eventLoopUtilization();
    this.pauses = 0;
    this.pauseMs = 0;
    this.maxPauseMs = 0;
  }

  /** Stops observing the collector. */
  close(): void {
    this.observer.disconnect();
  }
}

/** Request counters keyed by labels. */
export class Metrics {
  /** How late scheduled sends went out (see LatenessHistogram). */
  readonly lateness = new LatenessHistogram();
  /** How busy the serving process was (see ProcessHealth). */
  readonly health = new ProcessHealth();
  /** model → endpoint → status → counter: no label key string built per request */
  private readonly requests = new Map<string, Map<string, Map<number, RequestCounter>>>();
  /** The same counters in the order they first appeared (the exposition order). */
  private readonly requestOrder: RequestCounter[] = [];
  private readonly rateLimited = new Map<string, number>();
  /** error type (e.g. invalid_request_error, model_not_found, server_error, cut) → count */
  private readonly errors = new Map<string, number>();
  /** Prompt messages not in the token cache, counted on the tokenizer thread, and the batches they went in (mock-llm/prompt-batch.ts). */
  tokenizedMessages = 0;
  tokenizerBatches = 0;

  /** Counts one answered request. */
  request(model: string, endpoint: string, status: number): void {
    let byEndpoint = this.requests.get(model);
    if (byEndpoint === undefined) this.requests.set(model, (byEndpoint = new Map()));
    let byStatus = byEndpoint.get(endpoint);
    if (byStatus === undefined) byEndpoint.set(endpoint, (byStatus = new Map()));
    const counter = byStatus.get(status);
    if (counter !== undefined) {
      counter.n++;
      return;
    }
    const created: RequestCounter = { model, endpoint, status, n: 1 };
    byStatus.set(status, created);
    this.requestOrder.push(created);
  }

  /** Counts one 429. */
  rateLimit(model: string): void {
    this.rateLimited.set(model, (this.rateLimited.get(model) ?? 0) + 1);
  }

  /** Counts one error by its type label. */
  error(type: string): void {
    this.errors.set(type, (this.errors.get(type) ?? 0) + 1);
  }

  /** Forgets every counter (with DELETE /v1/ledger). */
  reset(): void {
    this.requests.clear();
    this.requestOrder.length = 0;
    this.rateLimited.clear();
    this.errors.clear();
    this.tokenizedMessages = 0;
    this.tokenizerBatches = 0;
    this.lateness.reset();
    this.health.reset();
  }

  /** The exposition text. */
  render(totals: Readonly<LedgerTotals>, gauges: ReadonlyMap<string, ModelGauges>): string {
    const lines: string[] = [];
    const family = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    family('mock_llm_requests_total', 'counter', 'Requests answered, by model, endpoint and HTTP status.');
    for (const { model, endpoint, status, n } of this.requestOrder) {
      lines.push(`mock_llm_requests_total{model="${esc(model)}",endpoint="${esc(endpoint)}",status="${status}"} ${n}`);
    }
    const perModel: [string, string, (s: LedgerSums) => number][] = [
      ['mock_llm_input_tokens_total', 'Prompt tokens billed, by model.', (s) => s.inputTokens],
      ['mock_llm_cached_input_tokens_total', 'Prompt tokens served from the prompt cache, by model.', (s) => s.cachedInputTokens],
      ['mock_llm_output_tokens_total', 'Completion tokens sent, by model.', (s) => s.outputTokens],
      ['mock_llm_cost_usd_total', 'Cost in US dollars at the catalog prices, by model.', (s) => s.costUsd],
    ];
    for (const [name, help, pick] of perModel) {
      family(name, 'counter', help);
      for (const [model, s] of Object.entries(totals.byModel)) lines.push(`${name}{model="${esc(model)}"} ${pick(s)}`);
    }
    family('mock_llm_calls_total', 'counter', 'Calls recorded in the ledger, by outcome.');
    for (const [outcome, n] of Object.entries(totals.byOutcome)) lines.push(`mock_llm_calls_total{outcome="${outcome}"} ${n}`);
    family('mock_llm_rate_limited_total', 'counter', 'Requests answered 429, by model.');
    for (const [model, n] of this.rateLimited) lines.push(`mock_llm_rate_limited_total{model="${esc(model)}"} ${n}`);
    family('mock_llm_errors_total', 'counter', 'Error answers and broken responses, by type.');
    for (const [type, n] of this.errors) lines.push(`mock_llm_errors_total{type="${esc(type)}"} ${n}`);
    family('mock_llm_in_flight', 'gauge', 'Requests holding a concurrency slot, by model.');
    for (const [model, g] of gauges) lines.push(`mock_llm_in_flight{model="${esc(model)}"} ${g.inFlight}`);
    family('mock_llm_queued', 'gauge', 'Requests waiting for a concurrency slot, by model.');
    for (const [model, g] of gauges) lines.push(`mock_llm_queued{model="${esc(model)}"} ${g.queued}`);
    family('mock_llm_tokenized_messages_total', 'counter', 'Prompt messages not found in the token cache, counted on the tokenizer thread.');
    lines.push(`mock_llm_tokenized_messages_total ${this.tokenizedMessages}`);
    family('mock_llm_tokenizer_batches_total', 'counter', 'Batches those messages went to the tokenizer thread in (one per turn of the event loop at most).');
    lines.push(`mock_llm_tokenizer_batches_total ${this.tokenizerBatches}`);
    const late = this.lateness;
    family('mock_llm_send_lateness_seconds', 'histogram', 'How late each streamed token and each whole answer was sent against its scheduled time.');
    late.cumulative().forEach((n, i) => {
      const le = i < LATENESS_BUCKETS_S.length ? String(LATENESS_BUCKETS_S[i]) : '+Inf';
      lines.push(`mock_llm_send_lateness_seconds_bucket{le="${le}"} ${n}`);
    });
    lines.push(`mock_llm_send_lateness_seconds_sum ${late.sumMs / 1000}`, `mock_llm_send_lateness_seconds_count ${late.count}`);
    family('mock_llm_send_lateness_max_seconds', 'gauge', 'The latest any scheduled send went out, since the last reset.');
    lines.push(`mock_llm_send_lateness_max_seconds ${late.maxMs / 1000}`);
    const health = this.health;
    family('mock_llm_event_loop_utilization', 'gauge', "Share of wall time the serving process's event loop was busy, since the last reset.");
    lines.push(`mock_llm_event_loop_utilization ${health.utilization()}`);
    family('mock_llm_gc_pauses_total', 'counter', 'Garbage-collector pauses of the serving process, since the last reset.');
    lines.push(`mock_llm_gc_pauses_total ${health.pauses}`);
    family('mock_llm_gc_pause_seconds_total', 'counter', 'Time those pauses took.');
    lines.push(`mock_llm_gc_pause_seconds_total ${health.pauseMs / 1000}`);
    family('mock_llm_gc_pause_max_seconds', 'gauge', 'The longest of them.');
    lines.push(`mock_llm_gc_pause_max_seconds ${health.maxPauseMs / 1000}`);
    return lines.join('\n') + '\n';
  }
}

function esc(label: string): string {
  return label.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
