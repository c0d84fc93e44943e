/** Shared helpers of the gate suites: replicated variants of the results fixture and error assertions. */
import { expect } from 'vitest';
import { BenchError } from '../../src/core/errors.ts';
import { headlineMetrics } from '../../src/results/headline.ts';
import type { HeadlineMetrics, ResultsFile } from '../../src/results/schema.ts';
import { buildResults, type FixtureOptions } from '../fixtures/results.ts';

/**
 * A small fixture run (routing strong and small, no cache) with `seeds` replicates per
 * configuration; `vary(metrics, i)` gives replicate i's headline figures from the configuration's.
 */
export function replicatedRun(
  seeds: number[],
  vary: (metrics: HeadlineMetrics, index: number, config: string) => Partial<HeadlineMetrics> = () => ({}),
  options: FixtureOptions = {},
): ResultsFile {
  const results = buildResults({ intervals: 4, routings: ['strong', 'small'], caches: ['none'], ...options });
  return {
    ...results,
    seed: seeds[0]!,
    replications: seeds.length,
    configurations: results.configurations.map((c) => {
      const base = headlineMetrics(c);
      return { ...c, seed: seeds[0]!, replicates: seeds.map((seed, i) => ({ seed, metrics: { ...base, ...vary(base, i, c.name) } })) };
    }),
  };
}

/** Expects `fn` to throw a BenchError of `code` with exactly `message`. */
export function expectBenchError(fn: () => unknown, code: string, message: string): void {
  let error: unknown = null;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(BenchError);
  expect((error as BenchError).code).toBe(code);
  expect((error as BenchError).message).toBe(message);
}

export { expectBenchRejection } from '../fixtures/errors.ts';

/**
 * A minimal XML well-formedness check (enough for our JUnit output): one root, every element
 * closed in order, attributes quoted, entities among the five XML ones or numeric.
 */
export function checkWellFormedXml(xml: string): { root: string; elements: Array<{ name: string; attrs: Record<string, string> }> } {
  let rest = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const elements: Array<{ name: string; attrs: Record<string, string> }> = [];
  let root: string | null = null;
  const checkText = (text: string) => {
    if (/[<>]/.test(text)) throw new Error(`unescaped markup in text: ${text.slice(0, 40)}`);
    for (const m of text.matchAll(/&([^;\s]*);?/g)) {
      if (!/^(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+)$/.test(m[1]!) || !m[0].endsWith(';')) throw new Error(`bad entity ${m[0]}`);
    }
  };
  while (rest.length > 0) {
    const lt = rest.indexOf('<');
    if (lt < 0) {
      if (rest.trim() !== '') throw new Error('text after the root element');
      break;
    }
    const text = rest.slice(0, lt);
    if (stack.length === 0 && text.trim() !== '') throw new Error('text outside the root element');
    checkText(text);
    const gt = rest.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated tag');
    const tag = rest.slice(lt + 1, gt);
    rest = rest.slice(gt + 1);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (stack.pop() !== name) throw new Error(`mismatched </${name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const m = /^([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*$/.exec(body);
    if (m === null) throw new Error(`malformed tag <${tag.slice(0, 60)}>`);
    const attrs: Record<string, string> = {};
    for (const a of m[2]!.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
      if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]}`);
      checkText(a[2]!);
      attrs[a[1]!] = a[2]!
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&amp;/g, '&');
    }
    if (stack.length === 0) {
      if (root !== null) throw new Error('more than one root element');
      root = m[1]!;
    }
    elements.push({ name: m[1]!, attrs });
    if (!selfClosing) stack.push(m[1]!);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (root === null) throw new Error('no root element');
  return { root, elements };
}
