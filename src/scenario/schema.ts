/**
 * The scenario schema: the one place where a scenario's fields, their types and their defaults
 * are defined. Authoring types (`ScenarioInput`) and resolved types (`Scenario`) both come from it.
 */
import { z } from 'zod';

const positive = z.number().positive();
const share = z.number().min(0).max(1);
const nonNegative = z.number().min(0);

/** A distribution: a bare number (constant) or one of the named shapes in distribution.ts. */
const DistSchema = z.union([
  nonNegative,
  z.object({ dist: z.literal('constant'), value: nonNegative }).strict(),
  z.object({ dist: z.literal('uniform'), min: nonNegative, max: nonNegative }).strict(),
  z.object({ dist: z.literal('normal'), mean: nonNegative, sd: nonNegative, min: nonNegative.optional() }).strict(),
  z.object({ dist: z.literal('exponential'), mean: positive }).strict(),
  z.object({ dist: z.literal('lognormal'), mean: positive, cv: nonNegative }).strict(),
  z
    .object({ dist: z.literal('empirical'), p: z.array(share).min(2), values: z.array(nonNegative).min(2) })
    .strict()
    .refine((d) => d.p.length === d.values.length, { message: 'p and values must have the same length' })
    .refine((d) => d.p[0] === 0 && d.p[d.p.length - 1] === 1 && d.p.every((x, i) => i === 0 || x > d.p[i - 1]!), {
      message: 'p must increase from 0 to 1',
    })
    .refine((d) => d.values.every((x, i) => i === 0 || x >= d.values[i - 1]!), { message: 'values must not decrease' }),
]);

// ---------------------------------------------------------------- traffic

const ArrivalSchema = z.discriminatedUnion('shape', [
  z.object({ shape: z.literal('poisson') }).strict(),
  z
    .object({
      shape: z.literal('diurnal'),
      /** Ratio of the busiest hour's rate to the quietest's. */
      peakToTrough: z.number().min(1).default(4),
      /** Hour of the day (0–24) with the highest rate. */
      peakHour: z.number().min(0).max(24).default(15),
    })
    .strict(),
  z
    .object({
      shape: z.literal('hourly'),
      /** Relative arrival rate in each hour of the day, 0–23 (e.g. a trace's measured profile). */
      profile: z
        .array(nonNegative)
        .length(24)
        .refine((p) => p.some((x) => x > 0), { message: 'at least one hour must have a rate above 0' }),
    })
    .strict(),
]);

/**
 * Burstier than Poisson: `gamma` makes inter-arrival gaps Gamma-distributed with this CV (a
 * renewal process); `mmpp` switches between a normal and a busy state (a two-state
 * Markov-modulated Poisson process). Both follow the arrival shape's daily curve.
 */
const BurstinessSchema = z.discriminatedUnion('process', [
  z.object({ process: z.literal('gamma'), cv: positive }).strict(),
  z
    .object({
      process: z.literal('mmpp'),
      /** Rate in the busy state as a multiple of the normal state's. */
      highMultiplier: z.number().min(1),
      /** Share of time in the busy state. */
      highShare: z.number().gt(0).lt(1),
      /** Mean length of one busy period. */
      meanHighS: positive,
    })
    .strict(),
]);

const BurstsSchema = z
  .object({
    /** Bursts in the simulated period, spread evenly with a seeded jitter. */
    count: z.number().int().min(0),
    durationMin: positive,
    /** Arrival rate inside a burst, as a multiple of the rate outside it. */
    multiplier: z.number().min(1),
  })
  .strict();

export const TrafficSchema = z
  .object({
    requestsPerDay: positive,
    arrivals: ArrivalSchema.default({ shape: 'poisson' }),
    bursts: BurstsSchema.optional(),
    burstiness: BurstinessSchema.optional(),
    /** Simulated hours; requests = requestsPerDay × durationHours / 24. */
    durationHours: positive.default(24),
  })
  .strict();

// ---------------------------------------------------------------- request mix

const TaskKindSchema = z
  .object({
    name: z.string().min(1),
    /** Share of requests of this kind; the kinds' shares sum to 1. */
    share: positive,
    /** The user's prompt length. */
    inputTokens: DistSchema,
    /** The answer's length (an LLM step may set its own). */
    outputTokens: DistSchema,
    /** Difficulty on the 0–1 scale of the quality model, drawn once per intent. */
    difficulty: DistSchema,
    /** Distinct intents (questions) of this kind; their popularity follows Zipf. */
    intents: z.number().int().positive().default(1000),
    /** Zipf exponent of intent popularity (0 = uniform). */
    zipf: nonNegative.default(1),
    /** Different wordings of each intent (paraphrase cluster size). */
    paraphrases: z.number().int().positive().default(4),
    /** Intents per topic: intents of one topic are near each other in embedding space. */
    intentsPerTopic: z.number().int().positive().default(5),
    /** The model that answers this kind's routed steps (as a trace logged it); default: the routing strategy decides. */
    model: z.string().optional(),
  })
  .strict();

