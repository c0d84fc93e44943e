/** Where two JSON values differ, leaf by leaf: the gate and the compare page list a scenario's changes with it. */

/** At most this many differences are listed; the rest are counted. */
const MAX_LISTED_CHANGES = 20;

/** Leaf paths where two JSON values differ, as `path: before → after` (at most MAX_LISTED_CHANGES, then a count). */
export function configDifferences(before: unknown, after: unknown): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], path === '' ? key : `${path}.${key}`);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((v, i) => walk(v, b[i], `${path}[${i}]`));
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path === '' ? '(scenario)' : path}: ${short(a)} → ${short(b)}`);
  };
  walk(before, after, '');
  return out.length > MAX_LISTED_CHANGES ? [...out.slice(0, MAX_LISTED_CHANGES), `… and ${out.length - MAX_LISTED_CHANGES} more`] : out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function short(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
