/** Loading a scenario file: import it (TypeScript, via tsx), validate it once, check cross-field rules. */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { z } from 'zod';
import { buildCatalog, CatalogError, type Catalog } from '../../mock-llm/catalog.ts';
import { BenchError } from '../errors.ts';
import { ScenarioSchema, type Scenario, type Step } from './schema.ts';

/** A validated scenario with its catalog. */
export interface LoadedScenario {
  file: string;
  scenario: Scenario;
  catalog: Catalog;
}

/** Imports and validates a scenario file; a bad file throws one `BenchError` naming the file and field. */
export async function loadScenarioFile(file: string): Promise<LoadedScenario> {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new BenchError('INVALID_SCENARIO', `${file}: no such file`);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
  } catch (err) {
    const first = (err as Error).message.split('\n')[0]!;
    const hint = /require\(\)|require\(esm\)/.test(first)
      ? ' (a .ts file outside an ESM package loads as CommonJS: name it .mts, or add "type": "module" to the nearest package.json)'
      : '';
    throw new BenchError('INVALID_SCENARIO', `${file}: could not load the scenario: ${first}${hint}`);
  }
  if (mod.default === undefined) {
    throw new BenchError('INVALID_SCENARIO', `${file}: no default export; write \`export default defineScenario({...})\``);
  }
  return { file, ...resolveScenario(mod.default, file) };
}

/** Validates a scenario object (from a file or from code). */
export function resolveScenario(input: unknown, file = '<scenario>'): { scenario: Scenario; catalog: Catalog } {
  const parsed = ScenarioSchema.safeParse(input);
  if (!parsed.success) throw new BenchError('INVALID_SCENARIO', `${file}: ${formatIssue(parsed.error.issues[0]!)}`);
  const scenario = parsed.data;
  let catalog: Catalog;
  try {
    catalog = buildCatalog(scenario.models as never);
  } catch (err) {
    if (err instanceof CatalogError) throw new BenchError('INVALID_SCENARIO', `${file}: models: ${err.message}`);
    throw err;
  }
  const problem = crossFieldProblem(scenario, catalog);
  if (problem !== null) throw new BenchError('INVALID_SCENARIO', `${file}: ${problem}`);
  return { scenario, catalog };
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length === 0 ? '(top level)' : formatPath(issue.path);
  return `${path}: ${issue.message}`;
}

/** `workflow[2].rag.topK` from zod's path array. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Every step of a workflow, loops flattened, with its path in the scenario. */
export function flattenSteps(steps: Step[], prefix = 'workflow'): Array<{ step: Step; path: string }> {
  const out: Array<{ step: Step; path: string }> = [];
  steps.forEach((step, i) => {
    const path = `${prefix}[${i}]`;
    out.push({ step, path });
    if (step.type === 'loop') out.push(...flattenSteps(step.steps, `${path}.steps`));
  });
  return out;
}

function crossFieldProblem(s: Scenario, catalog: Catalog): string | null {
  const steps = flattenSteps(s.workflow);
  const names = new Map<string, Step>();
  for (const { step, path } of steps) {
    if (names.has(step.name)) return `${path}.name: step name "${step.name}" is used twice; step names must be unique`;
    names.set(step.name, step);
  }
  const chat = (id: string, where: string): string | null => {
    const m = catalog[id];
    if (m === undefined) return `${where}: unknown model "${id}"; known models: ${Object.keys(catalog).join(', ')}`;
    if (m.kind !== 'chat') return `${where}: model "${id}" is an embedding model; a chat model is needed here`;
    return null;
  };
  for (const { step, path } of steps) {
    if (step.type === 'llm') {
      if (step.model !== 'routed') {
        const p = chat(step.model, `${path}.model`);
        if (p) return p;
      }
      for (const [j, from] of step.contextFrom.entries()) {
        if (!names.has(from)) return `${path}.contextFrom[${j}]: no step named "${from}"`;
      }
    }
    if (step.type === 'embedding') {
      const m = catalog[step.model];
      if (m === undefined || m.kind !== 'embedding') return `${path}.model: "${step.model}" is not an embedding model in the catalog`;
      if (step.input === 'chunks' && step.chunks === undefined) return `${path}.chunks: required when input is "chunks"`;
    }
  }
  const kinds = new Set(s.requestMix.map((k) => k.name));
  if (kinds.size !== s.requestMix.length) return `requestMix: task kind names must be unique`;
  for (const [i, k] of s.requestMix.entries()) {
    const p = k.model === undefined ? null : chat(k.model, `requestMix[${i}].model`);
    if (p) return p;
  }

  const strategyChoices: Array<[string, Scenario['strategies']]> = [['strategies', s.strategies]];
  for (const [slot, choices] of Object.entries(s.sweep)) {
    for (const [label, value] of Object.entries(choices ?? {})) {
      strategyChoices.push([`sweep.${slot}.${label}`, { ...s.strategies, [slot]: value }]);
    }
  }
  for (const [where, st] of strategyChoices) {
    const r = st.routing;
    const routingModels =
      r.type === 'single'
        ? [r.model]
        : r.type === 'cascade'
          ? r.models
          : r.type === 'router'
            ? [r.small, r.large, ...(r.classifierModel ? [r.classifierModel] : [])]
            : r.models;
    for (const m of routingModels) {
      const p = chat(m, `${where}${where === 'strategies' ? '.routing' : ''}`);
      if (p) return p;
    }
    if (r.type === 'router' && r.by === 'task') {
      for (const k of r.largeKinds) if (!kinds.has(k)) return `${where}: router largeKinds names unknown task kind "${k}"`;
    }
    if (r.type === 'router' && r.by === 'classifier' && r.classifierModel === undefined) {
      return `${where}: a router by 'classifier' needs classifierModel`;
    }
    for (const [i, c] of st.caches.entries()) {
      const step = names.get(c.step);
      const at = `${where}${where === 'strategies' ? '.caches' : ''}[${i}].step`;
      if (step === undefined) return `${at}: no step named "${c.step}"`;
      const need = c.type === 'exact' || c.type === 'semantic' ? 'llm' : c.type === 'embedding' ? 'embedding' : 'tool';
      if (step.type !== need) return `${at}: cache type "${c.type}" needs a step of type "${need}"; "${c.step}" is of type "${step.type}"`;
    }
    for (const name of st.streaming.steps) {
      const step = names.get(name);
      if (step === undefined || step.type !== 'llm') return `${where}: streaming names "${name}", which is not an LLM step`;
    }
    if (st.workers.type === 'autoscale' && st.workers.min > st.workers.max) {
      return `${where}: autoscale min (${st.workers.min}) is above max (${st.workers.max})`;
    }
    const ft = st.compression.fineTuned;
    if (ft) {
      const p = chat(ft.model, `${where}: compression.fineTuned.model`);
      if (p) return p;
      for (const n of ft.steps) if (names.get(n)?.type !== 'llm') return `${where}: compression.fineTuned.steps names "${n}", which is not an LLM step`;
    }
  }
  for (const id of Object.keys(s.faults)) {
    if (catalog[id] === undefined) return `faults.${id}: unknown model "${id}"`;
  }
  return null;
}
