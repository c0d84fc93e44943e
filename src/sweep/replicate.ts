/** One configuration over one or more seeds: the first seed's results, with every seed's headline figures. */
import { runLiveConfiguration } from '../live/engine.ts';
import { simulateConfiguration } from '../engine/simulate.ts';
import type { Configuration } from '../scenario/configurations.ts';
import { headlineMetrics } from '../results/headline.ts';
import type { ConfigResult } from '../results/schema.ts';
import type { PreparedScenario } from './prepare.ts';
import { join } from 'node:path';
import { csvLedger } from '../metrics/ledger-file.ts';
import { fileSafe } from '../core/file-name.ts';

/** Simulates `config` for `prepared.replications` consecutive seeds. */
export async function simulateReplicated(
  prepared: PreparedScenario,
  config: Configuration,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<ConfigResult> {
  const reps = prepared.replications;
  let first: ConfigResult | undefined;
  const replicates: NonNullable<ConfigResult['replicates']> = [];
  for (let r = 0; r < reps; r++) {
    signal?.throwIfAborted();
    const seed = prepared.seed + r;
    // the ledger file holds the headline (first) seed's calls
    const ledger = r === 0 && prepared.ledgerDir !== undefined ? csvLedger(join(prepared.ledgerDir, `ledger-${fileSafe(config.name)}.csv`)) : undefined;
    const options = {
      seed,
      ...(onProgress ? { onProgress: (done: number, total: number) => onProgress(r * total + done, reps * total) } : {}),
      ...(ledger !== undefined ? { ledgerSink: ledger.sink } : {}),
      ...(signal !== undefined ? { signal } : {}),
      ...(prepared.replay !== undefined ? { replay: prepared.replay } : {}),
    };
    const result =
      prepared.live === undefined
        ? await simulateConfiguration(prepared.scenario, prepared.catalog, config, options)
        : await runLiveConfiguration(prepared.scenario, prepared.catalog, config, { ...options, ...prepared.live });
    ledger?.close();
    first ??= result;
    replicates.push({ seed, metrics: headlineMetrics(result) });
  }
  return reps > 1 ? { ...first!, replicates } : first!;
}
