/** One LLM step of one request (what routers see), and the state of the request it belongs to. */
import type { Rng } from '../core/random.ts';
import type { Task } from '../core/task.ts';
import type { ChatResult } from '../llm/client.ts';
import type { ToolTurn } from '../llm/tool-wire.ts';
import type { Step } from '../scenario/schema.ts';
import type { ToolData } from '../strategies/caches.ts';
import type { RouteContext } from '../strategies/routing.ts';
import type { AgentRequest } from '../workload/requests.ts';
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
  /** Tool calling's state (tool-calling.ts). */
  tools?: ToolJobState;
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
