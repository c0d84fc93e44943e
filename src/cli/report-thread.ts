/**
 * Draws report.html on a worker thread, so the main thread stays free to keep the stop bound: an
 * interrupted `bench run` waits for the page until a deadline and then leaves without it (the
 * drawing is seconds of synchronous work on a loaded machine, and a timer cannot fire while the
 * thread that owns it is busy). Started when the run starts, so the report modules are loaded
 * by the time they are needed.
 */
import { Worker } from 'node:worker_threads';
import type { ResultsFile } from '../results/schema.ts';

/** A worker thread that renders report pages, one at a time. */
export class ReportThread {
  private readonly worker: Worker;
  private failure: Error | null = null;

  constructor() {
    this.worker = new Worker(new URL('./report-thread.mjs', import.meta.url));
    // never what keeps the process alive
    this.worker.unref();
    this.worker.on('error', (err) => {
      this.failure = err;
    });
  }

  /** The page for `results`, or null when `deadlineMs` (a `performance.now()` time) passes first. */
  render(results: ResultsFile, deadlineMs = Infinity): Promise<string | null> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        this.worker.off('message', onMessage);
        this.worker.off('error', onError);
      };
      const onMessage = (m: unknown) => {
        done();
        resolve(m as string);
      };
      const onError = (err: Error) => {
        done();
        reject(err);
      };
      this.worker.on('message', onMessage);
      this.worker.on('error', onError);
      if (deadlineMs !== Infinity) {
        timer = setTimeout(
          () => {
            done();
            resolve(null);
          },
          Math.max(0, deadlineMs - performance.now()),
        );
      }
      this.worker.postMessage(results);
    });
  }

  /** Stops the thread. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
