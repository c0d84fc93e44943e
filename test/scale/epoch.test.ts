import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

/**
 * `performance.now()` less `process.hrtime` (ms), read so that the reading between two of
 * `performance.now()` is as short as it gets (no thread switch inside), and `performance.timeOrigin`.
 */
const CLOCK = `
function clockOf() {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 500; i++) {
    const p1 = performance.now();
    const t = process.hrtime();
    const p2 = performance.now();
    if (p2 - p1 < best) {
      best = p2 - p1;
      offset = (p1 + p2) / 2 - (t[0] * 1e3 + t[1] / 1e6);
    }
  }
  return { timeOrigin: performance.timeOrigin, offset };
}
`;
const clockOf = new Function(`${CLOCK} return clockOf;`)() as () => { timeOrigin: number; offset: number };

describe('epochNow (src/llm/http-transport.ts) is one clock across threads', () => {
  it('a worker thread (the send thread) has this thread’s timeOrigin and counts performance.now() on the same monotonic clock', async () => {
    const worker = new Worker(`${CLOCK} require('node:worker_threads').parentPort.postMessage(clockOf());`, { eval: true });
    const other = await new Promise<{ timeOrigin: number; offset: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    const here = clockOf();
    expect(other.timeOrigin).toBe(here.timeOrigin);
    // so timeOrigin + performance.now() reads the same epoch on both threads at the same instant (within 1 µs)
    expect(Math.abs(other.offset - here.offset)).toBeLessThan(0.001);
  });
});
