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
  { entry: 'src/sweep/thread.mjs', expected: ['zod'] },
  { entry: 'src/cli/report-thread.mjs', expected: ['vega-lite', 'zod'] },
];

describe.each(ENTRIES)('$entry', ({ entry, expected }) => {
  const source = readFileSync(join(ROOT, entry), 'utf8');
  const preloaded = [...source.matchAll(/^import '([^'.][^']*)';$/gm)].map((m) => m[1]!);
  // the thread's own module: what the entry imports once the hooks are registered
  const main = /await import\('(\.[^']+)'\)/.exec(source)?.[1];

  it('pre-imports only packages that its thread’s modules import (not as types only) by the same specifier', () => {
    expect(preloaded).toEqual(expected);
    expect(main, `${entry} imports its thread's module`).toBeDefined();
    const imported = packagesImported(resolve(dirname(join(ROOT, entry)), main!));
    for (const pkg of preloaded) expect(imported, `${main} and its imports import '${pkg}'`).toContain(pkg);
  });

  it('loads them before it registers the hooks', () => {
    for (const pkg of preloaded) {
      expect(source.indexOf(`import '${pkg}';`)).toBeGreaterThanOrEqual(0);
      expect(source.indexOf(`import '${pkg}';`)).toBeLessThan(source.indexOf('register();'));
    }
  });
});
