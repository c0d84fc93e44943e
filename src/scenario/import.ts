/**
 * Importing a scenario file as an ES module whatever folder it is in. tsx loads a `.ts` file
 * by its nearest package.json: outside an ESM package it becomes CommonJS, and `import … from
 * 'llm-scale-bench'` then fails ("Cannot require() ES Module … in a cycle"). When the plain
 * import fails, the file is compiled with esbuild (tsx's own compiler) as ESM: a syntax error
 * becomes `file:line:col` with a code frame; otherwise the compiled module is imported from a
 * temporary `.mjs` beside the original (so its relative imports still resolve).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transform, type TransformFailure } from 'esbuild';
import { BenchError } from '../core/errors.ts';

/** Lines of source shown above and below an error's line. */
const FRAME_CONTEXT_LINES = 2;

/** `  2 | code` lines around `line` (1-based) with a caret under `column` (0-based). */
function codeFrame(source: string, line: number, column: number): string {
  const lines = source.split(/\r\n|\r|\n/);
  const from = Math.max(1, line - FRAME_CONTEXT_LINES);
  const to = Math.min(lines.length, line + FRAME_CONTEXT_LINES);
  const width = String(to).length;
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${lines[n - 1]}`);
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(column)}^`);
  }
  return out.join('\n');
}

/** Imports `abs` (a scenario file); `file` is how the user named it, for messages. */
export async function importScenarioModule(file: string, abs: string): Promise<{ default?: unknown }> {
  try {
    return (await import(pathToFileURL(abs).href)) as { default?: unknown };
  } catch (err) {
    return await importAsEsm(file, abs, err as Error);
  }
}

async function importAsEsm(file: string, abs: string, firstError: Error): Promise<{ default?: unknown }> {
  const source = readFileSync(abs, 'utf8');
  let code: string;
  try {
    code = (await transform(source, { loader: abs.endsWith('.js') || abs.endsWith('.mjs') ? 'js' : 'ts', format: 'esm', sourcefile: abs, target: 'node20' }))
      .code;
  } catch (err) {
    const e = (err as TransformFailure).errors?.[0];
    if (e?.location == null) throw loadError(file, firstError);
    const { line, column } = e.location;
    throw new BenchError('INVALID_SCENARIO', `${file}:${line}:${column + 1}: ${e.text}\n${codeFrame(source, line, column)}`);
  }
  // a hidden sibling, so `./helpers.ts` and the package resolution of the original still apply
  const temp = join(dirname(abs), `.${basename(abs)}.${randomBytes(4).toString('hex')}.bench.mjs`);
  try {
    writeFileSync(temp, code);
  } catch {
    throw loadError(file, firstError);
  }
  try {
    return (await import(pathToFileURL(temp).href)) as { default?: unknown };
  } catch (err) {
    throw loadError(file, err as Error);
  } finally {
    rmSync(temp, { force: true });
  }
}

function loadError(file: string, err: Error): BenchError {
  return new BenchError('INVALID_SCENARIO', `${file}: could not load the scenario: ${err.message.split('\n')[0]!}`);
}