// ---------------------------------------------------------------- workflow

const RagSchema = z
  .object({
    topK: z.number().int().positive(),
    chunkTokens: z.number().int().positive(),
    /** Chunk size at which one retrieved chunk holds the needed fact half the time. */
    halfRecallChunkTokens: positive.default(400),
    /** Difficulty added when the needed chunk is not in the context. */
    missDifficulty: nonNegative.default(0.4),
  })
  .strict();

const LlmStepSchema = z
  .object({
    type: z.literal('llm'),
    name: z.string().min(1),
    /** A fixed model, or 'routed' to let the routing strategy choose. */
    model: z.string().default('routed'),
    systemPromptTokens: nonNegative.default(0),
    /** Whether the user's prompt is part of this call's input. */
    includePrompt: z.boolean().default(true),
    /** Earlier steps whose outputs are part of this call's input. */
    contextFrom: z.array(z.string()).default([]),
    rag: RagSchema.optional(),
    /** Output length; defaults to the task kind's. A step that calls a tool (see a tool step's `toolCall`) answers with the call instead. */
    outputTokens: DistSchema.optional(),
    /** Whether this step's correctness counts toward the request's quality. */
    quality: z.boolean().optional(),
  })
  .strict();

const EmbeddingStepSchema = z
  .object({
    type: z.literal('embedding'),
    name: z.string().min(1),
    model: z.string().default('text-embedding-3-small'),
    /** 'query': embed the user's prompt; 'chunks': embed retrieved document chunks. */
    input: z.enum(['query', 'chunks']).default('query'),
    chunks: z
      .object({
        perRequest: z.number().int().positive(),
        tokens: z.number().int().positive(),
        /** Distinct chunks in the corpus; which ones a request needs follows Zipf. */
        corpus: z.number().int().positive(),
        zipf: nonNegative.default(1),
      })
      .strict()
      .optional(),
  })
  .strict();

const ToolStepSchema = z
  .object({
    type: z.literal('tool'),
    name: z.string().min(1),
    latencyMs: DistSchema,
    costUsd: nonNegative.default(0),
    /** How often the tool's answer for one key changes at the source (Poisson rate). */
    changesPerHour: nonNegative.default(0),
    /** What the tool is called with, so what its cache is keyed on. */
    keyBy: z.enum(['prompt', 'intent', 'topic']).default('intent'),
    /** Probability that an answer built on a stale tool value is wrong. */
    staleImpact: share.default(0.5),
    /**
     * Tool calling: the LLM step before this one (in the same list; it must name its model) offers
     * the workflow's tools, names this one in `tool_choice` and answers with a call to it (its output is the call), this step runs the tool,
     * and the next LLM call of the request reads the call and the result (`resultTokens` tokens,
     * the same for the same key). Live, it is a real tools round trip (src/agent/tool-calling.ts).
     */
    toolCall: z
      .object({
        /** Tokens of the tool's result, as the next LLM step reads it. */
        resultTokens: DistSchema,
        /** The function's description in the tool definition. */
        description: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

type StepInput =
  | z.input<typeof LlmStepSchema>
  | z.input<typeof EmbeddingStepSchema>
  | z.input<typeof ToolStepSchema>
  | { type: 'loop'; name: string; repeatProbability: number; maxIterations?: number; steps: StepInput[] };
type StepOutput =
  | z.output<typeof LlmStepSchema>
  | z.output<typeof EmbeddingStepSchema>
  | z.output<typeof ToolStepSchema>
  | { type: 'loop'; name: string; repeatProbability: number; maxIterations: number; steps: StepOutput[] };

const StepSchema: z.ZodType<StepOutput, StepInput> = z.lazy(() =>
  z.discriminatedUnion('type', [
    LlmStepSchema,
    EmbeddingStepSchema,
    ToolStepSchema,
    z
      .object({
        type: z.literal('loop'),
        name: z.string().min(1),
        /** Probability of one more iteration after each pass. */
        repeatProbability: share,
        /** Passes at most, the first included. */
        maxIterations: z.number().int().positive().default(3),
        steps: z.array(StepSchema).min(1),
      })
      .strict(),
  ]),
);

// ---------------------------------------------------------------- strategies

export const RoutingSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('single'), model: z.string() }).strict(),
  z
    .object({
      type: z.literal('cascade'),
      models: z.tuple([z.string(), z.string()]),
      /** Escalate when the small model's confidence is below this. */
      minConfidence: share,
    })
    .strict(),
  z
    .object({
      type: z.literal('router'),
      by: z.enum(['task', 'difficulty', 'classifier']),
      small: z.string(),
      large: z.string(),
      /** by 'task': task kinds sent to the large model. */
      largeKinds: z.array(z.string()).default([]),
      /** by 'difficulty' / 'classifier': requests predicted harder than this go to the large model. */
      threshold: share.default(0.5),
      /** Share of requests whose easy/hard prediction is right. */
      accuracy: share.default(0.85),
      /** by 'classifier': the model that classifies (its call is paid and waited for). */
      classifierModel: z.string().optional(),
      classifierOutputTokens: z.number().int().positive().default(3),
    })
    .strict(),
  z
    .object({
      type: z.literal('fallback'),
      /** Tried in order: on 429, 5xx or timeout, retry with backoff, then move to the next model. */
      models: z.array(z.string()).min(1),
      retries: z.number().int().min(0).default(2),
      backoffMs: nonNegative.default(500),
      timeoutMs: positive.default(30_000),
    })
    .strict(),
]);

