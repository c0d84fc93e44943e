/**
 * Runs every configuration of a sweep, spread over worker threads, and writes results.json after
 * each finished configuration, so an interrupted run keeps what finished. Progress is reported
 * as typed events; the CLI's progress bar and any other listener subscribe.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { writeJsonAtomic, buildResultsFile } from '../results/write.ts';
import type { ConfigResult, ResultsFile } from '../results/schema.ts';
import { BenchError, type BenchErrorCode } from '../core/errors.ts';
import { combineReplications, simulateReplicated } from './replicate.ts';
import { estimateRunSize, type RunSize } from './run-size.ts';
import type { PreparedScenario, RunOverrides } from './prepare.ts';

/** Progress of one configuration. */
export class SweepProgressEvent extends Event {
  constructor(
    readonly config: string,
    readonly done: number,
    readonly total: number,
  ) {
    super('progress');
  }
}

/** One configuration finished (its results are already on disk). */
export class ConfigDoneEvent extends Event {
  constructor(readonly result: ConfigResult) {
    super('config-done');
  }
}

/** Options of a sweep. */
export interface SweepOptions {
  /** Where results.json goes; nothing is written when undefined. */
  resultsPath?: string;
  /** Worker threads; default: one per core, at most one per configuration; 0 = run in this thread. */
  threads?: number;
  overrides: RunOverrides;
}

/** A sweep run; listen for 'progress' and 'config-done' before calling `run()`. */
export class Sweep extends EventTarget {
  constructor(
    private readonly prepared: PreparedScenario,
    private readonly options: SweepOptions,
  ) {
    super();
  }

  /**
   * Runs every configuration. When `signal` aborts, the sweep stops at once: worker threads are
   * terminated, a configuration still running is dropped, and results.json is written one last
   * time with the finished configurations (the others listed as missing); nothing is written after
   * `run()` has resolved.
   */
  async run(signal?: AbortSignal): Promise<ResultsFile> {
    const configs = this.prepared.configurations;
    const results: Array<ConfigResult | undefined> = new Array(configs.length);
    let open = true;
    const finish = (index: number, r: ConfigResult) => {
      if (!open) return;
      results[index] = r;
      this.write(results);
      this.dispatchEvent(new ConfigDoneEvent(r));
    };
    const threads = this.threads();
    const work =
      threads <= 1
        ? (async () => {
            for (const [i, c] of configs.entries()) {
              const r = await simulateReplicated(this.prepared, c, (done, total) => this.dispatchEvent(new SweepProgressEvent(c.name, done, total)), signal);
              finish(i, r);
            }
          })()
        : this.runThreads(threads, finish, signal);
    try {
      await Promise.race([work, whenAborted(signal)]);
    } catch (err) {
      if (signal?.aborted !== true) throw err;
    }
    open = false;
    work.catch(() => undefined); // the dropped configuration rejects with the abort reason
    if (signal?.aborted === true) this.write(results);
    return this.file(results);
  }

  /** The run's estimated size, on the threads it will use. */
  size(): RunSize {
    return estimateRunSize(this.prepared, Math.max(1, this.threads()));
  }

  /** Worker threads the sweep uses (0: it runs in this thread); a thread runs one replication of one configuration at a time. */
  threads(): number {
    // live runs play in real time: one configuration after the other, in this thread
    const units = this.prepared.configurations.length * this.prepared.replications;
    return this.prepared.live !== undefined ? 0 : Math.min(this.options.threads ?? availableParallelism(), units);
  }

  private write(results: Array<ConfigResult | undefined>): void {
    if (this.options.resultsPath !== undefined) writeJsonAtomic(this.options.resultsPath, this.file(results));
  }

  private file(results: Array<ConfigResult | undefined>): ResultsFile {
    return buildResultsFile(
      this.prepared,
      results.filter((r): r is ConfigResult => r !== undefined),
      this.prepared.live === undefined ? 'sim' : 'live',
    );
  }

  /**
   * Runs every replication of every configuration on `threads` worker threads, configuration by
   * configuration (so the first ones finish first); a configuration is done once all its seeds are.
   */
  private runThreads(threads: number, finish: (index: number, r: ConfigResult) => void, signal?: AbortSignal): Promise<void> {
    const configs = this.prepared.configurations;
    const reps = this.prepared.replications;
    const units = new Replications(configs.length, reps);
    let next = 0;
    let running = 0;
    return new Promise((resolve, reject) => {
      const workers: Worker[] = [];
      let failed = false;
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        for (const w of workers) void w.terminate();
        reject(err);
      };
      signal?.addEventListener('abort', () => fail(new Error('sweep interrupted')), { once: true });
      const feed = (w: Worker) => {
        if (next < configs.length * reps) {
          running++;
          w.postMessage({ index: Math.floor(next / reps), rep: next % reps });
          next++;
        } else {
          w.postMessage({ exit: true });
          if (running === 0) resolve();
        }
      };
      const onMessage = (w: Worker, msg: ThreadMessage) => {
        if (msg.type === 'ready') return feed(w);
        const name = configs[msg.index]!.name;
        if (msg.type === 'progress') {
          const done = units.progress(msg.index, msg.rep, msg.done!, msg.total!);
          return void this.dispatchEvent(new SweepProgressEvent(name, done, reps * msg.total!));
        }
        if (msg.type === 'error') {
          const message = `configuration "${name}" failed: ${msg.message}`;
          return fail(msg.code !== undefined ? new BenchError(msg.code, message) : new Error(message));
        }
        running--;
        const all = units.done(msg.index, msg.rep, msg.result!);
        if (all !== undefined) finish(msg.index, combineReplications(all));
        feed(w);
      };
      for (let t = 0; t < threads; t++) {
        const w = new Worker(new URL('./thread.mjs', import.meta.url), {
          workerData: { file: this.prepared.file, overrides: this.options.overrides },
        });
        workers.push(w);
        w.on('message', (msg: ThreadMessage) => onMessage(w, msg));
        w.on('error', fail);
      }
    });
  }
}

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

/** Resolves when `signal` aborts (never, without one). */
function whenAborted(signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
