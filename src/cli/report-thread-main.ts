/** The report thread's work: each message is a results file; the answer is its report page. */
import { parentPort } from 'node:worker_threads';
import { renderReport } from '../report/index.ts';
import type { ResultsFile } from '../results/schema.ts';

parentPort!.on('message', (results: ResultsFile) => {
  parentPort!.postMessage(renderReport(results));
});
