/** Timestamps as traces write them: date-times (Azure) or numbers in a stated unit. */

/** How a timestamp column is written. */
export type TimeUnit = 'datetime' | 's' | 'ms' | 'us' | 'ns';

/** Time units a column mapping may name. */
export const TIME_UNITS: readonly TimeUnit[] = ['datetime', 's', 'ms', 'us', 'ns'];

const MS_PER_UNIT: Record<Exclude<TimeUnit, 'datetime'>, number> = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Epoch ms of `YYYY-MM-DD HH:MM:SS[.fraction][Z|±HH:MM]` (a missing zone is UTC, as in the
 * Azure traces, whose fractions have 7 digits); NaN when the text is not such a date-time.
 */
export function parseDateTimeMs(text: string): number {
  const m = DATETIME.exec(text);
  if (m === null) return NaN;
  let ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (m[7] !== undefined) ms += Number(`0.${m[7]}`) * 1000;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ms;
}

/** A timestamp in ms (NaN when unreadable). */
export function parseTimeMs(text: string, unit: TimeUnit): number {
  if (unit === 'datetime') return parseDateTimeMs(text.trim());
  const t = text.trim();
  const v = t.length === 0 ? NaN : Number(t);
  return v * MS_PER_UNIT[unit];
}

/** A JSON timestamp: a number in `unit`, or an ISO date-time string. */
export function jsonTimeMs(value: unknown, unit: Exclude<TimeUnit, 'datetime'>): number {
  if (typeof value === 'number') return value * MS_PER_UNIT[unit];
  if (typeof value === 'string') {
    const asNumber = Number(value);
    if (value.trim() !== '' && Number.isFinite(asNumber)) return asNumber * MS_PER_UNIT[unit];
    const d = parseDateTimeMs(value.trim());
    return Number.isNaN(d) ? Date.parse(value) : d;
  }
  return NaN;
}
