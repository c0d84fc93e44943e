/**
 * The timed half of the core: a call once decided (admitted with an answer, or failing) runs
 * here: the concurrency queue, the latency model's due times, the whole body or the stream's
 * units sent on time, cuts and hangs, and the one ledger row and metrics when it ends.
 */
import { performance } from 'node:perf_hooks';
import { Rng } from '../src/core/random.ts';
import { Embedder, toBase64 } from '../src/provider/embeddings.ts';
import { sampleGapMs, sampleTtftMs } from '../src/provider/latency.ts';
import { TOO_LARGE_RETRY_AFTER_MS, type SlotWaiter } from '../src/provider/limits.ts';
import { MOCK_REQUEST_HEADERS } from '../src/provider/mock-headers.ts';
import { callCostUsd } from '../src/provider/pricing.ts';
import { ApiError } from './errors.ts';
import type { CoreRequest, ForcedFault, ResponseSink } from './exchange.ts';
import { Ledger, type CallOutcome, type LedgerEntry } from './ledger.ts';
import { ConversationStore } from './conversations.ts';
import { Metrics } from './metrics.ts';
import type { ResolvedMockOptions } from './options.ts';
import type { StreamWriter } from './protocol.ts';
import { EARLY_TOLERANCE_MS, Scheduler } from '../src/core/scheduler.ts';
import { gapsBefore, outputTokensOf, tokensThroughOf, unitsOf, type Call, type EmbeddingsPlan } from './call.ts';
import { JSON_TYPE, sendError } from './routes.ts';

/** Retry-After of a forced 429 (a real 429 says when its bucket refills). */
const FORCED_RETRY_AFTER_MS = 100;

const SSE_HEADERS = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
});

/** Tokens due within this margin are sent now rather than after one more timer turn (see scheduler.ts). */
const DUE_TOLERANCE_MS = EARLY_TOLERANCE_MS;

/** A streaming call's headers once sent (nothing reads or adds to them after that). */
const HEADERS_SENT: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Stands in for a call's generator when the draws cannot change any value (exact latencies). */
const UNUSED_DRAWS = new Rng(0);

/** Runs the calls of one core. */
export class CallRunner {
  readonly ledger: Ledger;
  readonly metrics = new Metrics();
  /** The loop sleeps its last stretch to each token itself: a wake-up per token is the server's main work (see loop-wake.ts). */
  readonly scheduler = new Scheduler({ wake: 'loop' });
  /** Calls not finished (running, queued or hanging). */
  readonly active = new Set<Call>();
  /** Stored responses (Responses API `previous_response_id`). */
  readonly conversations = new ConversationStore();
  private readonly embedder: Embedder;

  constructor(private readonly options: ResolvedMockOptions) {
    this.ledger = new Ledger(options.ledgerMaxRows);
    this.embedder = new Embedder(options.seed);
  }

  sendEmbeddings(call: Call, plan: EmbeddingsPlan): void {
    const data = plan.texts.map((t, index) => {
      const v = this.embedder.embed(t, plan.dims);
      return { object: 'embedding', index, embedding: plan.base64 ? toBase64(v) : Array.from(v) };
    });
    const json = JSON.stringify({ object: 'list', data, model: plan.model, usage: { prompt_tokens: call.inputTokens, total_tokens: call.inputTokens } });
    call.headers['content-type'] = JSON_TYPE;
    if (call.cut) return this.cutBody(call, json);
    call.sink.send(200, call.headers, json);
    this.finish(call, 'ok', 200);
  }

  /** Answers an error for a call and records it. */
  fail(call: Call, sink: ResponseSink, err: ApiError, outcome: CallOutcome): void {
    this.metrics.error(err.code ?? err.type);
    sendError(sink, call.protocol, err, call.headers);
    this.finish(call, outcome, err.status);
  }

  /** Sends nothing; the call ends when the client gives up (or at close). */
  hang(call: Call, req: CoreRequest): void {
    call.hanging = true;
    this.active.add(call);
    req.onAbort(() => this.interrupt(call, 'client_disconnect'));
  }

