/**
 * The one binary min-heap of the codebase: the simulator's future event list (src/engine) and
 * the precise timer of mock-llm's streams and the live send thread (src/core/scheduler.ts) keep their entries in it.
 */

/** What the heap orders by: `at` first, ties by `order` (lower first, so insertion order when it counts up). */
export interface HeapEntry {
  at: number;
  order: number;
}

/** A binary min-heap of entries; sifts move entries into the hole instead of swapping (no temporaries). */
export class MinHeap<T extends HeapEntry> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The earliest entry, left in the heap; undefined when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(e: T): void {
    const h = this.items;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (parent.at < e.at || (parent.at === e.at && parent.order < e.order)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = e;
  }

  /** Removes and returns the earliest entry; undefined when empty. */
  pop(): T | undefined {
    const h = this.items;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop()!;
    const n = h.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n) {
        const hr = h[r]!;
        const hl = h[l]!;
        if (hr.at < hl.at || (hr.at === hl.at && hr.order < hl.order)) c = r;
      }
      const child = h[c]!;
      if (last.at < child.at || (last.at === child.at && last.order < child.order)) break;
      h[i] = child;
      i = c;
    }
    h[i] = last;
    return top;
  }

  /** Empties the heap and returns what it held (in no particular order). */
  clear(): T[] {
    const all = this.items;
    this.items = [];
    return all;
  }
}
