/** Loading a scenario file: import it (TypeScript, via tsx), validate it once, check cross-field rules. */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { z } from 'zod';
import { buildCatalog, CatalogError, findModel, type Catalog } from '../provider/catalog.ts';
import { BenchError } from '../core/errors.ts';
import { importScenarioModule } from './import.ts';
import { didYouMean } from '../core/suggest.ts';
import { reservedKeyPath } from './reserved-keys.ts';
import { ScenarioSchema, type Scenario, type Step } from './schema.ts';
import { toolCallProblem } from './tool-calls.ts';

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
  const mod = await importScenarioModule(file, abs);
  if (mod.default === undefined) {
    throw new BenchError('INVALID_SCENARIO', `${file}: no default export; write \`export default defineScenario({...})\``);
  }
  return { file, ...resolveScenario(mod.default, file) };
}

/** Validates a scenario object (from a file or from code). */
export function resolveScenario(input: unknown, file = '<scenario>'): { scenario: Scenario; catalog: Catalog } {
  const reserved = reservedKeyPath(input);
  if (reserved !== null) throw new BenchError('INVALID_SCENARIO', `${file}: ${formatPath(reserved)}: "__proto__" cannot be a name; please choose another`);
  const parsed = ScenarioSchema.safeParse(input);
  if (!parsed.success) throw new BenchError('INVALID_SCENARIO', `${file}: ${formatIssue(firstIssue(parsed.error.issues), input)}`);
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

/**
 * The issue to report: the first, unless a field beside it is unknown — a misspelt field
 * (`minConfidance`) also makes the real one (`minConfidence`) missing, and the typo is the cause.
 */
function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  const first = issues[0]!;
  const parent = first.path.slice(0, -1).join('\u0000');
  return issues.find((i) => i.code === 'unrecognized_keys' && i.path.join('\u0000') === parent) ?? first;
}

function formatIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const path = issue.path.length === 0 ? '(top level)' : formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = knownFieldsAt(ScenarioSchema, input, issue.path);
    const fields = issue.keys.map((k) => `"${k}"${didYouMean(k, known, (n) => `"${n}"`)}`);
    return `${path}: unknown field${fields.length > 1 ? 's' : ''} ${fields.join(', ')}; known fields: ${known.join(', ')}`;
  }
  return `${path}: ${issue.message}`;
}

/** The schema's internals that `knownFieldsAt` walks (zod 4's `_zod.def`). */
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  items?: z.ZodType[];
  options?: z.ZodType[];
  getter?: () => z.ZodType;
  in?: z.ZodType;
  discriminator?: string;
}

const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** Field names the schema allows for the object at `path` of `input` (unions resolved by the input). */
function knownFieldsAt(schema: z.ZodType, input: unknown, path: ReadonlyArray<PropertyKey>): string[] {
  const def = defOf(schema);
  const at = (s: z.ZodType, rest: ReadonlyArray<PropertyKey>, value: unknown) => knownFieldsAt(s, value, rest);
  const child =
    typeof input === 'object' && input !== null && Object.hasOwn(input, path[0] as PropertyKey)
      ? (input as Record<PropertyKey, unknown>)[path[0] as PropertyKey]
      : undefined;
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
    case 'readonly':
      return at(def.innerType!, path, input);
    case 'lazy':
      return at(def.getter!(), path, input);
    case 'pipe':
      return at(def.in!, path, input);
    case 'union': {
      // the option that accepts the input best: the one whose own fields cover most of its keys
      const keys = Object.keys((input ?? {}) as object);
      const scored = def.options!.map((o) => ({ o, fields: at(o, [], input) }));
      const key = def.discriminator ?? 'type';
      const tag = (input as Record<string, unknown> | undefined)?.[key];
      const fitting = scored.filter((x) => {
        const field = defOf(x.o).shape?.[key];
        const literal = field === undefined ? undefined : (defOf(field) as { type: string; values?: unknown[] });
        return literal?.type !== 'literal' || literal.values?.includes(tag);
      });
      const best = (fitting.length > 0 ? fitting : scored).sort(
        (a, b) => keys.filter((k) => b.fields.includes(k)).length - keys.filter((k) => a.fields.includes(k)).length,
      )[0];
      return best === undefined ? [] : path.length === 0 ? best.fields : at(best.o, path, input);
    }
    default:
      break;
  }
  if (path.length === 0) return def.type === 'object' ? Object.keys(def.shape!) : [];
  const rest = path.slice(1);
  // own keys only: a field named "toString" must not walk into Object.prototype
  if (def.type === 'object') return Object.hasOwn(def.shape!, String(path[0])) ? at(def.shape![String(path[0])]!, rest, child) : [];
  if (def.type === 'array') return at(def.element!, rest, child);
  if (def.type === 'record') return at(def.valueType!, rest, child);
  if (def.type === 'tuple') return def.items![Number(path[0])] ? at(def.items![Number(path[0])]!, rest, child) : [];
  return [];
}

