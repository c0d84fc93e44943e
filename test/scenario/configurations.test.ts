/** `--only` selects configurations exactly: whole names or axis choices, several separated by commas. */
import { describe, expect, it } from 'vitest';
import { expandSweep, selectConfigurations } from '../../src/scenario/configurations.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';

const names = (s: { configurations: ReadonlyArray<{ name: string }> }) => s.configurations.map((c) => c.name);

describe('selectConfigurations', async () => {
  const streaming = expandSweep((await loadScenarioFile('scenarios/streaming.ts')).scenario);
  const fixture = expandSweep((await loadScenarioFile('test/reliability/fixtures/six-configs.ts')).scenario);

  it('a bare label matches that axis choice only: draft is not plan+draft (it was, as a substring)', () => {
    expect(names(selectConfigurations(streaming, 'draft'))).toEqual(['streaming=draft']);
    expect(names(selectConfigurations(streaming, 'streaming=draft'))).toEqual(['streaming=draft']);
    expect(names(selectConfigurations(streaming, 'plan+draft'))).toEqual(['streaming=plan+draft']);
    expect(names(selectConfigurations(streaming, 'raft'))).toEqual([]);
  });

  it('terms separated by spaces must all hold; a whole name matches itself', () => {
    expect(names(selectConfigurations(fixture, 'mini'))).toEqual(['routing=mini workers=2', 'routing=mini workers=4', 'routing=mini workers=8']);
    expect(names(selectConfigurations(fixture, 'routing=mini workers=8'))).toEqual(['routing=mini workers=8']);
    expect(names(selectConfigurations(fixture, 'mini 4'))).toEqual(['routing=mini workers=4']);
    // 8 is a workers choice and not a substring match of anything else
    expect(names(selectConfigurations(fixture, '8'))).toEqual(['routing=mini workers=8', 'routing=large workers=8']);
  });

  it('several selectors separated by commas, in sweep order', () => {
    expect(names(selectConfigurations(streaming, 'plan+draft, off'))).toEqual(['streaming=off', 'streaming=plan+draft']);
    expect(names(selectConfigurations(fixture, 'routing=large workers=2,mini 8'))).toEqual(['routing=mini workers=8', 'routing=large workers=2']);
  });

  it('names the selectors that matched nothing, even when others matched', () => {
    expect(selectConfigurations(streaming, 'off,plan+drfat').unmatched).toEqual(['plan+drfat']);
    expect(selectConfigurations(streaming, 'off, draft').unmatched).toEqual([]);
    expect(selectConfigurations(streaming, ' , ').unmatched).toEqual([' , ']);
  });
});
