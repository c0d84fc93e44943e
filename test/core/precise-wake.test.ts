import { describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { PreciseWake } from '../../src/core/precise-wake.ts';

describe('PreciseWake', () => {
  // how late it wakes depends on the machine (the mock-timing benchmark measures it); never
  // before its time, and the latest wakeAt replacing the previous one, are its promises
  it('wakes never before the time asked, each of many sub-millisecond steps in turn', async () => {
    const early: number[] = [];
    let step = 0;
    let due = performance.now() + 5;
    await new Promise<void>((resolve) => {
      const wake: PreciseWake = new PreciseWake(() => {
        early.push(due - performance.now());
        if (++step === 30) {
          wake.close();
          return resolve();
        }
        due += 0.3;
        wake.wakeAt(due);
      });
      wake.wakeAt(due);
    });
    expect(early).toHaveLength(30);
    expect(Math.max(...early)).toBeLessThanOrEqual(0);
  });

  it('a later wakeAt replaces the pending one; Infinity cancels it', async () => {
    const woke: string[] = [];
    let tag = 'first';
    const wake = new PreciseWake(() => woke.push(tag));
    await wake.ready();
    wake.wakeAt(performance.now() + 50);
    tag = 'second';
    wake.wakeAt(performance.now() + 2);
    await new Promise((r) => setTimeout(r, 80));
    expect(woke).toEqual(['second']);
    wake.wakeAt(performance.now() + 2);
    wake.wakeAt(Infinity);
    expect(wake.pending()).toBe(Infinity);
    await new Promise((r) => setTimeout(r, 20));
    expect(woke).toEqual(['second']);
    wake.close();
  });

  it('a wake-up that arrives before its time on this thread (another clock, a skew) is not delivered: the helper is re-armed for the rest', async () => {
    let lies = 2; // this thread's clock reads 50 ms behind for its first two checks: the helper's wake-ups look early
    const reads: number[] = [];
    const clock = (): number => {
      const t = performance.now() - (lies-- > 0 ? 50 : 0);
      reads.push(t);
      return t;
    };
    const seen: number[] = [];
    const wake = new PreciseWake(() => seen.push(reads.at(-1)!), clock);
    await wake.ready();
    const due = performance.now() + 2;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => seen.length > 0 && (clearInterval(timer), resolve()), 5);
      wake.wakeAt(due);
    });
    wake.close();
    // delivered once, on the third check, when this thread's clock had reached the due time
    expect(reads).toHaveLength(3);
    expect(seen).toEqual([reads[2]]);
    expect(seen[0]).toBeGreaterThanOrEqual(due);
  });
});
