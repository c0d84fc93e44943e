/** A scenario made ready to run: loaded, overrides applied, sweep expanded. */
import type { Catalog } from '../provider/catalog.ts';
import { applyPrices } from '../provider/prices.ts';
import type { LiveOptions } from '../live/engine.ts';
import { BenchError } from '../core/errors.ts';
import { didYouMean } from '../core/suggest.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';
import { prepareReplay, type TraceReplay, type TraceSpec } from '../trace/replay.ts';
import { expandSweep, selectConfigurations, selectorNames, type Configuration } from '../scenario/configurations.ts';
import { checkRunSize } from './run-size.ts';

/** Command-line overrides of a scenario. */
export interface RunOverrides {
  seed?: number;
  requestsPerDay?: number;
  durationHours?: number;
  /** Seeds run per configuration (the first is the headline). */
  replications?: number;
  /** Run only the configurations this names: exact names or axis choices, several separated by commas (`selectConfigurations`). */
  only?: string;
  /** Write every configuration's ledger (one row per call) to `<ledgerDir>/ledger-<configuration>.csv`. */
  ledgerDir?: string;
  /** Live mode: real HTTP calls on the real clock instead of the simulation. */
  live?: LiveOptions;
  /** A `--prices` file replacing the catalog's prices. */
  pricesFile?: string;
  /** Replay this trace instead of the scenario's traffic (`requestsPerDay` and `durationHours` then rescale and cut it). */
  trace?: TraceSpec;
  /** Most requests a configuration may simulate (`--max-requests`); default DEFAULT_MAX_REQUESTS. */
  maxRequests?: number;
}

/** Everything a run needs. */
export interface PreparedScenario {
  file: string;
  scenario: Scenario;
  catalog: Catalog;
  seed: number;
  replications: number;
  configurations: Configuration[];
  live: LiveOptions | undefined;
  ledgerDir: string | undefined;
  /** The trace replayed instead of the scenario's arrivals, if any. */
  replay?: TraceReplay;
  /** The `--prices` file the catalog's prices came from, if any. */
  pricesFile?: string;
}

/** Loads the file and applies the overrides (the same in the main thread and every worker); refuses a run too large to simulate. */
export async function prepareScenario(file: string, overrides: RunOverrides): Promise<PreparedScenario> {
  const prepared = await prepareUnchecked(file, overrides);
  checkRunSize(prepared, overrides.maxRequests);
  return overrides.pricesFile === undefined ? prepared : { ...prepared, pricesFile: overrides.pricesFile };
}

async function prepareUnchecked(file: string, overrides: RunOverrides): Promise<PreparedScenario> {
  const raw = await loadScenarioFile(file);
  const loaded = overrides.pricesFile === undefined ? raw : { ...raw, catalog: applyPrices(raw.catalog, overrides.pricesFile) };
  if (overrides.trace !== undefined) return prepareTraced(file, loaded.scenario, loaded.catalog, overrides, overrides.trace);
  const scenario: Scenario = {
    ...loaded.scenario,
    traffic: {
      ...loaded.scenario.traffic,
      ...(overrides.requestsPerDay !== undefined ? { requestsPerDay: overrides.requestsPerDay } : {}),
      ...(overrides.durationHours !== undefined ? { durationHours: overrides.durationHours } : {}),
    },
  };
  return finishPrepare(file, scenario, loaded.catalog, overrides);
}

/** A scenario whose traffic is a replayed trace: the run lasts the trace's (rescaled) span. */
async function prepareTraced(file: string, loaded: Scenario, catalog: Catalog, overrides: RunOverrides, spec: TraceSpec): Promise<PreparedScenario> {
  const replay = await prepareReplay(
    {
      ...spec,
      ...(overrides.requestsPerDay !== undefined ? { requestsPerDay: overrides.requestsPerDay } : {}),
      ...(overrides.durationHours !== undefined ? { durationHours: overrides.durationHours } : {}),
    },
    catalog,
  );
  const traffic = { ...loaded.traffic, requestsPerDay: replay.requestsPerDay, durationHours: replay.durationHours };
  return { ...(await finishPrepare(file, { ...loaded, traffic }, catalog, overrides)), replay };
}

async function finishPrepare(file: string, scenario: Scenario, catalog: Catalog, overrides: RunOverrides): Promise<PreparedScenario> {
  let configurations = expandSweep(scenario);
  if (overrides.only !== undefined) {
    const all = configurations;
    const selected = selectConfigurations(all, overrides.only);
    const unmatched = selected.unmatched[0];
    if (unmatched !== undefined) {
      throw new BenchError(
        'USAGE',
        `--only "${overrides.only}" matches no configuration of ${file}${didYouMean(unmatched, selectorNames(all), (n) => `"${n}"`)}; they are: ${all.map((c) => c.name).join(', ')}`,
      );
    }
    configurations = selected.configurations;
  }
  return {
    file,
    scenario,
    catalog,
    seed: overrides.seed ?? scenario.seed,
    replications: overrides.replications ?? 1,
    configurations,
    live: overrides.live,
    ledgerDir: overrides.ledgerDir,
  };
}