const CacheBackendSchema = z.union([z.literal('memory'), z.object({ redis: z.string() }).strict()]);

const cacheCommon = {
  step: z.string(),
  /** Entries kept (least recently used evicted first). */
  capacity: z.number().int().positive().default(10_000),
  /** Seconds an entry stays valid; 0 = no expiry. */
  ttlS: nonNegative.default(0),
  backend: CacheBackendSchema.default('memory'),
  /** Time to answer from the cache. */
  latencyMs: nonNegative.default(2),
};

export const CacheSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('exact'), ...cacheCommon }).strict(),
  z
    .object({
      type: z.literal('semantic'),
      ...cacheCommon,
      /** Cosine similarity at or above which a stored answer is served. */
      threshold: share,
      embeddingModel: z.string().default('text-embedding-3-small'),
    })
    .strict(),
  z.object({ type: z.literal('embedding'), ...cacheCommon }).strict(),
  z.object({ type: z.literal('tool'), ...cacheCommon }).strict(),
]);

export const WorkersSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('fixed'), workers: z.number().int().positive(), costPerHourUsd: nonNegative.default(0) }).strict(),
  z
    .object({
      type: z.literal('autoscale'),
      min: z.number().int().positive(),
      max: z.number().int().positive(),
      /**
       * utilization: busy share of serving workers over the interval; queuePerWorker: jobs waiting
       * per serving worker (KEDA's queue-length rule: scales to min as soon as the queue is empty);
       * jobsPerWorker: jobs waiting or running per serving worker (does not flap on an empty queue).
       */
      metric: z.enum(['queuePerWorker', 'jobsPerWorker', 'utilization']).default('utilization'),
      /** Target value of the metric (jobs per worker, or busy share 0–1). */
      target: positive,
      intervalS: positive.default(60),
      coldStartS: nonNegative.default(60),
      cooldownS: nonNegative.default(300),
      /** Workers added or removed per decision at most. */
      maxStep: z.number().int().positive().default(10),
      costPerHourUsd: nonNegative.default(0),
    })
    .strict(),
]);

export const StreamingSchema = z
  .object({
    /** Steps whose tokens are streamed to the user as they are generated. */
    steps: z.array(z.string()).default([]),
  })
  .strict();

export const CompressionSchema = z
  .object({
    /** Multiplies every step's system prompt length (0.5 = half as long). */
    systemPromptScale: positive.default(1),
    /** Overrides the RAG top-k of every step with retrieval. */
    ragTopK: z.number().int().positive().optional(),
    /** Overrides the RAG chunk size of every step with retrieval. */
    chunkTokens: z.number().int().positive().optional(),
    /** Serve these steps with a fine-tuned model whose instructions are baked in. */
    fineTuned: z
      .object({ steps: z.array(z.string()).min(1), model: z.string(), systemPromptTokens: nonNegative.default(0) })
      .strict()
      .optional(),
  })
  .strict();

const StrategiesSchema = z
  .object({
    routing: RoutingSchema.default({ type: 'single', model: 'gpt-4o' }),
    workers: WorkersSchema.default({ type: 'fixed', workers: 16, costPerHourUsd: 0 }),
    caches: z.array(CacheSchema).default([]),
    streaming: StreamingSchema.default({ steps: [] }),
    compression: CompressionSchema.default({ systemPromptScale: 1 }),
    /** Whether the provider's own prompt caching applies (it does by default at OpenAI, Google). */
    promptCaching: z.boolean().default(true),
  })
  .strict();