  /** Ends a call from outside: the client went away, or the server closes. */
  interrupt(call: Call, why: 'client_disconnect' | 'shutdown'): void {
    if (call.done) return;
    if (call.hanging) {
      this.finish(call, 'hang', 0);
      if (why === 'shutdown') call.sink.destroy();
      return;
    }
    if (call.waiter !== undefined) call.model.gate.cancel(call.waiter);
    this.finish(call, why, call.statusSent);
    call.sink.destroy();
  }

  /** Takes a concurrency slot, or joins the FIFO queue for one. */
  admit(call: Call, req: CoreRequest): void {
    this.active.add(call);
    const gate = call.model.gate;
    if (gate.tryAcquire()) {
      call.holding = true;
      // admitted at once: timed from arrival, so parsing and counting are absorbed in the TTFT
      this.start(call, call.arrivalMs);
      // an answer already complete (zero latency) cannot be interrupted: no listener needed; no
      // event can come in between, this all runs synchronously
      if (!call.done) req.onAbort(() => this.interrupt(call, 'client_disconnect'));
      return;
    }
    req.onAbort(() => this.interrupt(call, 'client_disconnect'));
    const waiter = new QueuedCall(this, call);
    call.waiter = waiter;
    gate.enqueue(waiter);
  }

  /** A queued call got its slot (see QueuedCall). */
  granted(call: Call): void {
    call.waiter = undefined;
    call.holding = true;
    this.start(call, performance.now());
  }

  /** Samples the timing with the load at admission (as the simulator does) and starts the answer. */
  private start(call: Call, startMs: number): void {
    call.queueMs = startMs - call.arrivalMs;
    const lat = call.model.spec.latency;
    const inFlight = call.model.gate.inFlight();
    // exact latencies (both cv 0): the draws cannot change any value (every gap is the same
    // number), so the call's generator is not derived and the gap is computed once
    const exact = lat.ttftCv === 0 && lat.itlCv === 0;
    const rng = exact ? UNUSED_DRAWS : Rng.derive(this.options.seed, `timing|${call.seq}`);
    const scale = this.options.timeScale;
    const isEmbeddings = call.embeddings !== undefined;
    const n = isEmbeddings ? 0 : unitsOf(call);
    const streamed = !isEmbeddings && call.stream;
    const uncached = call.inputTokens - call.cachedInputTokens;
    let t = startMs + sampleTtftMs(lat, uncached, inFlight, rng) / scale;
    call.firstDueMs = t;
    // itlMs 0: every gap is 0, no draws; exact latencies: one gap for all
    const gap = lat.itlMs === 0 ? 0 : exact ? sampleGapMs(lat, inFlight, rng) / scale : NaN;
    // one gap per output token generated between units (a tool call's start carries several)
    if (lat.itlMs > 0) for (let i = 1; i < n; i++) for (let g = gapsBefore(call, i); g > 0; g--) t += exact ? gap : sampleGapMs(lat, inFlight, rng) / scale;
    if (streamed) {
      // the headers below need the last unit's due time now; a stream then draws its gaps again
      // as it sends (the same values in the same order), so it keeps no due time per unit
      call.nextDueMs = call.firstDueMs;
      call.gapMs = gap;
      call.loadInFlight = inFlight;
      if (!exact && lat.itlMs > 0) {
        call.gapDraws = Rng.derive(this.options.seed, `timing|${call.seq}`);
        sampleTtftMs(lat, uncached, inFlight, call.gapDraws); // to the state after the TTFT draw
      }
    }
    const h = call.headers;
    h['x-mock-queue-ms'] = fixed3(call.queueMs);
    h['x-mock-ttft-ms'] = fixed3(call.firstDueMs - call.arrivalMs);
    h['x-mock-total-ms'] = fixed3(t - call.arrivalMs);
    h['x-mock-input-tokens'] = String(call.inputTokens);
    h['x-mock-cached-tokens'] = String(call.cachedInputTokens);
    if (!isEmbeddings) h['x-mock-output-tokens'] = String(outputTokensOf(call));
    h['openai-processing-ms'] = String(Math.round(t - call.arrivalMs));
    if (streamed) {
      this.startStream(call);
      return this.schedule(call, call.firstDueMs);
    }
    this.schedule(call, t);
  }

