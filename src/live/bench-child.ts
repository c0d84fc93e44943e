/** Starting another `bench` process (a mock-llm server, a BullMQ worker) that must not outlive this one. */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const BENCH_BIN = fileURLToPath(new URL('../../bin/bench.js', import.meta.url));

/** Live children, sent SIGTERM when this process exits however it exits (a signal, process.exit, the end). */
const children = new Set<ChildProcessByStdio<null, Readable, Readable>>();
let exitHookInstalled = false;

/**
 * `bench <args>` in a child process with piped output. The child also stops by itself if this
 * process disappears without telling it (SIGKILL): BENCH_EXIT_WITH_PARENT, see bin/bench.js.
 */
export function spawnBenchChild(args: string[]): ChildProcessByStdio<null, Readable, Readable> {
  const child = spawn(process.execPath, [BENCH_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_EXIT_WITH_PARENT: '1' },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of children) c.kill('SIGTERM');
    });
  }
  return child;
}