/** The strategy slots a sweep can vary. */
export const STRATEGY_SLOTS = ['routing', 'workers', 'caches', 'streaming', 'compression', 'promptCaching'] as const;

const SweepSchema = z
  .object({
    routing: z.record(z.string(), RoutingSchema).optional(),
    workers: z.record(z.string(), WorkersSchema).optional(),
    caches: z.record(z.string(), z.array(CacheSchema)).optional(),
    streaming: z.record(z.string(), StreamingSchema).optional(),
    compression: z.record(z.string(), CompressionSchema).optional(),
    promptCaching: z.record(z.string(), z.boolean()).optional(),
  })
  .strict();

const SloSchema = z
  .object({
    e2eP95Ms: positive.optional(),
    ttftP95Ms: positive.optional(),
    minQuality: share.optional(),
    maxCostPerDayUsd: positive.optional(),
    requestLatencyMs: positive.optional(),
    /** Failed requests (after the routing strategy's retries) allowed, as a share; latency figures count finished requests only. */
    maxErrorRate: share.default(0.01),
  })
  .strict();

const FaultsSchema = z
  .object({
    requestsPerMinute: positive.optional(),
    tokensPerMinute: positive.optional(),
    /** Share of calls that fail with a 5xx. */
    errorRate: share.default(0),
  })
  .strict();

const ModelInputSchema = z.object({ extends: z.string().optional() }).passthrough();

export const GateSchema = z
  .object({
    /** Metric name → allowed worsening, relative (0.05 = 5%) and/or absolute (in the metric's unit). */
    thresholds: z.record(z.string(), z.object({ relative: nonNegative.optional(), absolute: nonNegative.optional() }).strict()).optional(),
    /** Seeds run per configuration to measure noise. */
    replications: z.number().int().positive().optional(),
    /** Confidence level of the intervals. */
    confidence: z.number().gt(0).lt(1).optional(),
  })
  .strict();

const TokenFiguresSchema = z.object({ mean: nonNegative, p50: nonNegative, p90: nonNegative, p99: nonNegative }).strict();

/** The workload figures of the trace a scenario was fitted to (`bench trace fit` writes them). */
export const WorkloadFiguresSchema = z
  .object({
    requestsPerDay: nonNegative,
    inputTokens: TokenFiguresSchema,
    outputTokens: TokenFiguresSchema,
    /** Relative rate per hour of the day. */
    hourlyProfile: z.array(nonNegative).length(24),
  })
  .strict();

export const ScenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    seed: z.number().int().min(0).default(1),
    traffic: TrafficSchema,
    models: z.record(z.string(), ModelInputSchema).default({}),
    faults: z.record(z.string(), FaultsSchema).default({}),
    requestMix: z.array(TaskKindSchema).min(1),
    workflow: z.array(StepSchema).min(1),
    strategies: StrategiesSchema.default(StrategiesSchema.parse({})),
    sweep: SweepSchema.default({}),
    slo: SloSchema.default(SloSchema.parse({})),
    gate: GateSchema.default({}),
    /** The trace this scenario was fitted to and its figures, so a run can show trace and simulation side by side. */
    fittedFrom: WorkloadFiguresSchema.extend({ file: z.string(), format: z.string() }).strict().optional(),
  })
  .strict();

/** A scenario as written in a scenario file. */
export type ScenarioInput = z.input<typeof ScenarioSchema>;
/** A scenario after validation, every default filled in. */
export type Scenario = z.output<typeof ScenarioSchema>;
export type Step = StepOutput;
export type StepInputSpec = StepInput;
export type LlmStep = z.output<typeof LlmStepSchema>;
export type EmbeddingStep = z.output<typeof EmbeddingStepSchema>;
export type ToolStep = z.output<typeof ToolStepSchema>;
export type TaskKind = z.output<typeof TaskKindSchema>;
export type RoutingSpec = z.output<typeof RoutingSchema>;
export type RoutingInput = z.input<typeof RoutingSchema>;
export type CacheSpec = z.output<typeof CacheSchema>;
export type CacheInput = z.input<typeof CacheSchema>;
export type WorkersSpec = z.output<typeof WorkersSchema>;
export type WorkersInput = z.input<typeof WorkersSchema>;
export type CompressionSpec = z.output<typeof CompressionSchema>;
export type CompressionInput = z.input<typeof CompressionSchema>;
export type Strategies = z.output<typeof StrategiesSchema>;
export type SloSpec = z.output<typeof SloSchema>;
export type FaultsSpec = z.output<typeof FaultsSchema>;
/** Figures of a workload (a trace's or a simulation's) that a report compares. */
export type WorkloadFigures = z.output<typeof WorkloadFiguresSchema>;
