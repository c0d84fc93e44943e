/**
 * The model catalog: one description of each model (price, latency, capacity, quality, context),
 * read by both the simulator and the mock server so a simulated run and a live run agree.
 */

/** Price table for one model, in US dollars per million tokens, with where it came from. */
export interface ModelPricing {
  inputPer1M: number;
  /** Price of input tokens served from the provider's prompt cache. */
  cachedInputPer1M: number;
  /**
   * Price of input tokens written to the prompt cache where the provider charges for writes
   * (Anthropic: 1.25 × input for the 5-minute cache); absent: the input price.
   */
  cacheWritePer1M?: number;
  outputPer1M: number;
  /** Where the prices were read (a URL or a derivation). */
  source: string;
  /** The date the prices were read, YYYY-MM-DD. */
  asOf: string;
}

/** Latency and capacity of one model's serving endpoint. */
export interface ModelLatency {
  /** Time to first token with an empty prompt and an idle server. */
  ttftBaseMs: number;
  /** Prefill time added per (uncached) input token. */
  prefillMsPerInputToken: number;
  /** Spread of TTFT as a coefficient of variation (sd / mean), lognormal. */
  ttftCv: number;
  /** Mean inter-token latency while decoding. */
  itlMs: number;
  /** Spread of one inter-token gap, as a coefficient of variation (sd / mean). */
  itlCv: number;
  /** Requests the server runs at once; more wait in its queue. */
  concurrencyCap: number;
  /**
   * How much slower every phase gets as the server fills: latency is multiplied by
   * `1 + slowdownAtCap * inFlight / concurrencyCap` (so 0.5 means 50% slower when full).
   */
  slowdownAtCap: number;
}

/** The provider's automatic prompt caching: a repeated prompt prefix is billed at the cached price. */
export interface PromptCachingSpec {
  /** Shortest prefix that is cached (OpenAI: 1024 tokens). */
  minPrefixTokens: number;
  /** How long a prefix stays cached after its last use. */
  ttlS: number;
}

/** One model as the harness sees it. */
export interface ModelSpec {
  id: string;
  provider: string;
  kind: 'chat' | 'embedding';
  pricing: ModelPricing;
  latency: ModelLatency;
  /**
   * Skill on the 0–1 difficulty scale of the quality model: a request whose difficulty equals
   * the capability is answered correctly half the time.
   */
  capability: number;
  contextWindow: number;
  /** Output length the mock server produces when a request sets no max and no target. */
  defaultOutputTokens: number;
  /** Provider-side prompt caching, or null when the provider has none. */
  promptCaching: PromptCachingSpec | null;
  /** Embedding width, for embedding models. */
  dimensions?: number;
}

/** A model definition as users write it: a preset to start from plus overrides, or a full spec. */
export type ModelInput = Partial<Omit<ModelSpec, 'pricing' | 'latency'>> & {
  /** Copy an existing model and override some fields. */
  extends?: string;
  pricing?: Partial<ModelPricing>;
  latency?: Partial<ModelLatency>;
};

const OPENAI_CACHE: PromptCachingSpec = { minPrefixTokens: 1024, ttlS: 600 };
const ANTHROPIC_CACHE: PromptCachingSpec = { minPrefixTokens: 1024, ttlS: 300 };
const GEMINI_CACHE: PromptCachingSpec = { minPrefixTokens: 1024, ttlS: 3600 };

/**
 * Presets with real, dated list prices. Latency figures are typical public measurements of
 * each API (TTFT and output speed as reported by independent trackers in mid-2025); treat
 * them as a starting point and override them with your own measurements.
 */
