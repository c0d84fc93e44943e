/**
 * Options of the mock server and its msw handlers: the options interface (all optional, with
 * `@default`), the resolved form (nothing optional) and the defaults, defined once here and
 * reused by the CLI through `MOCK_DEFAULTS`.
 */
import { readFileSync } from 'node:fs';
import { buildCatalog, CatalogError, findModel, type Catalog, type ModelInput } from '../src/provider/catalog.ts';
import type { RateLimits } from '../src/provider/limits.ts';
import { MockConfigError } from './errors.ts';
import { checkFixtures, readFixturesFile, type Fixture } from './fixtures.ts';
import { TOOL_POLICY_DEFAULTS, type ResolvedToolPolicy, type ToolPolicy } from './tools.ts';

export type { RateLimits };

/** Probabilities (0–1) of injected faults per request of one model, drawn from the seeded generator. */
export interface FaultRates {
  /** Answer 500 server_error. */
  error500?: number;
  /** Answer 503 (overloaded). */
  error503?: number;
  /** Send no byte until the client gives up. */
  hang?: number;
  /** Stop the response half way (streams: after half the tokens, no [DONE]). */
  cut?: number;
}

/** Options of `startMockServer` and `createMockHandlers`. */
export interface MockServerOptions {
  /**
   * TCP port; 0 picks a free one.
   * @default 8787
   */
  port?: number;
  /**
   * Interface to bind.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * The model catalog served.
   * @default buildCatalog() (the presets)
   */
  models?: Catalog;
  /** A JSON file of `Record<string, ModelInput>` passed to `buildCatalog`; ignored when `models` is given. */
  modelsFile?: string;
  /**
   * Seed of every random draw (text, latency, faults, quality).
   * @default 0
   */
  seed?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get 401. */
  apiKey?: string;
  /**
   * Rate limits per model id; the key `'*'` applies to models without their own entry.
   * @default {} (no limits)
   */
  limits?: Readonly<Record<string, RateLimits>>;
  /**
   * Injected fault rates per model id; the key `'*'` applies to models without their own entry.
   * @default {} (no faults)
   */
  faults?: Readonly<Record<string, FaultRates>>;
  /**
   * Every latency is divided by this, so a live run can go k times faster than real time.
   * @default 1
   */
  timeScale?: number;
  /**
   * Largest accepted request body; larger bodies get 413.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Ledger rows kept in memory (oldest dropped first; totals stay exact).
   * @default 100000
   */
  ledgerMaxRows?: number;
  /**
   * When the model calls tools under `tool_choice: auto` (see tools.ts `chooseTools`).
   * @default { callProbability: 1, rounds: 1, parallelCalls: 1 }
   */
  tools?: ToolPolicy;
  /**
   * Scripted replies, matched in order before any reply is generated (see fixtures.ts).
   * @default [] (every reply generated)
   */
  fixtures?: readonly Fixture[];
  /** A JSON file of fixtures, read when `fixtures` is not given. */
  fixturesFile?: string;
}

/** Options with every default applied and the catalog built. */
export interface ResolvedMockOptions {
  port: number;
  host: string;
  models: Catalog;
  seed: number;
  apiKey: string | undefined;
  limits: Readonly<Record<string, Required<RateLimits>>>;
  faults: Readonly<Record<string, Required<FaultRates>>>;
  timeScale: number;
  maxBodyBytes: number;
  ledgerMaxRows: number;
  tools: ResolvedToolPolicy;
  fixtures: readonly Fixture[];
}

/** The defaults, in one place; the CLI reads them from here for its help text. */
export const MOCK_DEFAULTS = Object.freeze({
  port: 8787,
  host: '127.0.0.1',
  seed: 0,
  timeScale: 1,
  maxBodyBytes: 1024 * 1024,
  ledgerMaxRows: 100_000,
  rateLimitWindowMs: 60_000,
});

const NO_FAULTS: Required<FaultRates> = Object.freeze({ error500: 0, error503: 0, hang: 0, cut: 0 });

