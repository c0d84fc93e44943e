/**
 * Using bench from a team's own repository: a project folder outside this one, whose
 * package.json says CommonJS, with llm-scale-bench linked into node_modules (as `npm link` or
 * `npm i -D <git url | tarball>` leave it) — `npx bench` runs this package's bin, and the
 * scenario loads as ESM.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');

const SCENARIO = `import { defineScenario } from 'llm-scale-bench';
export default defineScenario({
  name: 'team-agent',
  traffic: { requestsPerDay: 200 },
  requestMix: [{ name: 'q', share: 1, inputTokens: 50, outputTokens: 20, difficulty: 0.4 }],
  workflow: [{ type: 'llm', name: 'answer', model: 'gpt-4o-mini' }],
});
`;

function teamProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'team-repo-'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'team-repo', private: true, type: 'commonjs', devDependencies: { 'llm-scale-bench': 'file:../llm-scale-bench' } }),
  );
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(REPO, join(dir, 'node_modules', 'llm-scale-bench'), 'dir');
  symlinkSync(join('..', 'llm-scale-bench', 'bin', 'bench.js'), join(dir, 'node_modules', '.bin', 'bench'));
  mkdirSync(join(dir, 'bench'));
  writeFileSync(join(dir, 'bench', 'agent.ts'), SCENARIO);
  return dir;
}

describe('bench from a team’s own repository', () => {
  it('npx bench runs this package’s bin, and a .ts scenario in a CommonJS package loads', async () => {
    const dir = teamProject();
    const { stdout } = await run('npx', ['--no-install', 'bench', 'run', 'bench/agent.ts', '--out', 'out', '--quiet'], { cwd: dir });
    expect(stdout).toContain('results:');
    expect(existsSync(join(dir, 'out', 'results.json'))).toBe(true);
  }, 60_000);

  it.each(['agent.mts', 'agent.js'])(
    'a %s scenario (ESM syntax, in a CommonJS package) loads too',
    async (name) => {
      const dir = teamProject();
      writeFileSync(join(dir, 'bench', name), SCENARIO);
      const { stdout } = await run('npx', ['--no-install', 'bench', 'run', `bench/${name}`, '--out', 'out', '--json'], { cwd: dir });
      expect((JSON.parse(stdout) as { scenario: string }).scenario).toBe('team-agent');
      expect(existsSync(join(dir, 'out', 'results.json'))).toBe(true);
    },
    60_000,
  );

  it('a syntax error names file:line:col with a code frame, exit 2', async () => {
    const dir = teamProject();
    writeFileSync(join(dir, 'bench', 'broken.ts'), SCENARIO.replace("name: 'team-agent',", "name: 'team-agent'),"));
    const err = await run('npx', ['--no-install', 'bench', 'run', 'bench/broken.ts'], { cwd: dir }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toBe(
      [
        `bench: bench/broken.ts:3:21: Expected "}" but found ")"`,
        `  1 | import { defineScenario } from 'llm-scale-bench';`,
        `  2 | export default defineScenario({`,
        `> 3 |   name: 'team-agent'),`,
        `    |                     ^`,
        `  4 |   traffic: { requestsPerDay: 200 },`,
        `  5 |   requestMix: [{ name: 'q', share: 1, inputTokens: 50, outputTokens: 20, difficulty: 0.4 }],`,
        '',
      ].join('\n'),
    );
  }, 60_000);
});
