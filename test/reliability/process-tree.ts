/** Helpers for the signal tests: start `bench` as a process group, signal it, watch every process in it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (where `npx bench` resolves). */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How the command is started: through npx (npm → shell → node) or as `node bin/bench.js`. */
export type Launcher = 'npx' | 'node';

/** A started `bench` command: its own process group, output collected. */
export interface BenchProcess {
  proc: ChildProcess;
  /** Process group id (= the launcher's pid). */
  pgid: number;
  output(): string;
  /** Resolves when the output matches `pattern` (rejects after `timeoutMs` or if the process exits first). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `bench <args>` in a new process group. */
export function startBench(launcher: Launcher, args: string[], env: Record<string, string> = {}): BenchProcess {
  const [cmd, argv] = launcher === 'npx' ? ['npx', ['--yes', 'bench', ...args]] : [process.execPath, [join(ROOT, 'bin/bench.js'), ...args]];
  // without the npm variables of a surrounding `npm test`: each launcher is tested as a user starts it
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') && k !== 'BENCH_EXIT_WITH_PARENT'));
  const proc = spawn(cmd as string, argv as string[], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...clean, ...env } });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    pgid: proc.pid!,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (m === null) return;
          done();
          resolve(m);
        };
        const timer = setTimeout(() => (done(), reject(new Error(`no ${pattern} after ${timeoutMs} ms; output:\n${out}`))), timeoutMs);
        void exited.then(() => setTimeout(() => (done(), reject(new Error(`exited before ${pattern}; output:\n${out}`))), 50));
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Pids of the live (not zombie) processes in process group `pgid`, read from /proc. */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z' && Number(fields[2]) === pgid) out.push(Number(name));
  }
  return out;
}

/** Polls until no process of the group is left; resolves with the milliseconds it took (rejects after `timeoutMs`). */
export async function groupGone(pgid: number, timeoutMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    const left = groupMembers(pgid);
    if (left.length === 0) return performance.now() - start;
    if (performance.now() - start > timeoutMs) {
      const names = left.map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 120));
      for (const p of left) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {}
      }
      throw new Error(`still running ${timeoutMs} ms after the signal: ${names.join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Size and modification time of every file under `dir` (to tell that nothing was written since). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const s = statSync(join(dir, n));
    out[n] = `${s.size}@${s.mtimeMs}`;
  }
  return out;
}