export const PRESET_MODELS: Readonly<Record<string, ModelSpec>> = Object.freeze({
  'gpt-4o': {
    id: 'gpt-4o',
    provider: 'openai',
    kind: 'chat',
    pricing: {
      inputPer1M: 2.5,
      cachedInputPer1M: 1.25,
      outputPer1M: 10,
      source: 'https://openai.com/api/pricing/ (gpt-4o-2024-08-06)',
      asOf: '2025-06-01',
    },
    latency: { ttftBaseMs: 450, prefillMsPerInputToken: 0.05, ttftCv: 0.25, itlMs: 12, itlCv: 0.3, concurrencyCap: 500, slowdownAtCap: 0.4 },
    capability: 0.8,
    contextWindow: 128_000,
    defaultOutputTokens: 300,
    promptCaching: OPENAI_CACHE,
  },
  'gpt-4o-mini': {
    id: 'gpt-4o-mini',
    provider: 'openai',
    kind: 'chat',
    pricing: {
      inputPer1M: 0.15,
      cachedInputPer1M: 0.075,
      outputPer1M: 0.6,
      source: 'https://openai.com/api/pricing/ (gpt-4o-mini-2024-07-18)',
      asOf: '2025-06-01',
    },
    latency: { ttftBaseMs: 350, prefillMsPerInputToken: 0.03, ttftCv: 0.25, itlMs: 14, itlCv: 0.3, concurrencyCap: 500, slowdownAtCap: 0.4 },
    capability: 0.6,
    contextWindow: 128_000,
    defaultOutputTokens: 300,
    promptCaching: OPENAI_CACHE,
  },
  'claude-sonnet-4': {
    id: 'claude-sonnet-4',
    provider: 'anthropic',
    kind: 'chat',
    pricing: {
      inputPer1M: 3,
      cachedInputPer1M: 0.3,
      cacheWritePer1M: 3.75,
      outputPer1M: 15,
      source: 'https://www.anthropic.com/pricing#api (Claude Sonnet 4, cache read and 5-minute cache write prices)',
      asOf: '2025-06-01',
    },
    latency: { ttftBaseMs: 1000, prefillMsPerInputToken: 0.06, ttftCv: 0.3, itlMs: 16, itlCv: 0.3, concurrencyCap: 400, slowdownAtCap: 0.4 },
    capability: 0.85,
    contextWindow: 200_000,
    defaultOutputTokens: 300,
    promptCaching: ANTHROPIC_CACHE,
  },
  'claude-3-5-haiku': {
    id: 'claude-3-5-haiku',
    provider: 'anthropic',
    kind: 'chat',
    pricing: {
      inputPer1M: 0.8,
      cachedInputPer1M: 0.08,
      cacheWritePer1M: 1,
      outputPer1M: 4,
      source: 'https://www.anthropic.com/pricing#api (Claude Haiku 3.5, cache read and 5-minute cache write prices)',
      asOf: '2025-06-01',
    },
    latency: { ttftBaseMs: 700, prefillMsPerInputToken: 0.04, ttftCv: 0.3, itlMs: 15, itlCv: 0.3, concurrencyCap: 400, slowdownAtCap: 0.4 },
    capability: 0.62,
    contextWindow: 200_000,
    defaultOutputTokens: 300,
    promptCaching: ANTHROPIC_CACHE,
  },
  'gemini-2.0-flash': {
    id: 'gemini-2.0-flash',
    provider: 'google',
    kind: 'chat',
    pricing: {
      inputPer1M: 0.1,
      cachedInputPer1M: 0.025,
      outputPer1M: 0.4,
      source: 'https://ai.google.dev/gemini-api/docs/pricing (Gemini 2.0 Flash, text input)',
      asOf: '2025-06-01',
    },
    latency: { ttftBaseMs: 350, prefillMsPerInputToken: 0.01, ttftCv: 0.25, itlMs: 5, itlCv: 0.3, concurrencyCap: 600, slowdownAtCap: 0.3 },
    capability: 0.66,
    contextWindow: 1_048_576,
    defaultOutputTokens: 300,
    promptCaching: GEMINI_CACHE,
  },
  'llama-3.1-8b-selfhosted': {
    id: 'llama-3.1-8b-selfhosted',
    provider: 'self-hosted (vLLM on one A10G)',
    kind: 'chat',
    pricing: {
      inputPer1M: 0.02,
      cachedInputPer1M: 0.02,
      outputPer1M: 0.19,
      source:
        'derived: AWS g5.xlarge on-demand $1.006/h (https://aws.amazon.com/ec2/pricing/on-demand/, us-east-1) ' +
        '÷ ~1,500 output tokens/s aggregate vLLM throughput; prefill priced at ~1/10 of decode',
      asOf: '2025-06-01',
    },
    latency: { ttftBaseMs: 120, prefillMsPerInputToken: 0.08, ttftCv: 0.2, itlMs: 18, itlCv: 0.2, concurrencyCap: 32, slowdownAtCap: 1.5 },
    capability: 0.42,
    contextWindow: 128_000,
    defaultOutputTokens: 300,
    promptCaching: null,
  },
  'ft:gpt-4o-mini': {
    id: 'ft:gpt-4o-mini',
    provider: 'openai (fine-tuned)',
    kind: 'chat',
    pricing: {
      inputPer1M: 0.3,
      cachedInputPer1M: 0.15,
      outputPer1M: 1.2,
      source: 'https://openai.com/api/pricing/ (fine-tuned gpt-4o-mini-2024-07-18, inference)',
      asOf: '2025-06-01',
    },
    latency: { ttftBaseMs: 380, prefillMsPerInputToken: 0.03, ttftCv: 0.25, itlMs: 14, itlCv: 0.3, concurrencyCap: 300, slowdownAtCap: 0.4 },
    // trained on the task it serves: better than the base model there, with its instructions baked in
    capability: 0.7,
    contextWindow: 128_000,
    defaultOutputTokens: 300,
    promptCaching: OPENAI_CACHE,
  },
  'text-embedding-3-small': {
    id: 'text-embedding-3-small',
    provider: 'openai',
    kind: 'embedding',
    pricing: {
      inputPer1M: 0.02,
      cachedInputPer1M: 0.02,
      outputPer1M: 0,
      source: 'https://openai.com/api/pricing/ (text-embedding-3-small)',
      asOf: '2025-06-01',
    },
    latency: { ttftBaseMs: 60, prefillMsPerInputToken: 0.01, ttftCv: 0.3, itlMs: 0, itlCv: 0, concurrencyCap: 1000, slowdownAtCap: 0.3 },
    capability: 0,
    contextWindow: 8191,
    defaultOutputTokens: 0,
    promptCaching: null,
    dimensions: 1536,
  },
  'text-embedding-3-large': {
    id: 'text-embedding-3-large',
    provider: 'openai',
    kind: 'embedding',
    pricing: {
      inputPer1M: 0.13,
      cachedInputPer1M: 0.13,
      outputPer1M: 0,
      source: 'https://openai.com/api/pricing/ (text-embedding-3-large)',
      asOf: '2025-06-01',
    },
    latency: { ttftBaseMs: 90, prefillMsPerInputToken: 0.015, ttftCv: 0.3, itlMs: 0, itlCv: 0, concurrencyCap: 1000, slowdownAtCap: 0.3 },
    capability: 0,
    contextWindow: 8191,
    defaultOutputTokens: 0,
    promptCaching: null,
    dimensions: 3072,
  },
});

