/**
 * A small driver for strategy tests: a scenario validated by `resolveScenario`, hand-made
 * requests at chosen times (so TTLs, rate windows and cache order are exact), the real `Agent`
 * and `SimLlmClient` on a `VirtualClock`, every ledger row kept.
 */
import type { Catalog } from '../../src/provider/catalog.ts';
import { Agent } from '../../src/agent/agent.ts';
import type { JobOutcome } from '../../src/metrics/recorder.ts';
import { VirtualClock } from '../../src/engine/virtual-clock.ts';
import { simulateConfiguration } from '../../src/engine/simulate.ts';
import { SimLlmClient } from '../../src/llm/sim-client.ts';
import { Ledger, type LedgerRow } from '../../src/metrics/ledger.ts';
import { mix32 } from '../../src/core/random.ts';
import type { ConfigResult } from '../../src/results/schema.ts';
import { resolveScenario } from '../../src/scenario/load.ts';
import type { Scenario, ScenarioInput, Strategies } from '../../src/scenario/schema.ts';
import { AgentRequest } from '../../src/workload/requests.ts';

/** A one-kind scenario with constant distributions; override any field. */
export function tinyScenario(overrides: Partial<ScenarioInput> = {}): { scenario: Scenario; catalog: Catalog } {
  return resolveScenario({
    name: 'tiny',
    seed: 1,
    traffic: { requestsPerDay: 100 },
    requestMix: [{ name: 'faq', share: 1, inputTokens: 100, outputTokens: 50, difficulty: 0, intents: 10, paraphrases: 4, intentsPerTopic: 5 }],
    workflow: [{ type: 'llm', name: 'answer', model: 'routed' }],
    strategies: { routing: { type: 'single', model: 'gpt-4o-mini' }, promptCaching: false },
    ...overrides,
  });
}

/** One request to make: when, which prompt (and optionally its kind, length, difficulty). */
export interface RequestPlan {
  atMs: number;
  intent?: number;
  paraphrase?: number;
  kind?: string;
  inputTokens?: number;
  difficulty?: number;
}

/** What a driven run produced. */
export interface DrivenRun {
  rows: LedgerRow[];
  ledger: Ledger;
  outcomes: JobOutcome[];
  /** When each request's run ended. */
  endMs: number[];
  agent: Agent;
  client: SimLlmClient;
}

/** Runs the planned requests through the agent (each starts at its time; no executor queue). */
export async function drive(
  loaded: { scenario: Scenario; catalog: Catalog },
  plans: RequestPlan[],
  options: {
    strategies?: Partial<Strategies>;
    seed?: number;
    cacheNamespace?: string;
    /** Called as each request starts; what it returns, as it ends (a BullMQ worker's per-job accounting). */
    perJob?: (agent: Agent) => () => void;
  } = {},
): Promise<DrivenRun> {
  const { scenario, catalog } = loaded;
  const strategies: Strategies = { ...scenario.strategies, ...options.strategies };
  const seed = options.seed ?? 1;
  const clock = new VirtualClock();
  const client = new SimLlmClient({ catalog, clock, faults: scenario.faults, promptCaching: strategies.promptCaching });
  const rows: LedgerRow[] = [];
  const ledger = new Ledger((row) => rows.push({ ...row }));
  const agent = new Agent({ clock, client, ledger, catalog, scenario, strategies, seed, cacheNamespace: options.cacheNamespace ?? `test:${seed}` });
  const outcomes: JobOutcome[] = [];
  const endMs: number[] = [];
  plans.forEach((p, id) => {
    const kindIndex = p.kind === undefined ? 0 : scenario.requestMix.findIndex((k) => k.name === p.kind);
    const kind = scenario.requestMix[kindIndex]!;
    const intent = p.intent ?? 0;
    const req = new AgentRequest(
      id,
      p.atMs,
      kindIndex,
      kind.name,
      intent,
      p.paraphrase ?? 0,
      Math.floor(intent / kind.intentsPerTopic),
      p.inputTokens ?? (typeof kind.inputTokens === 'number' ? kind.inputTokens : 100),
      p.difficulty ?? (typeof kind.difficulty === 'number' ? kind.difficulty : 0),
      mix32(seed ^ mix32(id + 0x51ed27)),
    );
    clock.schedule(p.atMs, () =>
      clock.spawn(async () => {
        const ended = options.perJob?.(agent);
        outcomes[id] = await agent.run(req);
        ended?.();
        endMs[id] = clock.now();
      }),
    );
  });
  await clock.run();
  await agent.close();
  return { rows, ledger, outcomes, endMs, agent, client };
}

/** `n` requests `gapMs` apart, all for prompt (intent, paraphrase). */
export function sequential(n: number, gapMs: number, prompt: Omit<RequestPlan, 'atMs'> = {}): RequestPlan[] {
  return Array.from({ length: n }, (_, i) => ({ atMs: i * gapMs, ...prompt }));
}

/** Simulates the scenario's base strategies (with overrides) over its traffic. */
export function simulate(
  loaded: { scenario: Scenario; catalog: Catalog },
  strategies: Partial<Strategies> = {},
  seed = 1,
  name = 'test',
): Promise<ConfigResult> {
  return simulateConfiguration(loaded.scenario, loaded.catalog, { name, axes: {}, strategies: { ...loaded.scenario.strategies, ...strategies } }, { seed });
}

/** Rows of one request, in call order. */
export function rowsOf(run: DrivenRun, job: number): LedgerRow[] {
  return run.rows.filter((r) => r.job === job);
}