  /** Runs the call's next step at `dueMs`, inline when already due (zero latency costs no timer). */
  private schedule(call: Call, dueMs: number): void {
    call.stepDueMs = dueMs;
    if (dueMs <= performance.now() + DUE_TOLERANCE_MS) return this.step(call);
    // the call's previous task has run (this is its step, or the first): its object is reused
    call.task = this.scheduler.at(dueMs, this.runStep, call, call.task);
  }

  /** The scheduler's callback for every call (one function, the call passed as its argument). */
  private readonly runStep = (call: Call): void => this.step(call);

  private step(call: Call): void {
    if (call.writer !== undefined) return this.emitStream(call, call.writer); // lateness per unit there
    this.metrics.lateness.observe(performance.now() - call.stepDueMs);
    if (call.embeddings !== undefined) return this.sendEmbeddings(call, call.embeddings);
    this.sendWhole(call);
  }

  private sendWhole(call: Call): void {
    call.ttftMs = call.firstDueMs - call.arrivalMs;
    call.outputTokens = outputTokensOf(call);
    const protocol = call.protocol;
    const body = protocol.whole(call);
    call.headers['content-type'] = JSON_TYPE;
    if (call.cut) return this.cutBody(call, body);
    call.sink.send(200, call.headers, body, protocol.asciiWhole?.(call) === true ? body.length + call.modelExtraBytes : undefined);
    this.finish(call, 'ok', 200);
  }

  private startStream(call: Call): void {
    const headers = call.headers;
    headers['content-type'] = call.protocol.streamContentType?.(call) ?? SSE_HEADERS['content-type'];
    headers['cache-control'] = SSE_HEADERS['cache-control'];
    call.sink.head(200, headers);
    call.statusSent = 200;
    call.headers = HEADERS_SENT; // the stream keeps no header object or values for its whole life
    call.writer = call.protocol.stream(call);
  }

  /**
   * Sends every unit already due in one write (a late wake-up adds no gap); the last ones go
   * in the same write as the end.
   */
  private emitStream(call: Call, writer: StreamWriter): void {
    const now = performance.now();
    const n = unitsOf(call);
    const cutAt = call.cut ? Math.floor(n / 2) : -1;
    let sent = call.sent;
    if (sent === cutAt) return this.cutStream(call);
    if (sent === 0) call.ttftMs = now - call.arrivalMs;
    const first = sent;
    const lateness = this.metrics.lateness;
    while (sent < n && sent !== cutAt && call.nextDueMs <= now + DUE_TOLERANCE_MS) {
      lateness.observe(now - call.nextDueMs);
      sent++;
      if (sent < n) for (let g = gapsBefore(call, sent); g > 0; g--) call.nextDueMs += this.nextGapMs(call);
    }
    call.sent = sent;
    call.outputTokens = tokensThroughOf(call, sent);
    if (sent === cutAt || sent < n) {
      if (sent > first) writer.write(call.sink, first, sent);
      return sent === cutAt ? this.cutStream(call) : this.schedule(call, call.nextDueMs);
    }
    if (n === 0) lateness.observe(now - call.nextDueMs); // no unit: the empty answer is the one scheduled send
    call.sink.end(writer.end(first, sent));
    this.finish(call, 'ok', 200);
  }

  /** A stream's gap to its next unit (see Call.gapDraws). */
  private nextGapMs(call: Call): number {
    if (call.gapDraws === undefined) return call.gapMs;
    return sampleGapMs(call.model.spec.latency, call.loadInFlight, call.gapDraws) / this.options.timeScale;
  }

