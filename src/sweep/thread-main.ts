/** Runs replications of a sweep's configurations inside a worker thread; posts each result as it finishes. */
import { parentPort, workerData } from 'node:worker_threads';
import { BenchError } from '../core/errors.ts';
import { simulateReplication } from './replicate.ts';
import { prepareScenario, type RunOverrides } from './prepare.ts';

const data = workerData as { file: string; overrides: RunOverrides };
const prepared = await prepareScenario(data.file, data.overrides);

parentPort!.on('message', async (msg: { index: number; rep: number } | { exit: true }) => {
  if ('exit' in msg) {
    parentPort!.close();
    return;
  }
  try {
    const result = await simulateReplication(prepared, prepared.configurations[msg.index]!, msg.rep, (done, total) =>
      parentPort!.postMessage({ type: 'progress', index: msg.index, rep: msg.rep, done, total }),
    );
    parentPort!.postMessage({ type: 'result', index: msg.index, rep: msg.rep, result });
  } catch (err) {
    // a BenchError is a one-line message (exit 2); anything else is a bug, with its stack
    const code = err instanceof BenchError ? err.code : undefined;
    parentPort!.postMessage({
      type: 'error',
      index: msg.index,
      rep: msg.rep,
      code,
      message: code !== undefined ? (err as Error).message : ((err as Error).stack ?? String(err)),
    });
  }
});
parentPort!.postMessage({ type: 'ready' });
