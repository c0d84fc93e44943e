/**
 * `npm run perf`: runs every `*.perf.ts` in this folder, writes each one's figures to
 * results/perf/<name>.json and prints them. Figures, not assertions: compare ratios measured in
 * one run, never absolute times on a shared machine.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machineFacts, writeJsonAtomic } from '../../src/results/write.ts';

const DIR = fileURLToPath(new URL('.', import.meta.url));
const OUT = fileURLToPath(new URL('../../results/perf', import.meta.url));
const only = process.argv[2];

for (const file of readdirSync(DIR)
  .filter((f) => f.endsWith('.perf.ts'))
  .sort()) {
  const name = file.replace(/\.perf\.ts$/, '');
  if (only !== undefined && name !== only) continue;
  process.stderr.write(`perf: ${name} …\n`);
  const mod = (await import(pathToFileURL(join(DIR, file)).href)) as { default: () => Promise<Record<string, unknown>> };
  const figures = await mod.default();
  const record = { name, measuredAt: new Date().toISOString(), machine: machineFacts(), figures };
  writeJsonAtomic(join(OUT, `${name}.json`), record);
  console.log(JSON.stringify(record, null, 2));
}

await import('./summarize.ts');
