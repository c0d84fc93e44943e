/**
 * Runs every configuration of a sweep, spread over this thread and worker threads, and writes results.json after
 * each finished configuration, so an interrupted run keeps what finished. Progress is reported
 * as typed events; the CLI's progress bar and any other listener subscribe.
 */
import { availableParallelism } from 'node:os';
import { writeJsonAtomic, buildResultsFile } from '../results/write.ts';
import type { ConfigResult, ResultsFile } from '../results/schema.ts';
import { simulateReplicated } from './replicate.ts';
import { ThreadPool } from './thread-pool.ts';
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
  /** Threads, this one included (N: this one and N − 1 workers); default: one per core, at most one per replication; 0 = run in this thread. */
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

  /** Threads the sweep uses, this one included (0: it runs in this thread alone); a thread runs one replication of one configuration at a time. */
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

  /** Runs every replication of every configuration on `threads` threads: this one and `threads − 1` workers. */
  private runThreads(threads: number, finish: (index: number, r: ConfigResult) => void, signal?: AbortSignal): Promise<void> {
    const configs = this.prepared.configurations;
    const pool = new ThreadPool(this.prepared, this.options.overrides, {
      progress: (index, done, total) => this.dispatchEvent(new SweepProgressEvent(configs[index]!.name, done, total)),
      finished: finish,
    });
    return pool.run(threads, signal);
  }
}

/** Resolves when `signal` aborts (never, without one). */
function whenAborted(signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
