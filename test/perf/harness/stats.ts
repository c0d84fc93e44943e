/** Small statistics and process helpers shared by the benchmarks under test/perf/. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** CPU time (user + system) of a process so far, from /proc (Linux); NaN when unavailable. */
export function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

/** count, p50, p90, p99 and max of the finite values of `xs` (nearest rank). */
export function summarize(xs: ArrayLike<number>): Record<string, number> {
  const sorted = Array.from(xs)
    .filter((x) => Number.isFinite(x))
    .sort((a, b) => a - b);
  const q = (p: number): number => round3(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN);
  return { count: sorted.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: round3(sorted.at(-1) ?? NaN) };
}

/** The median of `xs`. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `x` rounded to 3 decimals. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The 1-minute load average and the core count, to judge whether the box was idle. */
export function machineLoad(): { loadAverage1m: number; cpus: number } {
  return { loadAverage1m: round3(loadavg()[0]!), cpus: cpus().length };
}
