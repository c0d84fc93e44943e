/** llm-scale-bench: the public API. Scenario files import from here (`llm-scale-bench`). */

// authoring scenarios
export {
  defineScenario,
  llm,
  embed,
  tool,
  loop,
  single,
  cascade,
  router,
  fallback,
  fixed,
  autoscale,
  exactCache,
  semanticCache,
  embeddingCache,
  toolCache,
  compression,
  streaming,
  loadModels,
} from './scenario/define.ts';
export { constant, uniform, normal, exponential, lognormal, empirical } from './workload/distribution.ts';
export type { Dist } from './workload/distribution.ts';
export type { ScenarioInput, Scenario } from './scenario/schema.ts';

// running
export { runScenarioFile } from './sweep/run.ts';
export type { RunOptions } from './sweep/run.ts';
export { loadScenarioFile, resolveScenario } from './scenario/load.ts';
export { simulateConfiguration } from './engine/simulate.ts';
export { BenchError } from './core/errors.ts';

// results
export type { ResultsFile, ConfigResult, HeadlineMetrics } from './results/schema.ts';
export { headlineMetrics } from './results/headline.ts';

// models
export { PRESET_MODELS, buildCatalog } from './provider/catalog.ts';
export type { ModelSpec, ModelInput } from './provider/catalog.ts';
