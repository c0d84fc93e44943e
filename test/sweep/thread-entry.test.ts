/**
 * The sweep worker's entry loads some packages before it registers the TypeScript hooks, so their
 * files load without a round trip each to the hooks thread. That only helps (and only loads each
 * package once) while the simulator imports them by the same specifier: if it stops, or switches to
 * another entry of the package, the pre-import is dead weight or a second copy.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.(ts|mjs)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe('sweep worker entry', () => {
  it('pre-imports only packages that the simulator imports (not as types only) by the same specifier', () => {
    const entry = readFileSync(join(ROOT, 'src/sweep/thread.mjs'), 'utf8');
    const preloaded = [...entry.matchAll(/^import '([^'.][^']*)';$/gm)].map((m) => m[1]!);
    expect(preloaded).toContain('zod');
    const imported = new Set<string>();
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      if (file.endsWith('thread.mjs')) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/^import (?!type )[^;]*? from '([^'.][^']*)';$/gm)) imported.add(m[1]!);
    }
    for (const pkg of preloaded) expect(imported, `src imports '${pkg}'`).toContain(pkg);
  });

  it('loads them before it registers the hooks', () => {
    const entry = readFileSync(join(ROOT, 'src/sweep/thread.mjs'), 'utf8');
    expect(entry.indexOf("import 'zod';")).toBeGreaterThanOrEqual(0);
    expect(entry.indexOf("import 'zod';")).toBeLessThan(entry.indexOf('register();'));
  });
});
