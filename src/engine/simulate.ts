/**
 * Simulates one configuration of a scenario over its day on the virtual clock and measures it:
 * the workload feeds the executor, each job runs the agent, the recorder turns what happened
 * into the configuration's results.
 */
import type { Catalog } from '../provider/catalog.ts';
import { Agent } from '../agent/agent.ts';
import type { LlmClient } from '../llm/client.ts';
import { SimLlmClient } from '../llm/sim-client.ts';
import { Ledger, type LedgerRow, type LedgerSink } from '../metrics/ledger.ts';
import type { JobOutcome } from '../metrics/recorder.ts';
import { WorkloadSampler } from '../metrics/workload-sampler.ts';
import type { PromptCacheStats } from '../provider/prompt-cache.ts';
import { Recorder } from '../metrics/recorder.ts';
import { Rng } from '../core/random.ts';
import type { CacheStats, ConfigResult, RoutingStats } from '../results/schema.ts';
import type { Configuration } from '../scenario/configurations.ts';
import type { Scenario } from '../scenario/schema.ts';
import { replayArrival, replayOverrides, type TraceReplay } from '../trace/replay.ts';
import { arrivalStream, requestCount } from '../workload/arrivals.ts';
import { RequestFactory, type AgentRequest } from '../workload/requests.ts';
import type { Clock } from '../core/clock.ts';
import { runTask, wait, type Task } from '../core/task.ts';
import { VirtualClock } from './virtual-clock.ts';
import { Executor, type ExecutorObserver, type Job } from './executor.ts';

/** Options of one simulation. */
export interface SimulateOptions {
  seed: number;
  /** Receives every ledger row (e.g. to write ledger.csv). */
  ledgerSink?: LedgerSink;
  /** Called every `progressEvery` finished requests. */
  onProgress?: (done: number, total: number) => void;
  /** Stops the simulation (it rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Replay this trace's requests instead of drawing the scenario's arrivals. */
  replay?: TraceReplay;
}

/** Runs one configuration on the virtual clock and returns its measured results. */
export async function simulateConfiguration(scenario: Scenario, catalog: Catalog, config: Configuration, options: SimulateOptions): Promise<ConfigResult> {
  const clock = new VirtualClock();
  const client = new SimLlmClient({ catalog, clock, faults: scenario.faults, promptCaching: config.strategies.promptCaching });
  return executeConfiguration(scenario, catalog, config, options, {
    clock,
    client,
    promptCache: () => client.promptCache,
    // the run lasts the whole simulated period (workers are paid until its end), or longer while
    // requests are still running
    drive: async () => {
      clock.schedule(scenario.traffic.durationHours * 3_600_000, () => undefined);
      await clock.run(Infinity, options.signal);
    },
    events: () => clock.eventsProcessed,
  });
}

/** What differs between a simulated and a live run: the clock, the client and how the run is driven. */
export interface RunEnvironment {
  clock: Clock;
  client: LlmClient;
  /** Provider prompt-cache statistics as the client saw them (empty when it cannot see them). */
  promptCache: () => Map<string, PromptCacheStats>;
  /** Runs the clock until every request has finished (`allDone` resolves then). */
  drive: (allDone: Promise<void>) => Promise<void>;
  events?: () => number;
  /** Live mode: records how late each request arrived on the run's loop (actual − intended; negative: early), by request id. */
  onSend?: (lagMs: number, jobId: number) => void;
  /**
   * Live mode: start each request this much before its arrival time (its first call is then held
   * by the client until the arrival time), so that a late turn of the run's loop does not delay the send.
   */
  arrivalLeadMs?: number;
  /** Live mode: the run is built and its first arrival is about to be scheduled (the real clock starts here). */
  beforeFirstArrival?: () => void;
  /** Live mode: each request's end (its end-to-end latency counts from `arrivalMs`), for running progress. */
  onFinished?: (jobId: number, arrivalMs: number, ok: boolean, endMs: number) => void;
  /**
   * Runs the jobs somewhere else than the in-process executor and agent (BullMQ workers):
   * given the run's ledger and observer, returns the executor to submit to and how a request
   * is run there. Default: the in-process `Executor` running `Agent.run`.
   */
  remote?: (ctx: RemoteContext) => RemoteJobs;
}

/** What a remote executor reports to: ledger rows of its calls, pick-ups and worker counts. */
export interface RemoteContext {
  ledger: Ledger;
  observer: ExecutorObserver;
}

/** The part of the executor a run uses (`Executor` has it). */
interface JobExecutor {
  /** Takes a job at its arrival time. */
  submit(job: Job): void;
  /** Called once the last job has finished. */
  stop(): void;
  workerHours(): number;
}

