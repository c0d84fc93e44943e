/**
 * Routing strategies: which model answers a routed step. Each is a real mechanism over calls
 * that are paid and waited for: a cascade pays the small call and, on escalation, the large one
 * too, one after the other; a classifier router pays its classifier call; fallback retries.
 * Routers are tasks (src/core/task.ts): the same code on the virtual clock and live (a backoff
 * is a `yield sleep(ms)`).
 */
import { sleep, type Task } from '../core/task.ts';
import type { ChatResult } from '../llm/client.ts';
import type { Rng } from '../core/random.ts';
import type { RoutingSpec } from '../scenario/schema.ts';

/** What a router needs from the step it routes. */
export interface RouteContext {
  /** Makes (and records) one call to `model`; `options` shape the call. */
  call(model: string, options?: { outputTokens?: number; timeoutMs?: number; purpose?: 'answer' | 'classify' }): Task<ChatResult>;
  kind: string;
  difficulty: number;
  /** Randomness of this routing decision (seeded per request and step). */
  rng: Rng;
}

/** The routed answer and how it was reached. */
interface RouteResult {
  /** The call whose answer is used (failed when every attempt failed). */
  answer: ChatResult;
  /** Whether the strong model (or an escalation) produced the answer. */
  strong: boolean;
  escalated: boolean;
  retries: number;
  fallbacks: number;
  /**
   * The answer reaches the user only once its call has finished (a cascade must see the small
   * model's confidence before it can release its answer), so streaming it gains nothing.
   */
  releasedAtEnd?: boolean;
}

/** One routing strategy. */
export interface Router {
  readonly label: string;
  /** The models this router may call (for reporting). */
  readonly models: string[];
  /** The model counted as "strong" for strong-call share. */
  readonly strongModel: string | null;
  route(ctx: RouteContext): Task<RouteResult>;
}

/** Short label of a routing spec, e.g. `cascade(gpt-4o-mini→gpt-4o @0.7)`. */
function routingLabel(spec: RoutingSpec): string {
  switch (spec.type) {
    case 'single':
      return `single(${spec.model})`;
    case 'cascade':
      return `cascade(${spec.models[0]}→${spec.models[1]} @${spec.minConfidence})`;
    case 'router':
      return `router(by ${spec.by}: ${spec.small}|${spec.large}${spec.by === 'task' ? '' : ` @${spec.threshold}`})`;
    case 'fallback':
      return `fallback(${spec.models.join('→')})`;
  }
}

/** Builds the router a spec describes. */
export function createRouter(spec: RoutingSpec): Router {
  const label = routingLabel(spec);
  switch (spec.type) {
    case 'single':
      return {
        label,
        models: [spec.model],
        strongModel: null,
        *route(ctx) {
          return { answer: yield* ctx.call(spec.model), strong: false, escalated: false, retries: 0, fallbacks: 0 };
        },
      };
    case 'cascade':
      return cascadeRouter(spec, label);
    case 'router':
      return predictingRouter(spec, label);
    case 'fallback':
      return fallbackRouter(spec, label);
  }
}

type SpecOf<T extends RoutingSpec['type']> = Extract<RoutingSpec, { type: T }>;

/** Small model first; on low confidence (or a failed call) the large one too, both paid in sequence. */
function cascadeRouter(spec: SpecOf<'cascade'>, label: string): Router {
  const [small, large] = spec.models;
  return {
    label,
    models: [small, large],
    strongModel: large,
    *route(ctx) {
      const first = yield* ctx.call(small);
      if (first.outcome === 'ok' && first.confidence >= spec.minConfidence) {
        return { answer: first, strong: false, escalated: false, retries: 0, fallbacks: 0, releasedAtEnd: true };
      }
      // low confidence (or a failed small call): escalate; both calls are paid, in sequence
      const second = yield* ctx.call(large);
      return { answer: second, strong: true, escalated: true, retries: 0, fallbacks: 0 };
    },
  };
}

/** Small or large model by task kind, or by predicted difficulty (optionally from a paid classifier call). */
function predictingRouter(spec: SpecOf<'router'>, label: string): Router {
  return {
    label,
    models: spec.by === 'classifier' ? [spec.classifierModel!, spec.small, spec.large] : [spec.small, spec.large],
    strongModel: spec.large,
    *route(ctx) {
      let hard: boolean;
      if (spec.by === 'task') {
        hard = spec.largeKinds.includes(ctx.kind);
      } else {
        if (spec.by === 'classifier') {
          const verdict = yield* ctx.call(spec.classifierModel!, { outputTokens: spec.classifierOutputTokens, purpose: 'classify' });
          if (verdict.outcome !== 'ok') {
            return { answer: verdict, strong: false, escalated: false, retries: 0, fallbacks: 0 };
          }
        }
        // the prediction of "harder than the threshold" is right with probability `accuracy`
        const truth = ctx.difficulty > spec.threshold;
        hard = ctx.rng.next() < spec.accuracy ? truth : !truth;
      }
      const answer = yield* ctx.call(hard ? spec.large : spec.small);
      return { answer, strong: hard, escalated: false, retries: 0, fallbacks: 0 };
    },
  };
}

/** Each model in turn, with retries and backoff (at least the provider's retry-after) before moving on. */
function fallbackRouter(spec: SpecOf<'fallback'>, label: string): Router {
  return {
    label,
    models: spec.models,
    strongModel: null,
    *route(ctx) {
      let retries = 0;
      let last: ChatResult | undefined;
      for (const [i, model] of spec.models.entries()) {
        for (let attempt = 0; attempt <= spec.retries; attempt++) {
          last = yield* ctx.call(model, { timeoutMs: spec.timeoutMs });
          if (last.outcome === 'ok') return { answer: last, strong: false, escalated: false, retries, fallbacks: i };
          if (last.outcome === 'context_length') break;
          if (attempt < spec.retries) {
            retries++;
            const backoff = spec.backoffMs * 2 ** attempt * (0.5 + ctx.rng.next());
            yield sleep(Math.max(backoff, last.retryAfterMs ?? 0));
          }
        }
      }
      return { answer: last!, strong: false, escalated: false, retries, fallbacks: spec.models.length - 1 };
    },
  };
}