/** A model catalog: the presets plus any models a scenario or a `--models` file adds. */
export type Catalog = Readonly<Record<string, ModelSpec>>;

/**
 * Builds a catalog from the presets and user definitions. A definition may `extends` a preset
 * (or an earlier definition) and override fields; otherwise it must be complete.
 */
export function buildCatalog(extra: Record<string, ModelInput> = {}): Catalog {
  const out: Record<string, ModelSpec> = { ...PRESET_MODELS };
  for (const [id, input] of Object.entries(extra)) {
    // `out[id] = …` with this id would replace the catalog's prototype instead of adding a model
    if (id === '__proto__') throw new CatalogError('model id "__proto__" is reserved; please choose another id');
    const base = input.extends !== undefined ? findModel(out, input.extends) : findModel(out, id);
    if (input.extends !== undefined && base === undefined) {
      throw new CatalogError(`model "${id}" extends unknown model "${input.extends}"; known: ${Object.keys(out).join(', ')}`);
    }
    const merged = {
      ...(base ?? {}),
      ...input,
      id,
      pricing: { ...(base?.pricing ?? {}), ...(input.pricing ?? {}) },
      latency: { ...(base?.latency ?? {}), ...(input.latency ?? {}) },
    } as ModelSpec & { extends?: string };
    delete merged.extends;
    const missing = missingFields(merged);
    if (missing.length > 0) {
      throw new CatalogError(`model "${id}" is missing ${missing.join(', ')} (give them, or "extends": "<preset>")`);
    }
    out[id] = merged;
  }
  return Object.freeze(out);
}

/** The catalog's own model `id`, or undefined: never a property inherited from Object.prototype. */
export function findModel(catalog: Catalog, id: string): ModelSpec | undefined {
  return Object.hasOwn(catalog, id) ? catalog[id] : undefined;
}

/** Looks a model up, with an error that lists the known ones. */
export function getModel(catalog: Catalog, id: string): ModelSpec {
  const spec = findModel(catalog, id);
  if (spec === undefined) {
    throw new CatalogError(`unknown model "${id}"; known models: ${Object.keys(catalog).join(', ')}`);
  }
  return spec;
}

/** A catalog definition that cannot be used. */
export class CatalogError extends Error {
  override name = 'CatalogError';
}

const REQUIRED_TOP = ['provider', 'kind', 'capability', 'contextWindow', 'defaultOutputTokens'] as const;
const REQUIRED_PRICING = ['inputPer1M', 'cachedInputPer1M', 'outputPer1M', 'source', 'asOf'] as const;
const REQUIRED_LATENCY = ['ttftBaseMs', 'prefillMsPerInputToken', 'ttftCv', 'itlMs', 'itlCv', 'concurrencyCap', 'slowdownAtCap'] as const;

function missingFields(spec: ModelSpec): string[] {
  const missing: string[] = [];
  for (const k of REQUIRED_TOP) if (spec[k] === undefined) missing.push(k);
  for (const k of REQUIRED_PRICING) if (spec.pricing[k] === undefined) missing.push(`pricing.${k}`);
  for (const k of REQUIRED_LATENCY) if (spec.latency[k] === undefined) missing.push(`latency.${k}`);
  if (spec.promptCaching === undefined) (spec as { promptCaching: PromptCachingSpec | null }).promptCaching = null;
  return missing;
}
