/** Plain-text tables and number formats for the terminal. */

/** Renders rows as an aligned text table (numbers right-aligned). */
export function textTable(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => typeof r[i] === 'number' || /^[-+$]?[\d,.]+(%|ms| s|k)?$/.test(String(r[i]))));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** `1234.5` → `$1,234.50`; small amounts keep significant digits. */
export function usd(v: number): string {
  if (Math.abs(v) >= 1) return `$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return `$${v.toPrecision(3)}`;
}

/** Milliseconds, with seconds past 10 s. */
export function ms(v: number): string {
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)}ms`;
}

/** 0.873 → `87.3%`. */
export function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}
