import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkNumber, describeRule, parseDurationS } from '../../src/cli/flags.ts';
import { main } from '../../src/cli/main.ts';

/** Runs the CLI in-process; returns the exit code and what it wrote to stderr. */
async function cli(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(argv), stderr };
  } finally {
    spy.mockRestore();
  }
}

describe('command-line values are checked in one place', () => {
  let stdout: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => stdout.mockRestore());

  it.each([
    [['run', 'scenarios/streaming.ts', '--requests-per-day', '-5'], 'bench: --requests-per-day -5: expected a number > 0\n'],
    [['run', 'scenarios/streaming.ts', '--requests-per-day', '0'], 'bench: --requests-per-day 0: expected a number > 0\n'],
    [['run', 'scenarios/streaming.ts', '--live', '--time-scale', '0'], 'bench: --time-scale 0: expected a number > 0\n'],
    [['run', 'scenarios/streaming.ts', '--replications', '0'], 'bench: --replications 0: expected a whole number ≥ 1\n'],
    [['run', 'scenarios/streaming.ts', '--seed', 'abc'], 'bench: --seed abc: expected a whole number ≥ 0\n'],
    [['run', 'scenarios/streaming.ts', '--seed', '1.5'], 'bench: --seed 1.5: expected a whole number ≥ 0\n'],
    [['run', 'scenarios/streaming.ts', '--threads', '-1'], 'bench: --threads -1: expected a whole number ≥ 1\n'],
    [['run', 'scenarios/streaming.ts', '--duration-hours', '0'], 'bench: --duration-hours 0: expected a number > 0\n'],
    [['run', 'scenarios/streaming.ts', '--live', '--duration', '0s'], 'bench: --duration "0s": expected a duration above 0 with a unit, e.g. 90s, 10m, 1h\n'],
    [['run', 'scenarios/streaming.ts', '--seed', '1', '--seed', '2'], 'bench: --seed is given 2 times; give it once\n'],
    [['gate', 'scenarios/cascade.ts', '--baseline', 'b.json', '--confidence', '1'], 'bench: --confidence 1: expected a number > 0 and < 1\n'],
    [['mock', '--port', '70000'], 'bench: --port 70000: expected a whole number ≥ 0 and ≤ 65535\n'],
    [['worker', '--redis', 'redis://x', '--lock-ms', '0'], 'bench: --lock-ms 0: expected a whole number ≥ 1\n'],
    [
      ['probe', 'http://127.0.0.1:1/', '--connections', '1,,8'],
      'bench: --connections "1,,8": expected positive whole numbers separated by commas, e.g. 1,8,32\n',
    ],
  ])('%j → one line naming the flag and its range, exit 2', async (argv, message) => {
    expect(await cli(argv)).toEqual({ code: 2, stderr: message });
  });

  it('suggests the nearest command', async () => {
    expect(await cli(['rnu', 'scenarios/streaming.ts'])).toEqual({
      code: 2,
      stderr: 'bench: unknown command "rnu" (did you mean run?); commands: run, report, compare, mock, worker, probe, gate, baseline, trace, calibrate\n',
    });
  });

  it('suggests the nearest flag of the command, and names an extra positional as such', async () => {
    expect(await cli(['run', 'scenarios/streaming.ts', '--sede', '3'])).toEqual({ code: 2, stderr: 'bench: unknown flag --sede (did you mean --seed?)\n' });
    expect(await cli(['gate', 'x.ts', '--baseline', 'b', '--treshold', 'quality=off'])).toEqual({
      code: 2,
      stderr: 'bench: unknown flag --treshold (did you mean --threshold?)\n',
    });
    expect(await cli(['run', 'a.ts', 'b.ts'])).toEqual({ code: 2, stderr: 'bench: unexpected argument "b.ts"; `bench run --help` shows what it takes\n' });
  });

  it('suggests the nearest configuration or axis choice for an --only that matches none', async () => {
    const r = await cli(['run', 'scenarios/streaming.ts', '--only', 'drfat', '--duration-hours', '0.01']);
    expect(r).toEqual({
      code: 2,
      stderr:
        'bench: --only "drfat" matches no configuration of scenarios/streaming.ts (did you mean "draft"?); they are: streaming=off, streaming=draft, streaming=plan+draft\n',
    });
  });

  it('with several --only selectors, suggests for the one that matched nothing (and runs nothing)', async () => {
    const r = await cli(['run', 'scenarios/streaming.ts', '--only', 'off,plan+drfat', '--duration-hours', '0.01']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bench: --only "off,plan+drfat" matches no configuration of scenarios/streaming.ts (did you mean "plan+draft"?)');
  });

  it('describes ranges in words and parses durations', () => {
    expect(describeRule({ integer: true, min: 0, max: 65535 })).toBe('a whole number ≥ 0 and ≤ 65535');
    expect(describeRule({ above: 0, below: 1 })).toBe('a number > 0 and < 1');
    expect(checkNumber('seed', '7', { integer: true, min: 0 })).toBe(7);
    expect(checkNumber('seed', 7, { integer: true, min: 0 })).toBe(7);
    expect(() => checkNumber('seed', '', { integer: true })).toThrow('--seed : expected a whole number');
    expect(parseDurationS('90s')).toBe(90);
    expect(parseDurationS('1.5h')).toBe(5400);
    expect(parseDurationS('500ms')).toBe(0.5);
  });
});
