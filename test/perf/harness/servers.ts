/**
 * The benchmarks' servers, each in a child process of its own (server-child.ts) so that the load
 * generator never shares their event loop: mock-llm, a bare node:http server answering fixed
 * bytes, and a bare streaming server. Every child meters its own garbage on request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { round3 } from './stats.ts';

const SERVER_CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** A server in a child process of the benchmark. */
export interface Child {
  url: string;
  process: ChildProcess;
  /** Starts the child's garbage meter (see serveGarbageMeter). */
  gcStart(): void;
  /** Stops it and reads what it measured. */
  gcStop(): Promise<GarbageFigures>;
}

/** A server's garbage over a metered window (main thread). */
export interface GarbageFigures {
  /** Bytes allocated on the V8 heap, garbage included. */
  allocatedBytes: number;
  collections: number;
  /** Pauses of the collections in the window (the main thread stood still meanwhile). */
  pauseMsTotal: number;
  pauseMsMax: number;
}

/** Starts a server in a child process (server-child.ts) and waits for its URL. */
export function startChild(kind: 'mock' | 'bare' | 'bare-stream', payload: unknown): Promise<Child> {
  return new Promise((resolve, reject) => {
    // MOCK_PERF_NODE_ARGS: extra Node flags for the mock while investigating (e.g. --trace-gc)
    const extra = kind === 'mock' ? (process.env['MOCK_PERF_NODE_ARGS'] ?? '').split(' ').filter(Boolean) : [];
    const child = spawn(process.execPath, [...extra, '--import', 'tsx', SERVER_CHILD, kind], {
      cwd: REPO_ROOT,
      env: { ...process.env, MOCK_PERF_PAYLOAD: JSON.stringify(payload) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const waiting: { resolve: (figures: GarbageFigures) => void; reject: (err: Error) => void }[] = [];
    let ready = false;
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = /^(READY|GARBAGE) (.*)$/.exec(line);
      if (m?.[1] === 'READY' && !ready) {
        ready = true;
        resolve({
          url: m[2]!,
          process: child,
          gcStart: () => void child.stdin!.write('gc-start\n'),
          gcStop: () =>
            new Promise((resolve, reject) => {
              if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`perf child "${kind}" has exited`));
              waiting.push({ resolve, reject });
              child.stdin!.write('gc-stop\n');
            }),
        });
      } else if (m?.[1] === 'GARBAGE') {
        waiting.shift()?.resolve(JSON.parse(m[2]!) as GarbageFigures);
      } else {
        process.stderr.write(`${line}\n`); // anything else the child prints (e.g. --trace-gc)
      }
    });
    child.once('exit', (code) => {
      reject(new Error(`perf child "${kind}" exited with ${code} before it was ready`)); // no effect once ready
      for (const w of waiting.splice(0)) w.reject(new Error(`perf child "${kind}" exited with ${code} before it reported its garbage`));
    });
  });
}

/** Metered windows summed: bytes allocated per unit (request or token), collections and their pauses. */
export function garbagePer(windows: GarbageFigures[], units: number): Record<string, number> {
  const sum = (f: (g: GarbageFigures) => number): number => windows.reduce((s, g) => s + f(g), 0);
  return {
    bytesPerUnit: Math.round(sum((g) => g.allocatedBytes) / units),
    units,
    collections: sum((g) => g.collections),
    pauseMsTotal: round3(sum((g) => g.pauseMsTotal)),
    pauseMsMax: Math.max(0, ...windows.map((g) => g.pauseMsMax)),
  };
}
