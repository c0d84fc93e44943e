import { describe, expect, it } from 'vitest';
import { epochMs, PreciseWake } from '../../src/core/precise-wake.ts';

describe('PreciseWake', () => {
  // how late it wakes depends on the machine (the mock-timing benchmark measures it); never
  // before its time, and the latest wakeAt replacing the previous one, are its promises
  it('wakes never before the time asked, each of many sub-millisecond steps in turn', async () => {
    const early: number[] = [];
    let step = 0;
    let due = epochMs() + 5;
    await new Promise<void>((resolve) => {
      const wake: PreciseWake = new PreciseWake(() => {
        early.push(due - epochMs());
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
    wake.wakeAt(epochMs() + 50);
    tag = 'second';
    wake.wakeAt(epochMs() + 2);
    await new Promise((r) => setTimeout(r, 80));
    expect(woke).toEqual(['second']);
    wake.wakeAt(epochMs() + 2);
    wake.wakeAt(Infinity);
    expect(wake.pending()).toBe(Infinity);
    await new Promise((r) => setTimeout(r, 20));
    expect(woke).toEqual(['second']);
    wake.close();
  });
});
