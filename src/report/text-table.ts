/** Plain-text tables for the terminal (numbers come formatted from report/numbers.ts). */

/** A cell reads as a number (right-aligned): money, a signed figure, a share, a duration, a factor. */
const NUMERIC_CELL = /^([-+−±×]|[-+−±]?\$)?[\d,.]+( ?(%|ms|s|min|h|pp|k))?$|^—$/;

/** Renders rows as an aligned text table (numeric columns right-aligned). */
export function textTable(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => typeof r[i] === 'number' || NUMERIC_CELL.test(String(r[i]))));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
