/**
 * A worker thread's entry (the sweep's, the report renderer's) loads some packages before it
 * registers the TypeScript hooks, so their files load without a round trip each to the hooks
 * thread. That only helps (and only loads each package once) while the thread's own modules import
 * them by the same specifier: if they stop, or switch to another entry of the package, the
 * pre-import is dead weight or a second copy.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** The packages a module and every module it imports (statically, not as types only) import, by specifier. */
function packagesImported(entry: string): Set<string> {
  const seen = new Set([entry]);
  const queue = [entry];
  const packages = new Set<string>();
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export) (?!type )(?:[^;]*? from )?'([^']+)';$/gm)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) {
        if (!spec.startsWith('node:')) packages.add(spec);
        continue;
      }
      const path = resolve(dirname(file), spec);
      if (existsSync(path) && !seen.has(path)) {
        seen.add(path);
        queue.push(path);
      }
    }
  }
  return packages;
}

const ENTRIES = [
  { entry: 'src/sweep/thread.mjs', main: 'src/sweep/thread-main.ts', expected: ['zod'] },
  { entry: 'src/cli/report-thread.mjs', main: 'src/cli/report-thread-main.ts', expected: ['vega-lite', 'zod'] },
];

describe.each(ENTRIES)('$entry', ({ entry, main, expected }) => {
  const source = readFileSync(join(ROOT, entry), 'utf8');
  const preloaded = [...source.matchAll(/^import '([^'.][^']*)';$/gm)].map((m) => m[1]!);

  it('pre-imports only packages that its thread’s modules import (not as types only) by the same specifier', () => {
    expect(preloaded).toEqual(expected);
    const imported = packagesImported(join(ROOT, main));
    for (const pkg of preloaded) expect(imported, `${main} and its imports import '${pkg}'`).toContain(pkg);
  });

  it('loads them before it registers the hooks', () => {
    for (const pkg of preloaded) {
      expect(source.indexOf(`import '${pkg}';`)).toBeGreaterThanOrEqual(0);
      expect(source.indexOf(`import '${pkg}';`)).toBeLessThan(source.indexOf('register();'));
    }
  });
});
