/** Nearest-match suggestions for mistyped names (commands, flags, fields, configuration names). */

/** Edit distance (insertions, deletions, substitutions; an adjacent swap counts 1), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[s.length]![t.length]!;
}

/**
 * The candidate closest to `word`, or undefined when none is close enough to be a likely typo:
 * at most a third of the longer name's letters may differ (at least 1, so `rnu` → `run`).
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  if (best === undefined) return undefined;
  return bestD <= Math.max(1, Math.floor(Math.max(word.length, best.length) / 3)) ? best : undefined;
}

/** ` (did you mean X?)` when a candidate is close, else ''. */
export function didYouMean(word: string, candidates: Iterable<string>, render: (s: string) => string = (s) => s): string {
  const n = nearest(word, candidates);
  return n === undefined ? '' : ` (did you mean ${render(n)}?)`;
}
