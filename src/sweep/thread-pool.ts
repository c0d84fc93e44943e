/**
 * A sweep on several threads: this thread and `threads − 1` worker threads take replications of
 * configurations from one queue, configuration by configuration (so the first ones finish first).
 * This thread starts at once with the scenario it has already loaded; a worker joins as soon as
 * it has loaded the simulator and the scenario itself (about a second), so no core waits for it.
 */
import { Worker } from 'node:worker_threads';
import { BenchError, type BenchErrorCode } from '../core/errors.ts';
import type { ConfigResult } from '../results/schema.ts';
import type { PreparedScenario, RunOverrides } from './prepare.ts';
import { combineReplications, simulateReplication } from './replicate.ts';

/** What a sweep thread posts: ready, progress or the result of one replication, or an error. */
interface ThreadMessage {
  type: string;
  index: number;
  rep: number;
  done?: number;
  total?: number;
  result?: ConfigResult;
  message?: string;
  code?: BenchErrorCode;
}

/** One replication of one configuration. */
interface Unit {
  index: number;
  rep: number;
}

/** Where the pool reports: replications' progress and each configuration once all its seeds are done. */
export interface PoolListener {
  /** Requests done so far over all the configuration's seeds, of `total`. */
  progress(index: number, done: number, total: number): void;
  finished(index: number, result: ConfigResult): void;
}

/** Runs every replication of every configuration on `threads` threads (this one included). */
export class ThreadPool {
  private readonly reps: number;
  private readonly total: number;
  private readonly units: Replications;
  private readonly workers: Worker[] = [];
  /** The unit each worker is running. */
  private readonly held = new Map<Worker, Unit>();
  private next = 0;
  private running = 0;
  private failed = false;
  private resolve!: () => void;
  private reject!: (err: Error) => void;

  constructor(
    private readonly prepared: PreparedScenario,
    private readonly overrides: RunOverrides,
    private readonly listener: PoolListener,
  ) {
    this.reps = prepared.replications;
    this.total = prepared.configurations.length * this.reps;
    this.units = new Replications(prepared.configurations.length, this.reps);
  }

  run(threads: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      signal?.addEventListener('abort', () => this.fail(new Error('sweep interrupted')), { once: true });
      for (let t = 1; t < threads; t++) this.startWorker();
      this.runHere(signal).catch((err: unknown) => this.fail(err as Error));
    });
  }

  private take(): Unit | undefined {
    if (this.failed || this.next >= this.total) return undefined;
    const u = { index: Math.floor(this.next / this.reps), rep: this.next % this.reps };
    this.next++;
    this.running++;
    return u;
  }

  /** This thread's share: units one after the other until none is left. */
  private async runHere(signal: AbortSignal | undefined): Promise<void> {
    for (let u = this.take(); u !== undefined; u = this.take()) {
      const { index, rep } = u;
      const config = this.prepared.configurations[index]!;
      let result: ConfigResult;
      try {
        result = await simulateReplication(this.prepared, config, rep, (done, total) => this.progress(index, rep, done, total), signal);
      } catch (err) {
        if (signal?.aborted === true) return; // the abort listener has failed the run already
        const code = err instanceof BenchError ? err.code : undefined; // as a worker reports it (thread-main.ts)
        throw configurationError(config.name, code !== undefined ? (err as Error).message : ((err as Error).stack ?? String(err)), code);
      }
      this.done(index, rep, result);
    }
    this.settle();
  }

  private startWorker(): void {
    const w = new Worker(new URL('./thread.mjs', import.meta.url), { workerData: { file: this.prepared.file, overrides: this.overrides } });
    this.workers.push(w);
    w.on('message', (msg: ThreadMessage) => this.onMessage(w, msg));
    w.on('error', (err) => this.fail(err));
    // a worker ending by itself (process.exit in a scenario, a crash) would leave its unit undone forever
    w.on('exit', (code) => {
      if (this.workers.includes(w)) this.fail(new Error(`a sweep worker thread exited (code ${code}) before the sweep finished${this.holding(w)}`));
    });
  }

  private onMessage(w: Worker, msg: ThreadMessage): void {
    if (this.failed) return;
    if (msg.type === 'ready') return this.feed(w);
    if (msg.type === 'progress') return this.progress(msg.index, msg.rep, msg.done!, msg.total!);
    if (msg.type === 'error') return this.fail(configurationError(this.prepared.configurations[msg.index]!.name, msg.message!, msg.code));
    this.held.delete(w);
    this.done(msg.index, msg.rep, msg.result!);
    this.feed(w);
  }

  private feed(w: Worker): void {
    const u = this.take();
    if (u === undefined) return this.settle();
    this.held.set(w, u);
    w.postMessage(u);
  }

  /** Names the configuration a worker was running, for the message when it dies. */
  private holding(w: Worker): string {
    const u = this.held.get(w);
    return u === undefined ? '' : ` while running configuration "${this.prepared.configurations[u.index]!.name}" (seed ${u.rep + 1})`;
  }

  private progress(index: number, rep: number, done: number, total: number): void {
    this.listener.progress(index, this.units.progress(index, rep, done, total), this.reps * total);
  }

  private done(index: number, rep: number, result: ConfigResult): void {
    this.running--;
    const all = this.units.done(index, rep, result);
    if (all !== undefined) this.listener.finished(index, combineReplications(all));
  }

  /** Once every unit is done: the workers (idle, or still starting) are stopped and the run resolves. */
  private settle(): void {
    if (this.failed || this.running > 0 || this.next < this.total) return;
    this.stopWorkers();
    this.resolve();
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.stopWorkers();
    this.reject(err);
  }

  private stopWorkers(): void {
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}

/** A configuration's failure, on whichever thread it ran: `configuration "X" failed: …`, a BenchError keeping its code. */
function configurationError(name: string, message: string, code?: BenchErrorCode): Error {
  const text = `configuration "${name}" failed: ${message}`;
  return code !== undefined ? new BenchError(code, text) : new Error(text);
}

/** The replications of each configuration as threads finish them, in any order. */
class Replications {
  private readonly results: Array<Array<ConfigResult | undefined>>;
  private readonly progressDone: number[][];

  constructor(configurations: number, reps: number) {
    this.results = Array.from({ length: configurations }, () => new Array<ConfigResult | undefined>(reps));
    this.progressDone = Array.from({ length: configurations }, () => new Array<number>(reps).fill(0));
  }

  /** Records a replication's progress; returns the configuration's requests done over all its seeds. */
  progress(index: number, rep: number, done: number, total: number): number {
    const p = this.progressDone[index]!;
    p[rep] = Math.min(done, total);
    return p.reduce((a, b) => a + b, 0);
  }

  /** Records a finished replication; returns every seed's results, in seed order, once the configuration is complete. */
  done(index: number, rep: number, result: ConfigResult): ConfigResult[] | undefined {
    const all = this.results[index]!;
    all[rep] = result;
    return all.every((r) => r !== undefined) ? (all as ConfigResult[]) : undefined;
  }
}
