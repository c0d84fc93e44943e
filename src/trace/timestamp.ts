/** Timestamps as traces write them: date-times (Azure) or numbers in a stated unit. */

/** How a timestamp column is written. */
export type TimeUnit = 'datetime' | 's' | 'ms' | 'us' | 'ns';

/** Time units a column mapping may name. */
export const TIME_UNITS: readonly TimeUnit[] = ['datetime', 's', 'ms', 'us', 'ns'];

const MS_PER_UNIT: Record<Exclude<TimeUnit, 'datetime'>, number> = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };

const MS_PER_DAY = 86_400_000;
/** Fraction digits read (to the ns); further digits are checked but add nothing. */
const FRACTION_DIGITS = 9;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * Epoch ms of `YYYY-MM-DD HH:MM:SS[.fraction][Z|±HH:MM]` (a missing zone is UTC, as in the
 * Azure traces, whose fractions have 7 digits); NaN when the text is not such a date-time.
 * Read by hand, character by character (a million-row trace parses a million of these; a
 * regular expression and `Date.UTC` per row took most of the read time).
 */
export function parseDateTimeMs(text: string): number {
  const n = text.length;
  if (n < 19) return NaN;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const sep = text.charCodeAt(10);
  if (
    (year | month | day | hour | minute | second) < 0 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    (sep !== 32 && sep !== 84) || // ' ' or T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour > 23 ||
    minute > 59 ||
    second > 60
  ) {
    return NaN;
  }
  let ms = daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000;
  let i = 19;
  if (i < n && text.charCodeAt(i) === 46) {
    // .fraction
    let frac = 0;
    let used = 0;
    i++;
    const from = i;
    for (; i < n; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      if (used < FRACTION_DIGITS) (frac = frac * 10 + d), used++;
    }
    if (i === from) return NaN;
    ms += (frac / POW10[used]!) * 1000;
  }
  while (i < n && isSpace(text.charCodeAt(i))) i++;
  if (i === n) return ms;
  const c = text.charCodeAt(i);
  if (c === 90) return i + 1 === n ? ms : NaN; // Z
  if (c !== 43 && c !== 45) return NaN; // + or -
  const zh = digitsAt(text, i + 1, 2);
  const colon = text.charCodeAt(i + 3) === 58 ? 1 : 0;
  const zm = digitsAt(text, i + 3 + colon, 2);
  if ((zh | zm) < 0 || i + 5 + colon !== n) return NaN;
  return ms - (c === 45 ? -1 : 1) * (zh * 60 + zm) * 60_000;
}

/** The number written by `count` decimal digits at `from`, or -1 when any is not a digit. */
function digitsAt(text: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - 48; // NaN past the end: fails the test below
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
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
