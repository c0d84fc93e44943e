/**
 * Every command-line value is checked here, once: each flag table declares a flag's type and
 * allowed range beside its description, and `yargsOptions` turns the table into yargs options
 * whose `coerce` refuses a bad value with one line naming the flag and what it allows (exit 2).
 */
import type { Options } from 'yargs';
import { BenchError } from '../core/errors.ts';
import { didYouMean } from '../core/suggest.ts';

/** The allowed range of a numeric flag. */
export interface NumberRule {
  /** Whole numbers only. */
  integer?: boolean;
  /** Lowest allowed value (inclusive). */
  min?: number;
  /** Values must be above this (exclusive). */
  above?: number;
  /** Highest allowed value (inclusive). */
  max?: number;
  /** Values must be below this (exclusive). */
  below?: number;
}

/** A text flag's check: returns the text when valid, throws a `BenchError` naming the flag otherwise. */
export type TextCheck = (flag: string, text: string) => string;

/** One flag as a table describes it: yargs options plus the value's rule. */
export type FlagSpec = Options & { range?: NumberRule; check?: TextCheck };

/** A seed: a whole number ≥ 0 (as in a scenario's `seed`). */
export const SEED_RULE = { integer: true, min: 0 } as const;
/** Seeds per configuration. */
export const REPLICATIONS_RULE = { integer: true, min: 1 } as const;
/** Threads of a sweep (this one included). */
export const THREADS_RULE = { integer: true, min: 1 } as const;
/** `--threads`' help: N threads are this one and N − 1 worker threads. */
export const THREADS_HELP = 'Threads to simulate on, this one included (N − 1 worker threads) [default: one per core]';
/** A live run's (and the mock's) speed-up of time. */
export const TIME_SCALE_RULE = { above: 0 } as const;

/** `a whole number ≥ 1`, `a number > 0 and < 1`, … */
export function describeRule(rule: NumberRule): string {
  const bounds = [
    rule.min !== undefined ? `≥ ${rule.min}` : rule.above !== undefined ? `> ${rule.above}` : '',
    rule.max !== undefined ? `≤ ${rule.max}` : rule.below !== undefined ? `< ${rule.below}` : '',
  ].filter(Boolean);
  return `${rule.integer ? 'a whole number' : 'a number'}${bounds.length > 0 ? ` ${bounds.join(' and ')}` : ''}`;
}

/** The value of `--flag raw` under `rule`, or a `BenchError` naming the flag and its range. */
export function checkNumber(flag: string, raw: unknown, rule: NumberRule): number {
  const once = single(flag, raw);
  const v = typeof once === 'number' ? once : typeof once === 'string' && once.trim() !== '' ? Number(once) : NaN;
  const ok =
    Number.isFinite(v) &&
    (!rule.integer || Number.isInteger(v)) &&
    (rule.min === undefined || v >= rule.min) &&
    (rule.above === undefined || v > rule.above) &&
    (rule.max === undefined || v <= rule.max) &&
    (rule.below === undefined || v < rule.below);
  if (!ok) throw new BenchError('USAGE', `--${flag} ${String(once)}: expected ${describeRule(rule)}`);
  return v;
}

function single(flag: string, raw: unknown): unknown {
  if (Array.isArray(raw)) throw new BenchError('USAGE', `--${flag} is given ${raw.length} times; give it once`);
  return raw;
}

/** yargs options of a flag table: numeric and checked text flags get a checking `coerce`. */
export function yargsOptions(table: Record<string, FlagSpec>): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const [flag, spec] of Object.entries(table)) {
    const { range: rule, check: text, ...options } = spec;
    if (rule !== undefined) {
      // no yargs `type`: it would turn `abc` into NaN before we could name what was typed
      delete options.type;
      out[flag] = {
        ...options,
        requiresArg: true,
        describe: `${options.describe ?? ''} (${describeRule(rule)})`,
        coerce: (raw: unknown) => checkNumber(flag, raw, rule),
      };
    } else if (text !== undefined) {
      out[flag] = { ...options, requiresArg: true, coerce: (raw: unknown) => (raw === undefined ? raw : text(flag, String(single(flag, raw)))) };
    } else {
      out[flag] = options;
    }
  }
  return out;
}

/** `Unknown argument: sede` → the same with the nearest known flag suggested. */
export function unknownFlagMessage(message: string, known: Iterable<string>): string {
  const m = /^Unknown arguments?: (.+)$/.exec(message);
  if (m === null) return message;
  const names = [...known];
  const parts = m[1]!.split(', ').map((name) => `${name.length > 1 ? '--' : '-'}${name}${didYouMean(name, names, (n) => `--${n}`)}`);
  return `unknown ${parts.length === 1 ? 'flag' : 'flags'} ${parts.join(', ')}`;
}

/** `90s`, `10m`, `1.5h`, `500ms` → seconds (> 0). */
export function parseDurationS(text: string, flag = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  const v = m === null ? NaN : Number(m[1]);
  const s = m?.[2] === 'ms' ? v / 1000 : m?.[2] === 'm' ? v * 60 : m?.[2] === 'h' ? v * 3600 : v;
  if (!(s > 0)) throw new BenchError('USAGE', `--${flag} "${text}": expected a duration above 0 with a unit, e.g. 90s, 10m, 1h`);
  return s;
}

/** A `TextCheck` for durations such as `90s`. */
export const durationText: TextCheck = (flag, text) => {
  parseDurationS(text, flag);
  return text;
};
