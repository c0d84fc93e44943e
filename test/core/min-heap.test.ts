import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../src/core/min-heap.ts';
import { Rng } from '../../src/core/random.ts';

describe('MinHeap', () => {
  it('pops in `at` order, ties by `order`, with pushes and pops interleaved', () => {
    const heap = new MinHeap<{ at: number; order: number }>();
    const rng = new Rng(7);
    const reference: Array<{ at: number; order: number }> = [];
    const popped: number[] = [];
    const expected: number[] = [];
    let order = 0;
    for (let i = 0; i < 5000; i++) {
      if (rng.next() < 0.6 || heap.size === 0) {
        const e = { at: rng.int(50), order: order++ };
        heap.push(e);
        reference.push(e);
      } else {
        reference.sort((a, b) => a.at - b.at || a.order - b.order);
        expected.push(reference.shift()!.order);
        popped.push(heap.pop()!.order);
      }
      expect(heap.size).toBe(reference.length);
    }
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) popped.push(e.order);
    expected.push(...reference.sort((a, b) => a.at - b.at || a.order - b.order).map((e) => e.order));
    expect(popped).toEqual(expected);
    expect(heap.peek()).toBeUndefined();
  });

  it('clear() hands back everything it held and leaves it empty', () => {
    const heap = new MinHeap<{ at: number; order: number }>();
    for (let i = 0; i < 10; i++) heap.push({ at: 10 - i, order: i });
    expect(
      heap
        .clear()
        .map((e) => e.order)
        .sort((a, b) => a - b),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(heap.size).toBe(0);
  });
});
