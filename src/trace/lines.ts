/**
 * Reads a text file line by line without holding it in memory: the file streams in chunks and
 * each complete line is handed to a callback with its 1-based line number.
 */
import { createReadStream } from 'node:fs';

/** Calls `onLine` for every line of `file` (without its `\n` or `\r\n`); resolves with the line count. */
export async function forEachLine(file: string, onLine: (line: string, lineNo: number) => void | false): Promise<number> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let carry = '';
  let lineNo = 0;
  let stopped = false;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const text = carry.length === 0 ? chunk : carry + chunk;
      let start = 0;
      let nl = text.indexOf('\n', start);
      while (nl !== -1) {
        lineNo++;
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        if (onLine(text.slice(start, end), lineNo) === false) {
          stopped = true;
          break;
        }
        start = nl + 1;
        nl = text.indexOf('\n', start);
      }
      if (stopped) break;
      carry = text.slice(start);
    }
    if (!stopped && carry.length > 0) {
      lineNo++;
      onLine(carry.endsWith('\r') ? carry.slice(0, -1) : carry, lineNo);
    }
  } finally {
    stream.destroy();
  }
  return lineNo;
}

/** The first non-empty line of `file` (for format detection), or null when the file has none. */
export async function firstLine(file: string): Promise<string | null> {
  let found: string | null = null;
  await forEachLine(file, (line) => {
    if (line.trim().length === 0) return;
    found = line.replace(/^\uFEFF/, '');
    return false;
  });
  return found;
}