/** `workflow[2].rag.topK` from zod's path array. */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
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

/** How far from 1 the task kinds' shares may sum (floating-point slack, not a silent renormalisation). */
const SHARE_SUM_TOLERANCE = 1e-6;

/** Checks a chat model id: null when the catalog has it as a chat model, else the problem at `where`. */
type ChatCheck = (id: string, where: string) => string | null;

function crossFieldProblem(s: Scenario, catalog: Catalog): string | null {
  const steps = flattenSteps(s.workflow);
  const names = new Map<string, Step>();
  for (const { step, path } of steps) {
    if (names.has(step.name)) return `${path}.name: step name "${step.name}" is used twice; step names must be unique`;
    names.set(step.name, step);
  }
  const chat: ChatCheck = (id, where) => {
    const m = findModel(catalog, id);
    if (m === undefined) return `${where}: unknown model "${id}"; known models: ${Object.keys(catalog).join(', ')}`;
    if (m.kind !== 'chat') return `${where}: model "${id}" is an embedding model; a chat model is needed here`;
    return null;
  };
  const problem = workflowProblem(steps, names, catalog, chat) ?? toolCallProblem(s.workflow) ?? requestMixProblem(s, chat);
  if (problem !== null) return problem;
  for (const [slot, choices] of Object.entries(s.sweep)) {
    if (choices !== undefined && Object.keys(choices).length === 0) return `sweep.${slot}: an empty axis; give it at least one choice, or remove it`;
  }
  const strategyChoices: Array<[string, Scenario['strategies']]> = [['strategies', s.strategies]];
  for (const [slot, choices] of Object.entries(s.sweep)) {
    for (const [label, value] of Object.entries(choices ?? {})) {
      strategyChoices.push([`sweep.${slot}.${label}`, { ...s.strategies, [slot]: value }]);
    }
  }
  const kinds = new Set(s.requestMix.map((k) => k.name));
  for (const [where, st] of strategyChoices) {
    const p = strategiesProblem(where, st, names, kinds, chat);
    if (p !== null) return p;
  }
  for (const id of Object.keys(s.faults)) {
    if (findModel(catalog, id) === undefined) return `faults.${id}: unknown model "${id}"`;
  }
  return null;
}

/** The steps' models exist and fit, and their contextFrom and chunks are there. */
function workflowProblem(steps: ReturnType<typeof flattenSteps>, names: Map<string, Step>, catalog: Catalog, chat: ChatCheck): string | null {
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
      const m = findModel(catalog, step.model);
      if (m === undefined || m.kind !== 'embedding') return `${path}.model: "${step.model}" is not an embedding model in the catalog`;
      if (step.input === 'chunks' && step.chunks === undefined) return `${path}.chunks: required when input is "chunks"`;
    }
  }
  return null;
}

/** Task kinds are unique, their models exist, their shares sum to 1. */
function requestMixProblem(s: Scenario, chat: ChatCheck): string | null {
  const kinds = new Set(s.requestMix.map((k) => k.name));
  if (kinds.size !== s.requestMix.length) return `requestMix: task kind names must be unique`;
  for (const [i, k] of s.requestMix.entries()) {
    const p = k.model === undefined ? null : chat(k.model, `requestMix[${i}].model`);
    if (p) return p;
  }
  const shareSum = s.requestMix.reduce((sum, k) => sum + k.share, 0);
  if (Math.abs(shareSum - 1) > SHARE_SUM_TOLERANCE) {
    return `requestMix: the shares sum to ${Number(shareSum.toPrecision(12))} (${s.requestMix.map((k) => `${k.name} ${k.share}`).join(', ')}); they must sum to 1`;
  }
  return null;
}

/** One set of strategies (the base, or one sweep choice applied to it) names models, steps and kinds that exist. */
function strategiesProblem(where: string, st: Scenario['strategies'], names: Map<string, Step>, kinds: Set<string>, chat: ChatCheck): string | null {
  const r = st.routing;
  const routingModels =
    r.type === 'single' ? [r.model] : r.type === 'router' ? [r.small, r.large, ...(r.classifierModel ? [r.classifierModel] : [])] : r.models;
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
  return null;
}