/** Applies defaults, loads `modelsFile` and checks every number; throws MockConfigError with the fix. */
export function resolveMockOptions(options: MockServerOptions = {}): ResolvedMockOptions {
  const models = options.models ?? loadCatalog(options.modelsFile);
  const resolved: ResolvedMockOptions = {
    port: options.port ?? MOCK_DEFAULTS.port,
    host: options.host ?? MOCK_DEFAULTS.host,
    models,
    seed: options.seed ?? MOCK_DEFAULTS.seed,
    apiKey: options.apiKey === '' ? undefined : options.apiKey,
    limits: resolveLimits(options.limits ?? {}, models),
    faults: resolveFaults(options.faults ?? {}, models),
    timeScale: options.timeScale ?? MOCK_DEFAULTS.timeScale,
    maxBodyBytes: options.maxBodyBytes ?? MOCK_DEFAULTS.maxBodyBytes,
    ledgerMaxRows: options.ledgerMaxRows ?? MOCK_DEFAULTS.ledgerMaxRows,
    tools: { ...TOOL_POLICY_DEFAULTS, ...options.tools },
    fixtures:
      options.fixtures !== undefined
        ? checkFixtures(options.fixtures, 'option')
        : options.fixturesFile !== undefined
          ? readFixturesFile(options.fixturesFile)
          : [],
  };
  requireNumber('port', resolved.port, Number.isInteger(resolved.port) && resolved.port >= 0 && resolved.port <= 65535, 'an integer 0–65535');
  requireNumber('seed', resolved.seed, Number.isInteger(resolved.seed), 'an integer');
  requireNumber('timeScale', resolved.timeScale, resolved.timeScale > 0 && Number.isFinite(resolved.timeScale), 'a finite number > 0');
  requireNumber('maxBodyBytes', resolved.maxBodyBytes, Number.isInteger(resolved.maxBodyBytes) && resolved.maxBodyBytes > 0, 'an integer > 0');
  requireNumber('ledgerMaxRows', resolved.ledgerMaxRows, Number.isInteger(resolved.ledgerMaxRows) && resolved.ledgerMaxRows >= 0, 'an integer >= 0');
  const t = resolved.tools;
  requireNumber('tools.callProbability', t.callProbability, t.callProbability >= 0 && t.callProbability <= 1, 'a probability in [0, 1]');
  requireNumber('tools.rounds', t.rounds, Number.isInteger(t.rounds) && t.rounds >= 0, 'an integer >= 0');
  requireNumber('tools.parallelCalls', t.parallelCalls, Number.isInteger(t.parallelCalls) && t.parallelCalls >= 1, 'an integer >= 1');
  return resolved;
}

/** The limits that apply to `model`, or undefined when it has none. */
export function limitsFor(options: ResolvedMockOptions, model: string): Required<RateLimits> | undefined {
  return ownValue(options.limits, model) ?? ownValue(options.limits, '*');
}

/** The fault rates that apply to `model` (all zero when none are configured). */
export function faultsFor(options: ResolvedMockOptions, model: string): Required<FaultRates> {
  return ownValue(options.faults, model) ?? ownValue(options.faults, '*') ?? NO_FAULTS;
}

function loadCatalog(file: string | undefined): Catalog {
  if (file === undefined) return buildCatalog();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MockConfigError(
      `Failed to read models file "${file}": ${(err as Error).message}. Please give a JSON file of { "<model id>": { ...ModelInput } }.`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new MockConfigError(
      `Models file "${file}" must hold a JSON object of { "<model id>": { ...ModelInput } }, got ${Array.isArray(parsed) ? 'an array' : typeof parsed}.`,
    );
  }
  try {
    return buildCatalog(parsed as Record<string, ModelInput>);
  } catch (err) {
    if (err instanceof CatalogError) throw new MockConfigError(`Models file "${file}": ${err.message}`);
    throw err;
  }
}

function resolveLimits(limits: Readonly<Record<string, RateLimits>>, models: Catalog): Record<string, Required<RateLimits>> {
  const out: Record<string, Required<RateLimits>> = {};
  for (const [id, l] of Object.entries(limits)) {
    checkModelKey('limits', id, models);
    const r: Required<RateLimits> = {
      requestsPerMinute: l.requestsPerMinute ?? Infinity,
      tokensPerMinute: l.tokensPerMinute ?? Infinity,
      windowMs: l.windowMs ?? MOCK_DEFAULTS.rateLimitWindowMs,
    };
    requireNumber(`limits["${id}"].requestsPerMinute`, r.requestsPerMinute, r.requestsPerMinute > 0, 'a number > 0');
    requireNumber(`limits["${id}"].tokensPerMinute`, r.tokensPerMinute, r.tokensPerMinute > 0, 'a number > 0');
    requireNumber(`limits["${id}"].windowMs`, r.windowMs, r.windowMs > 0 && Number.isFinite(r.windowMs), 'a finite number > 0');
    out[id] = r;
  }
  return out;
}

function resolveFaults(faults: Readonly<Record<string, FaultRates>>, models: Catalog): Record<string, Required<FaultRates>> {
  const out: Record<string, Required<FaultRates>> = {};
  for (const [id, f] of Object.entries(faults)) {
    checkModelKey('faults', id, models);
    const r: Required<FaultRates> = { ...NO_FAULTS, ...f };
    for (const [k, p] of Object.entries(r)) {
      requireNumber(`faults["${id}"].${k}`, p, p >= 0 && p <= 1, 'a probability in [0, 1]');
    }
    if (r.error500 + r.error503 + r.hang + r.cut > 1) {
      throw new MockConfigError(`faults["${id}"]: the rates add up to more than 1; please lower them.`);
    }
    out[id] = r;
  }
  return out;
}

function checkModelKey(what: string, id: string, models: Catalog): void {
  if (id !== '*' && findModel(models, id) === undefined) {
    throw new MockConfigError(`${what}["${id}"] names an unknown model; known models: ${Object.keys(models).join(', ')} (or "*" for all).`);
  }
}

/** `record[key]` when it is the record's own property (a model id from a request may be "constructor"). */
function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function requireNumber(name: string, value: number, ok: boolean, allowed: string): void {
  if (typeof value !== 'number' || Number.isNaN(value) || !ok) {
    throw new MockConfigError(`Option ${name} must be ${allowed}, got ${String(value)}.`);
  }
}