/**
 * Jobs run outside this process (BullMQ workers): `submit` starts each job at once (the queue is
 * remote), `run` sends its request to a worker and resolves with the outcome and the worker's end
 * time; the worker's pick-up and ledger rows go to the `RemoteContext`.
 */
export interface RemoteJobs extends JobExecutor {
  run(req: AgentRequest): Promise<{ outcome: JobOutcome; endMs: number }>;
  routingStats(): RoutingStats | null;
  cacheStats(): Record<string, CacheStats>;
  close(): Promise<void>;
}

/**
 * The one wiring of a run, shared by simulation and live mode: workload → executor → agent →
 * client, measured by the recorder. Only the environment (clock, client) differs.
 */
export async function executeConfiguration(
  scenario: Scenario,
  catalog: Catalog,
  config: Configuration,
  options: SimulateOptions,
  env: RunEnvironment,
): Promise<ConfigResult> {
  const wallStart = performance.now();
  const { seed, replay } = options;
  const { clock } = env;
  const total = replay?.count ?? requestCount(scenario.traffic);
  const { recorder, ledger, sampler } = measurement(scenario, options, env, total);
  const remote = env.remote?.({ ledger, observer: recorder });
  const agent =
    remote === undefined
      ? new Agent({
          clock,
          client: env.client,
          ledger,
          catalog,
          scenario,
          strategies: config.strategies,
          seed,
          cacheNamespace: `bench:${scenario.name}:${config.name}:${seed}:${process.pid}:${Date.now()}`,
        })
      : undefined;
  const executor: JobExecutor = remote ?? new Executor(clock, config.strategies.workers, recorder);
  const source = requestSource(scenario, catalog, options, total);
  env.beforeFirstArrival?.();
  const done = openLoop(
    { agent, remote, recorder, executor, clock, total, onProgress: options.onProgress, onFinished: env.onFinished },
    source,
    sampler,
    env.onSend,
    env.arrivalLeadMs ?? 0,
  );
  try {
    await env.drive(done);
  } finally {
    await (remote ?? agent!).close();
  }
  const endMs = clock.now();
  const result = recorder.result({
    config,
    seed,
    endMs,
    durationHours: scenario.traffic.durationHours,
    workerHours: executor.workerHours(),
    workers: config.strategies.workers,
    routing: (remote ?? agent!).routingStats(),
    caches: (remote ?? agent!).cacheStats(),
    promptCache: env.promptCache(),
    catalog,
    ledger,
    engine: {
      wallMs: performance.now() - wallStart,
      simulatedRequests: total,
      simulatedCalls: ledger.rows,
      ...(env.events !== undefined ? { events: env.events() } : {}),
    },
  });
  return sampler === undefined ? result : { ...result, workload: sampler.figures(scenario.traffic.durationHours) };
}

/** The run's measurement: the recorder, the ledger feeding it (and the user's sink), the workload sampler of traced runs. */
function measurement(scenario: Scenario, options: SimulateOptions, env: RunEnvironment, total: number) {
  const recorder = new Recorder({ scenario, slo: scenario.slo });
  env.client.observeTokenGaps?.((gapMs, count) => recorder.tokenGap(gapMs, count));
  // a traced or fitted run measures the workload it generated, to set beside the trace
  const sampler = options.replay !== undefined || scenario.fittedFrom !== undefined ? new WorkloadSampler(total, firstLlmStep(scenario.workflow)) : undefined;
  const userSink = options.ledgerSink;
  const sinks = [(row: LedgerRow) => recorder.row(row), ...(userSink ? [userSink] : []), ...(sampler ? [(row: LedgerRow) => sampler.row(row)] : [])];
  const ledger = new Ledger(sinks.length === 1 ? sinks[0]! : (row) => sinks.forEach((sink) => sink(row)));
  return { recorder, ledger, sampler };
}

/** Where the requests come from: their arrival times, in order, and the request made at each. */
interface RequestSource {
  /** Arrival time of request `i`; called once per request, in order. */
  arrivalOf(i: number): number;
  make(i: number, arrivalMs: number): AgentRequest;
}

/** The scenario's requests (arrival times drawn one at a time: memory does not grow with the period's requests), or a trace's. */
function requestSource(scenario: Scenario, catalog: Catalog, options: SimulateOptions, total: number): RequestSource {
  const factory = new RequestFactory(scenario, options.seed);
  const replay = options.replay;
  if (replay !== undefined) {
    return { arrivalOf: (i) => replayArrival(replay, i), make: (i, arrivalMs) => factory.make(i, arrivalMs, replayOverrides(replay, i, catalog)) };
  }
  const next = arrivalStream(scenario.traffic, total, Rng.derive(options.seed, 'arrivals'));
  return { arrivalOf: () => next(), make: (i, arrivalMs) => factory.make(i, arrivalMs) };
}

