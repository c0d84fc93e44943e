/** One configuration over one or more seeds: the first seed's results, with every seed's headline figures. */
import { simulateConfiguration } from '../engine/simulate.ts';
import type { Configuration } from '../scenario/configurations.ts';
import { headlineMetrics } from '../results/headline.ts';
import type { ConfigResult } from '../results/schema.ts';
import type { PreparedScenario } from './prepare.ts';
import { join } from 'node:path';
import { csvLedger } from '../metrics/ledger-file.ts';
import { fileSafe } from '../core/file-name.ts';

/** Simulates `config` for `prepared.replications` consecutive seeds, one after the other. */
export async function simulateReplicated(
  prepared: PreparedScenario,
  config: Configuration,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<ConfigResult> {
  const reps = prepared.replications;
  const results: ConfigResult[] = [];
  for (let r = 0; r < reps; r++) {
    signal?.throwIfAborted();
    results.push(await simulateReplication(prepared, config, r, onProgress && ((done, total) => onProgress(r * total + done, reps * total)), signal));
  }
  return combineReplications(results);
}

/** Simulates replication `r` of `config` (seed `prepared.seed + r`); the first one writes the ledger file, if one is asked for. */
export async function simulateReplication(
  prepared: PreparedScenario,
  config: Configuration,
  r: number,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<ConfigResult> {
  const seed = prepared.seed + r;
  // the ledger file holds the headline (first) seed's calls
  const ledger = r === 0 && prepared.ledgerDir !== undefined ? csvLedger(join(prepared.ledgerDir, `ledger-${fileSafe(config.name)}.csv`)) : undefined;
  const options = {
    seed,
    ...(onProgress ? { onProgress } : {}),
    ...(ledger !== undefined ? { ledgerSink: ledger.sink } : {}),
    ...(signal !== undefined ? { signal } : {}),
    ...(prepared.replay !== undefined ? { replay: prepared.replay } : {}),
  };
  const result =
    prepared.live === undefined
      ? await simulateConfiguration(prepared.scenario, prepared.catalog, config, options)
      : // loaded only for a live run: a simulation (and every sweep thread) skips the HTTP and queue clients
        await (await import('../live/engine.ts')).runLiveConfiguration(prepared.scenario, prepared.catalog, config, { ...options, ...prepared.live });
  ledger?.close();
  return result;
}

/** One configuration's result from its replications in seed order: the first seed's results, with every seed's headline figures. */
export function combineReplications(results: ConfigResult[]): ConfigResult {
  const first = results[0]!;
  if (results.length === 1) return first;
  return { ...first, replicates: results.map((r) => ({ seed: r.seed, metrics: headlineMetrics(r) })) };
}
