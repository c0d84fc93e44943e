import { describe, expect, it } from 'vitest';
import { formatGateJunit, formatGateMarkdown, formatGateTable } from '../../src/gate/format.ts';
import { gate } from '../../src/gate/gate.ts';
import type { ResultsFile } from '../../src/results/schema.ts';
import { checkWellFormedXml, replicatedRun } from './helpers.ts';

const SEEDS = [1, 2, 3, 4, 5];
const HOSTILE = `routing=<b>"x"</b> & 'y' | z\u0007`;

/** A run whose first configuration has a hostile name; `costFactor` scales its cost. */
function run(costFactor: number): ResultsFile {
  const r = replicatedRun(SEEDS, (m, i) => ({ costPerDayUsd: m.costPerDayUsd * costFactor * (1 + (i - 2) * 0.01) }));
  return { ...r, configurations: r.configurations.map((c, i) => (i === 0 ? { ...c, name: HOSTILE } : c)) };
}

const failing = gate(run(2), run(1), { baselineLabel: 'results/baselines/cascade.json', candidateLabel: 'scenarios/cascade.ts' });
const passing = gate(run(1), run(1));

describe('formatGateTable', () => {
  it('starts with the verdict and spells out each regression', () => {
    const text = formatGateTable(failing);
    expect(text.split('\n')[0]).toBe('gate FAIL: cascade-fixture — 2 regressed, 10 no-change (5 replications a configuration, 95% intervals)');
    expect(text).toContain('Regressions:\n  ' + HOSTILE + ' · costPerDayUsd: +100.0% (+$953) (95% CI +100.0% to +100.0%)');
  });
});

describe('formatGateMarkdown', () => {
  it('heads with the pass/fail verdict', () => {
    expect(formatGateMarkdown(failing).split('\n')[0]).toBe('### ❌ bench gate: cascade-fixture — 2 regressions');
    expect(formatGateMarkdown(passing).split('\n')[0]).toBe('### ✅ bench gate: cascade-fixture — pass');
  });
  it('renders one table row per check, each with as many cells as the header', () => {
    const lines = formatGateMarkdown(failing).split('\n');
    const table = lines.filter((l) => l.startsWith('|'));
    expect(table.length).toBe(2 + failing.rows.length);
    // unescaped pipes split cells: count the cells between unescaped separators
    const cells = (l: string) => l.replace(/\\\|/g, '').split('|').length;
    expect(new Set(table.map(cells)).size).toBe(1);
  });
  it('escapes HTML in names so they cannot inject markup', () => {
    const text = formatGateMarkdown(failing);
    expect(text).not.toContain('<b>');
    expect(text).toContain('&lt;b&gt;');
    const open = (text.match(/<details/g) ?? []).length;
    expect(open).toBe((text.match(/<\/details>/g) ?? []).length);
  });
});

describe('formatGateJunit', () => {
  it('is well-formed XML with one testcase per configuration × metric', () => {
    const xml = formatGateJunit(failing);
    const { root, elements } = checkWellFormedXml(xml);
    expect(root).toBe('testsuites');
    const cases = elements.filter((e) => e.name === 'testcase');
    expect(cases.length).toBe(failing.rows.length);
    expect(elements.filter((e) => e.name === 'failure').length).toBe(2);
    const suite = elements.find((e) => e.name === 'testsuite')!;
    expect(suite.attrs).toMatchObject({ tests: '12', failures: '2', skipped: '0' });
  });
  it('escapes names, dropping characters XML forbids', () => {
    const { elements } = checkWellFormedXml(formatGateJunit(failing));
    const hostile = elements.find((e) => e.name === 'testcase' && e.attrs.classname!.includes('<b>'))!;
    expect(hostile.attrs.classname).toBe(`cascade-fixture.routing=<b>"x"</b> & 'y' | z`);
    expect(hostile.attrs.name).toBe('costPerDayUsd');
  });
  it('reports no failures for a passing gate', () => {
    const { elements } = checkWellFormedXml(formatGateJunit(passing));
    expect(elements.some((e) => e.name === 'failure')).toBe(false);
  });
});
