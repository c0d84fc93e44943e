#!/usr/bin/env node
/**
 * Files stay under 500 lines in the code folders (issue 18); functions under 60 are biome's
 * complexity/noExcessiveLinesPerFunction. Lines are counted as `wc -l` does, comments included
 * (biome's own noExcessiveLinesPerFile starts after a file's leading comment). Exits 1 naming
 * every file over, 0 otherwise. Run by `npm run lint`; `node scripts/check-size.mjs [root]`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const FOLDERS = ['src', 'mock-llm', 'bin', 'scenarios', 'test/perf'];
const CODE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const MAX_LINES = 499;

/** Lines of a text as `wc -l` counts them, plus a last line with no newline. */
function lineCount(text) {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.length > 0 && !text.endsWith('\n') ? n + 1 : n;
}

function codeFiles(root) {
  return FOLDERS.filter((folder) => existsSync(join(root, folder))).flatMap((folder) =>
    readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && CODE.test(e.name))
      .map((e) => join(e.parentPath ?? e.path, e.name).slice(root.length + 1)),
  );
}

const root = resolve(process.argv[2] ?? '.');
const over = codeFiles(root)
  .map((file) => ({ file, lines: lineCount(readFileSync(join(root, file), 'utf8')) }))
  .filter((f) => f.lines > MAX_LINES);
for (const f of over) console.error(`check-size: ${f.file} has ${f.lines} lines; files in ${FOLDERS.join(', ')} stay under ${MAX_LINES + 1}`);
process.exit(over.length > 0 ? 1 : 0);