/**
 * Open loop: each request is submitted at its scheduled time, whatever the earlier ones are
 * doing; the next arrival is scheduled as each one arrives. Resolves once every request has finished.
 */
function openLoop(
  run: Omit<SimState, 'make' | 'finished' | 'progressEvery' | 'allDone'>,
  source: RequestSource,
  sampler: WorkloadSampler | undefined,
  onSend: RunEnvironment['onSend'],
  /** Live mode: each arrival is scheduled this much early (the send happens at its time on another thread). */
  lead: number,
): Promise<void> {
  const { clock, total, recorder, executor } = run;
  let allDone!: () => void;
  const done = new Promise<void>((r) => (allDone = r));
  // every 1% of the requests, and at least every 2,000 (a long run reports within a second or two)
  const state: SimState = {
    ...run,
    make: (i, arrivalMs) => source.make(i, arrivalMs),
    finished: 0,
    progressEvery: Math.max(1, Math.min(2_000, Math.floor(total / 100))),
    allDone,
  };
  const arrive = (i: number, arrivalMs: number): void => {
    // a traced run samples the request as it arrives, and a live run makes it then (its send is
    // due at once); a simulated one makes it when a worker takes it (a queued job stays small)
    const req = sampler === undefined && onSend === undefined ? undefined : source.make(i, arrivalMs);
    if (req !== undefined) sampler?.request(i, arrivalMs, req.inputTokens);
    if (onSend !== undefined) onSend(clock.now() - arrivalMs, i);
    recorder.arrived(arrivalMs);
    executor.submit(new SimJob(i, arrivalMs, state, req));
    if (i + 1 < total) {
      const next = source.arrivalOf(i + 1);
      clock.schedule(next - lead, () => arrive(i + 1, next));
    }
  };
  if (total > 0) {
    const first = source.arrivalOf(0);
    clock.schedule(first - lead, () => arrive(0, first));
  } else {
    executor.stop();
    allDone();
  }
  return done;
}

/** The name of the workflow's first LLM step (loops searched), or '' when it has none. */
function firstLlmStep(steps: Scenario['workflow']): string {
  for (const s of steps) {
    if (s.type === 'llm') return s.name;
    if (s.type === 'loop') {
      const inner = firstLlmStep(s.steps);
      if (inner !== '') return inner;
    }
  }
  return '';
}

interface SimState {
  /** Makes request `i` (arriving at `arrivalMs`). */
  make: (i: number, arrivalMs: number) => AgentRequest;
  /** Runs the requests, unless `remote` does. */
  agent: Agent | undefined;
  remote: RemoteJobs | undefined;
  recorder: Recorder;
  executor: JobExecutor;
  clock: Clock;
  finished: number;
  total: number;
  progressEvery: number;
  onProgress: SimulateOptions['onProgress'];
  onFinished: RunEnvironment['onFinished'];
  allDone: () => void;
}

/** One request as an executor job (a class: a queued job holds its index and arrival time, and the request once made). */
class SimJob implements Job {
  constructor(
    readonly id: number,
    readonly arrivalMs: number,
    private readonly state: SimState,
    /** The request, when it was needed at arrival; otherwise it is made when the job starts (a queued job stays small). */
    private readonly req?: AgentRequest,
  ) {}

  async run(): Promise<void> {
    await runTask(this.state.clock, this.task());
  }

  /**
   * The agent's run of the request (which records its end), or the remote run. A generator, so
   * that making the request (which may throw, e.g. a trace override) happens inside the task and
   * fails the run like any other error of the job.
   */
  *task(): Task<unknown> {
    const s = this.state;
    const req = this.req ?? s.make(this.id, this.arrivalMs);
    if (s.remote === undefined) return yield* s.agent!.task(req, (outcome) => this.finished(req, outcome, s.clock.now()));
    return yield* this.remoteTask(s.remote, req);
  }

  private *remoteTask(remote: RemoteJobs, req: AgentRequest): Task<void> {
    // the worker's end time, not when the news reached this process
    const { outcome, endMs } = yield* wait(() => remote.run(req));
    this.finished(req, outcome, endMs);
  }

  private finished(req: AgentRequest, outcome: JobOutcome, endMs: number): void {
    const s = this.state;
    s.recorder.finished(req, outcome, endMs);
    s.onFinished?.(this.id, this.arrivalMs, outcome.ok, endMs);
    s.finished++;
    if (s.onProgress && s.finished % s.progressEvery === 0) s.onProgress(s.finished, s.total);
    if (s.finished === s.total) {
      s.executor.stop();
      s.allDone();
    }
  }
}
