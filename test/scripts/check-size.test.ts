import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '../../scripts/check-size.mjs');
const lines = (n: number, trailingNewline = true) =>
  Array.from({ length: n }, (_, i) => `export const v${i} = ${i};`).join('\n') + (trailingNewline ? '\n' : '');

function check(files: Record<string, string>): { code: number; stderr: string } {
  const root = mkdtempSync(join(tmpdir(), 'check-size-'));
  roots.push(root);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  try {
    execFileSync(process.execPath, [SCRIPT, root], { stdio: 'pipe' });
    return { code: 0, stderr: '' };
  } catch (e) {
    const err = e as { status: number; stderr: Buffer };
    return { code: err.status, stderr: err.stderr.toString() };
  }
}

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

describe('scripts/check-size.mjs', () => {
  it('passes files of 499 lines, comments counted', () => {
    expect(check({ 'src/a/ok.ts': `/** header */\n${lines(498)}`, 'test/perf/ok.perf.ts': lines(499, false) }).code).toBe(0);
  });

  it('fails a 500-line file in a code folder and names it with its count', () => {
    const r = check({ 'src/a/ok.ts': lines(10), 'mock-llm/protocols/big.ts': lines(500) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('mock-llm/protocols/big.ts has 500 lines');
    expect(r.stderr).not.toContain('ok.ts');
  });

  it('counts a last line without a newline', () => {
    expect(check({ 'bin/tool.mjs': lines(500, false) }).code).toBe(1);
  });

  it('leaves ordinary tests and other files alone', () => {
    expect(check({ 'test/report/long.test.ts': lines(900), 'src/data.json': lines(900), 'scenarios/s.ts': lines(3) }).code).toBe(0);
  });
});