  private cutStream(call: Call): void {
    this.metrics.error('cut');
    this.finish(call, 'cut', 200);
    call.sink.destroy();
  }

  private cutBody(call: Call, body: string): void {
    this.metrics.error('cut');
    call.sink.head(200, call.headers);
    call.sink.write(body.slice(0, Math.floor(body.length / 2)));
    this.finish(call, 'cut', 200);
    call.sink.destroy();
  }

  /** Records the call once: ledger row, metrics, slot released, timers gone. */
  finish(call: Call, outcome: CallOutcome, status: number): void {
    if (call.done) return;
    call.done = true;
    this.active.delete(call);
    call.task?.cancel();
    call.task = undefined;
    if (call.holding) {
      call.holding = false;
      call.model.gate.release();
    }
    const spec = call.model.spec;
    const billed = outcome === 'ok' || outcome === 'cut' || outcome === 'client_disconnect' || outcome === 'shutdown';
    const entry: LedgerEntry = {
      seq: call.seq,
      wallMs: call.arrivalWallMs,
      endpoint: call.endpoint,
      model: spec.id,
      stream: call.stream,
      inputTokens: billed ? call.inputTokens : 0,
      cachedInputTokens: billed ? call.cachedInputTokens : 0,
      cacheWriteInputTokens: billed ? call.cacheWriteTokens : 0,
      outputTokens: billed ? call.outputTokens : 0,
      costUsd: 0,
      latencyMs: performance.now() - call.arrivalMs,
      ttftMs: call.ttftMs,
      queueMs: call.queueMs,
      outcome,
      status,
    };
    entry.costUsd = callCostUsd(spec.pricing, entry); // the entry is its own usage (no copy of the four counts)
    this.ledger.add(entry);
    if (outcome === 'ok') call.protocol.remember?.(call, this.conversations);
    this.metrics.request(spec.id, call.endpoint, status);
    if (outcome === 'hang' || outcome === 'client_disconnect' || outcome === 'shutdown') this.metrics.error(outcome);
  }

  /** Applies rate limits (or a forced 429); true when it answered 429. */
  admitOrReject(call: Call, sink: ResponseSink, fault: ForcedFault | undefined, estimatedTokens: number): boolean {
    const limiter = call.model.limiter;
    if (limiter === undefined && fault !== '429') return false; // the common case: no limits, nothing forced
    const now = performance.now();
    let retryAfterMs = FORCED_RETRY_AFTER_MS;
    let message = `Rate limit reached for ${call.model.spec.id} (forced by ${MOCK_REQUEST_HEADERS.fault}). Please try again in ${retryAfterMs}ms.`;
    let type: 'requests' | 'tokens' = 'requests';
    if (limiter !== undefined && fault !== '429') {
      const decision = limiter.check(estimatedTokens, now);
      Object.assign(call.headers, decision.headers);
      if (decision.allowed) return false;
      retryAfterMs = decision.retryAfterMs;
      message = decision.message;
      type = decision.limit;
    } else if (fault !== '429') {
      return false;
    }
    const wait = Number.isFinite(retryAfterMs) ? retryAfterMs : TOO_LARGE_RETRY_AFTER_MS;
    call.headers['retry-after'] = String(Math.max(1, Math.ceil(wait / 1000)));
    call.headers['retry-after-ms'] = String(Math.ceil(wait));
    this.metrics.rateLimit(call.model.spec.id);
    this.fail(call, sink, new ApiError(429, message, type, 'rate_limit_exceeded'), 'rate_limited');
    return true;
  }
}

/** `x.toFixed(3)`, without the call for the common exact zero (a zero-latency answer). */
function fixed3(x: number): string {
  return x === 0 ? '0.000' : x.toFixed(3);
}

/** A call waiting for a concurrency slot (a class: no closure per queued call). */
class QueuedCall implements SlotWaiter {
  cancelled = false;
  constructor(
    private readonly runner: CallRunner,
    private readonly call: Call,
  ) {}

  grant(): void {
    this.runner.granted(this.call);
  }
}
