/**
 * The one key a scenario may not use as a name: `__proto__`. Copied into a plain object (which
 * schema parsing does for every record: models, faults, sweep choices) it replaces the object's
 * prototype instead of adding an entry, so the name would silently vanish.
 */
/** The path of the first own `__proto__` key in `value` (walked like JSON), or null when there is none. */
export function reservedKeyPath(value: unknown, path: PropertyKey[] = [], seen = new Set<object>()): PropertyKey[] | null {
  if (typeof value !== 'object' || value === null || seen.has(value)) return null;
  seen.add(value);
  if (Object.hasOwn(value, '__proto__')) return [...path, '__proto__'];
  for (const [key, child] of Object.entries(value)) {
    const found = reservedKeyPath(child, [...path, Array.isArray(value) ? Number(key) : key], seen);
    if (found !== null) return found;
  }
  return null;
}
