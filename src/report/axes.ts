/**
 * A sweep's axes as a reader needs them: which axes vary, a short label per configuration made of
 * the values that vary ("cascade@0.9 · 16 workers"), and each axis value's concrete setting in words
 * (cache kind, similarity threshold, TTL, worker count, router threshold), read from the resolved
 * scenario in results.json.
 */
import type { ConfigResult, ResultsFile } from '../results/schema.ts';
import { formatDuration, formatUsd, sig3 } from './numbers.ts';

/** Axes whose value differs between at least two configurations, in the order they first appear. */
export function varyingAxes(configs: readonly ConfigResult[]): string[] {
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c.axes)))];
  return keys.filter((k) => new Set(configs.map((c) => c.axes[k])).size > 1);
}

/** One axis value as a label: a bare number reads with its axis name (`16 workers`), else the value. */
export function axisValueLabel(axis: string, value: string | undefined): string {
  if (value === undefined) return `no ${axis}`;
  return /^\d+(\.\d+)?$/.test(value) ? `${value} ${axis}` : value;
}

/** One axis value in a sentence: `16 workers`, else `cache=exact`, so a bare value is never ambiguous. */
export function axisValueText(axis: string, value: string | undefined): string {
  if (value === undefined) return `no ${axis}`;
  return /^\d+(\.\d+)?$/.test(value) ? `${value} ${axis}` : `${axis}=${value}`;
}

/** A configuration's short label: the values of the axes that vary, joined by ` · ` (its name when none vary). */
function shortLabel(config: ConfigResult, axes: readonly string[]): string {
  if (axes.length === 0) return config.name;
  return axes.map((k) => axisValueLabel(k, config.axes[k])).join(' · ');
}

/** Labels for every configuration, unique (the full name where two short labels would collide). */
export function shortLabels(configs: readonly ConfigResult[]): Map<string, string> {
  const axes = varyingAxes(configs);
  const labels = configs.map((c) => shortLabel(c, axes));
  const seen = new Map<string, number>();
  for (const l of labels) seen.set(l, (seen.get(l) ?? 0) + 1);
  return new Map(configs.map((c, i) => [c.name, seen.get(labels[i])! > 1 ? c.name : labels[i]]));
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A TTL in seconds in words: `5 min`, `24 h`. */
function ttlText(ttlS: unknown): string | null {
  return typeof ttlS === 'number' && ttlS > 0 ? formatDuration(ttlS * 1000) : null;
}

function cacheText(c: Json): string {
  const parts: string[] = [];
  if (typeof c.threshold === 'number') parts.push(`similarity ≥ ${c.threshold}`);
  const ttl = ttlText(c.ttlS);
  if (ttl) parts.push(`TTL ${ttl}`);
  const where = typeof c.step === 'string' ? ` on ${c.step}` : '';
  const kind = c.type === 'tool' ? 'tool-output' : String(c.type);
  return `${kind} cache${where}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function routingText(r: Json): string | null {
  switch (r.type) {
    case 'single':
      return `single model ${String(r.model)}`;
    case 'cascade':
      return `cascade ${(r.models as string[]).join('→')} escalating below confidence ${String(r.minConfidence)}`;
    case 'router':
      return `router by ${String(r.by)} (${String(r.small)} / ${String(r.large)}${r.by === 'task' ? '' : `, threshold ${String(r.threshold)}`})`;
    case 'fallback':
      return `fallback ${Array.isArray(r.models) ? (r.models as string[]).join(' → ') : ''}`.trim();
    default:
      return null;
  }
}

function workersText(w: Json): string | null {
  const hourly = typeof w.costPerHourUsd === 'number' && w.costPerHourUsd > 0 ? ` at ${formatUsd(w.costPerHourUsd)} a worker-hour` : '';
  if (w.type === 'fixed') return `${String(w.workers)} fixed workers${hourly}`;
  if (w.type === 'autoscale') return `autoscaling ${String(w.min)}–${String(w.max)} workers on ${String(w.metric)} (target ${String(w.target)})${hourly}`;
  return null;
}

function compressionText(c: Json): string | null {
  if (!('systemPromptScale' in c) && !('ragTopK' in c) && !('fineTuned' in c)) return null;
  const parts: string[] = [];
  if (typeof c.systemPromptScale === 'number' && c.systemPromptScale !== 1) parts.push(`system prompt at ${sig3(c.systemPromptScale * 100)}%`);
  if (typeof c.ragTopK === 'number') parts.push(`RAG top-${c.ragTopK}${typeof c.chunkTokens === 'number' ? ` × ${c.chunkTokens}-token chunks` : ''}`);
  if (isObject(c.fineTuned)) parts.push(`fine-tuned ${String(c.fineTuned.model)} on ${(c.fineTuned.steps as string[]).join(', ')}`);
  return parts.length ? parts.join(', ') : 'no compression';
}

/** The concrete setting behind a value, in words; null when the scenario has no description for it. */
function describeSetting(setting: unknown): string | null {
  if (typeof setting === 'boolean') return setting ? 'on' : 'off';
  if (Array.isArray(setting)) return setting.length === 0 ? 'no cache' : setting.every(isObject) ? setting.map((c) => cacheText(c as Json)).join(' + ') : null;
  if (!isObject(setting)) return null;
  if (Array.isArray(setting.steps) && Object.keys(setting).length === 1) {
    return setting.steps.length === 0 ? 'no streaming' : `streaming ${(setting.steps as string[]).join(', ')}`;
  }
  return routingText(setting) ?? workersText(setting) ?? compressionText(setting);
}

/** An axis value's setting in words, from the scenario's resolved sweep; null when unknown. */
export function axisSetting(results: ResultsFile, axis: string, value: string): string | null {
  const config = results.scenario.config;
  if (!isObject(config) || !isObject(config.sweep)) return null;
  const choices = config.sweep[axis];
  if (!isObject(choices) || !Object.hasOwn(choices, value)) return null;
  return describeSetting(choices[value]);
}
