/** The INVALID lines `bench run` and `bench compare` print for failed validity records. */
import { describe, expect, it } from 'vitest';
import { invalidLines } from '../../src/cli/summary.ts';
import type { ValidityRecord } from '../../src/results/validity.ts';

const record = (valid: boolean, message: string): ValidityRecord => ({ kind: 'send-lag', valid, observed: 9, threshold: 5, unit: 'ms', message });
const configs = [
  { name: 'large', validity: [record(true, 'fine'), record(false, 'send lag p99 9.0 ms against at most 5.0 ms')] },
  { name: 'small', validity: [record(true, 'fine')] },
  { name: 'sim' },
];

describe('invalidLines', () => {
  it('prints INVALID <config>: <message> per failed record, plain text when stdout is not a terminal', () => {
    expect(invalidLines(configs, '', false)).toEqual(['INVALID large: send lag p99 9.0 ms against at most 5.0 ms']);
    expect(invalidLines(configs, 'in b: ', false)).toEqual(['INVALID in b: large: send lag p99 9.0 ms against at most 5.0 ms']);
  });

  it('colours the line red on a terminal', () => {
    expect(invalidLines(configs, '', true)).toEqual(['\x1b[31mINVALID large: send lag p99 9.0 ms against at most 5.0 ms\x1b[39m']);
  });

  it('follows whether stdout is a terminal by default', () => {
    const was = process.stdout.isTTY;
    try {
      process.stdout.isTTY = true;
      expect(invalidLines(configs)[0]?.startsWith('\x1b[31mINVALID large: ')).toBe(true);
      process.stdout.isTTY = false;
      expect(invalidLines(configs)[0]).toMatch(/^INVALID large: /);
    } finally {
      process.stdout.isTTY = was;
    }
  });
});
