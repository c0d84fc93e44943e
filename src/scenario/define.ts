/**
 * The authoring API: an identity `defineScenario` for types, and small factories that build the
 * plain-data descriptions of steps and strategies (plain data so they can be validated, swept,
 * sent to worker threads and written into results.json).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BenchError } from '../core/errors.ts';
import type { ModelInput } from '../provider/catalog.ts';
import type { CacheInput, CompressionInput, RoutingInput, ScenarioInput, StepInputSpec, WorkersInput } from './schema.ts';

type Without<T, K extends keyof T> = Omit<T, K>;
type LlmStepInput = Extract<StepInputSpec, { type: 'llm' }>;
type EmbeddingStepInput = Extract<StepInputSpec, { type: 'embedding' }>;
type ToolStepInput = Extract<StepInputSpec, { type: 'tool' }>;

/** Gives a scenario its types; returns it unchanged. */
export function defineScenario(scenario: ScenarioInput & { models?: Record<string, ModelInput> }): ScenarioInput {
  return scenario;
}

/** An LLM call. Without `model` the routing strategy picks the model. */
export const llm = (name: string, options: Without<LlmStepInput, 'type' | 'name'> = {}): StepInputSpec => ({ type: 'llm', name, ...options });
/** An embedding call (of the query or of retrieved chunks). */
export const embed = (name: string, options: Without<EmbeddingStepInput, 'type' | 'name'> = {}): StepInputSpec => ({
  type: 'embedding',
  name,
  ...options,
});
/** A tool call with its latency distribution, price and rate of change. */
export const tool = (name: string, options: Without<ToolStepInput, 'type' | 'name'>): StepInputSpec => ({ type: 'tool', name, ...options });
/** Steps repeated with a probability after each pass (e.g. a self-correction loop). */
export const loop = (name: string, options: { repeatProbability: number; maxIterations?: number }, steps: StepInputSpec[]): StepInputSpec => ({
  type: 'loop',
  name,
  ...options,
  steps,
});

/** Always the same model. */
export const single = (model: string): RoutingInput => ({ type: 'single', model });
/** Small model first; escalate to the large one when its confidence is below `minConfidence`. */
export const cascade = (models: [string, string], options: { minConfidence: number }): RoutingInput => ({
  type: 'cascade',
  models,
  minConfidence: options.minConfidence,
});
/** Pick small or large per request from a cheap signal: task kind, predicted difficulty, or a classifier call. */
export const router = (options: Without<Extract<RoutingInput, { type: 'router' }>, 'type'>): RoutingInput => ({ type: 'router', ...options });
/** On 429, 5xx or timeout: retry with backoff, then the next model. */
export const fallback = (models: string[], options: { retries?: number; backoffMs?: number; timeoutMs?: number } = {}): RoutingInput => ({
  type: 'fallback',
  models,
  ...options,
});

/** A fixed pool of workers. */
export const fixed = (workers: number, options: { costPerHourUsd?: number } = {}): WorkersInput => ({ type: 'fixed', workers, ...options });
/** Workers added and removed by an autoscaler. */
export const autoscale = (options: Without<Extract<WorkersInput, { type: 'autoscale' }>, 'type'>): WorkersInput => ({
  type: 'autoscale',
  ...options,
});

type CacheOptions<T extends CacheInput['type']> = Without<Extract<CacheInput, { type: T }>, 'type'>;
/** Exact LLM-request cache on a step. */
export const exactCache = (options: CacheOptions<'exact'>): CacheInput => ({ type: 'exact', ...options });
/** Semantic cache on a step: serves a stored answer to a prompt whose embedding is similar enough. */
export const semanticCache = (options: CacheOptions<'semantic'>): CacheInput => ({ type: 'semantic', ...options });
/** Embedding cache on an embedding step. */
export const embeddingCache = (options: CacheOptions<'embedding'>): CacheInput => ({ type: 'embedding', ...options });
/** Tool-output cache with a TTL on a tool step. */
export const toolCache = (options: CacheOptions<'tool'>): CacheInput => ({ type: 'tool', ...options });

/** Prompt compression and context pruning choices. */
export const compression = (options: CompressionInput): CompressionInput => options;
/** Stream these steps' tokens to the user. */
export const streaming = (...steps: string[]) => ({ steps });

/**
 * Models from a JSON file of `Record<id, ModelInput>` (a `bench calibrate` overlay, or your own
 * prices), for a scenario's `models`: `models: loadModels(new URL('./overlay.json', import.meta.url))`.
 */
export function loadModels(file: string | URL): Record<string, ModelInput> {
  const name = file instanceof URL ? fileURLToPath(file) : file;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(name, 'utf8'));
  } catch (err) {
    throw new BenchError('INVALID_MODELS', `${name}: could not read the models file: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BenchError('INVALID_MODELS', `${name}: expected a JSON object of model id → model definition`);
  }
  return parsed as Record<string, ModelInput>;
}
