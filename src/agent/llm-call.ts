/** One LLM step of one request (what routers see), and the state of the request it belongs to. */
import type { Rng } from '../core/random.ts';
import type { Task } from '../core/task.ts';
import type { ChatResult } from '../llm/client.ts';
import type { ToolTurn } from '../llm/tool-wire.ts';
import type { Step } from '../scenario/schema.ts';
import type { MemoryStore } from '../strategies/cache-store.ts';
import type { StepCache, ToolData } from '../strategies/caches.ts';
import type { RouteContext } from '../strategies/routing.ts';
import type { AgentRequest } from '../workload/requests.ts';
import type { WordingKeys } from './request-keys.ts';
import type { ToolJobState } from './tool-calling.ts';

/** One request's run so far. */
export interface JobState {
  req: AgentRequest;
  /** The tool data the job's answers are written from. */
  data: ToolData;
  callIndex: number;
  outputs: Map<string, number>;
  correct: boolean;
  failed: boolean;
  firstTokenAtMs: number | null;
  calls: number;
  /** The keys of the request's wording (request-keys.ts), once looked up (`StepHost.keysOf`). */
  keys: WordingKeys | undefined;
  /** When the job started (its first segment runs at this time, inside the executor's code). */
  startedAtMs: number;
  /** The job has waited for a cache once (`awaitCache`). */
  awaited: boolean;
  /** Tool calling's state (tool-calling.ts). */
  tools?: ToolJobState;
}

/**
 * The memory store of `cache` when the job may use it without a promise at `nowMs`, else
 * undefined (then `awaitCache`). Only in the job's first segment (before it has waited for
 * anything) is a cache operation always awaited: the executor starts a job inside another event's
 * code (an arrival, which goes on to schedule the next arrival, or the end of the worker's previous
 * job), and what the job does after that operation must run after that code, as it did when every
 * cache operation was a promise. Once the job has waited for a cache, or the clock has moved since
 * it started, it is past that segment: every later segment starts from the clock (an event, a
 * settled promise) or from a slot's wake-up (which runs only the model call's own code up to its
 * next sleep), with nothing left to run after it, so the operation's promise only delayed the same
 * code in the same order. The rule is the virtual clock's: live, the real clock's fractional
 * milliseconds have almost always moved, so a live job's first segment takes the memory store
 * at once too (a live run's order is the wall clock's anyway, and a Redis store has no `memory`).
 */
export function syncCache<V>(job: JobState, cache: StepCache<V>, nowMs: number): MemoryStore<V> | undefined {
  return job.awaited || nowMs !== job.startedAtMs ? cache.memory : undefined;
}

/** Waits for a cache operation's promise (`syncCache` says when it need not). */
export function* awaitCache<T>(job: JobState, thunk: () => PromiseLike<T>): Task<T> {
  job.awaited = true;
  return (yield thunk) as T;
}

/** The shape of one LLM step's call for one request, fixed before any model is chosen. */
export interface CallShape {
  inputTokens: number;
  prefixTokens: number;
  outputTokens: number;
  difficulty: number;
  streamed: boolean;
  countsQuality: boolean;
  kind: string;
  rng: Rng;
  /** The step's seed: with the model, it fixes the answer's quality verdict. */
  seed: number;
  /** Tool calling (tool-calling.ts): tools offered, an earlier call and its result sent back. */
  tools?: ToolTurn;
}

/** What an `LlmCall` needs from the agent: the router's label and a recorded chat call. */
export interface ChatMaker {
  readonly routerLabel: string;
  chat(run: LlmCall, model: string, outputTokens: number, timeoutMs: number | undefined): Task<ChatResult>;
}

/** One LLM step of one request: what routers see (`RouteContext`) and where its answer lands. */
export class LlmCall implements RouteContext {
  answerStartMs = 0;
  /** Dollars spent by this step's calls so far. */
  spentUsd = 0;
  readonly kind: string;
  readonly difficulty: number;
  readonly rng: Rng;

  constructor(
    private readonly agent: ChatMaker,
    readonly job: JobState,
    readonly step: string,
    /** The model the step always uses (its own, the trace's, a fine-tune); undefined: routed. */
    readonly fixedModel: string | undefined,
    readonly shape: CallShape,
  ) {
    this.kind = shape.kind;
    this.difficulty = shape.difficulty;
    this.rng = shape.rng;
  }

  /** Names the model choice in exact-cache keys: the fixed model, or the router. */
  get modelSig(): string {
    return this.fixedModel ?? this.agent.routerLabel;
  }

  call(model: string, options?: { outputTokens?: number; timeoutMs?: number }): Task<ChatResult> {
    return this.agent.chat(this, model, options?.outputTokens ?? this.shape.outputTokens, options?.timeoutMs);
  }

  /** The step's answer reached the agent (and, if streamed, its first token reached the user). */
  served(correct: boolean, outputTokens: number, firstTokenAtMs: number): void {
    const job = this.job;
    job.outputs.set(this.step, outputTokens);
    if (this.shape.countsQuality && !correct) job.correct = false;
    if (this.shape.streamed && job.firstTokenAtMs === null) job.firstTokenAtMs = firstTokenAtMs;
  }
}

/**
 * The step whose answer is the agent's answer when no step says `quality: true`: the last LLM
 * step (loops included) that does not opt out with `quality: false`.
 */
export function lastLlmStep(steps: Step[]): string | null {
  let last: string | null = null;
  for (const s of steps) {
    if (s.type === 'llm' && s.quality !== false) last = s.name;
    if (s.type === 'loop') last = lastLlmStep(s.steps) ?? last;
  }
  return last;
}
