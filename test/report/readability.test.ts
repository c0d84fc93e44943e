/**
 * Reports and compare pages of 3, 15 and 60 configurations, opened in Debian's chromium at
 * 1280×800 and 390×844: no chart text overlaps other text, none is truncated ("…"), no text or
 * legend is clipped by its chart, and every chart is drawn. Skips (with a warning) when
 * /usr/bin/chromium is missing, unless REQUIRE_BROWSER=1.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCompare, renderReport } from '../../src/report/index.ts';
import { sweepResults } from '../fixtures/sweep.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasBrowser = existsSync(CHROMIUM);
const required = process.env.REQUIRE_BROWSER === '1';
if (!hasBrowser && !required) {
  console.warn(
    `readability.test.ts: ${CHROMIUM} not found, skipping the browser tests (install it with \`apt-get install -y chromium\`, or set REQUIRE_BROWSER=1 to fail instead).`,
  );
}
const run = hasBrowser || required ? it : it.skip;

/** Sweeps as routings × workers: 3 (one axis), 15 and 60 configurations. */
const SIZES = [
  [3, 1],
  [5, 3],
  [6, 10],
] as const;
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
] as const;

let dir: string;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!hasBrowser) {
    if (required) throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM} does not exist; install it with \`apt-get install -y chromium\`.`);
    return;
  }
  dir = await mkdtemp(join(tmpdir(), 'bench-readability-'));
  for (const [routings, workers] of SIZES) {
    const a = sweepResults(routings, workers);
    const b = sweepResults(routings, workers);
    b.seed = 43;
    for (const c of b.configurations) c.cost.perDayUsd *= 0.9;
    await writeFile(join(dir, `report-${routings * workers}.html`), renderReport(a));
    await writeFile(join(dir, `compare-${routings * workers}.html`), renderCompare(a, b));
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** What is wrong with the text of every drawn chart: overlaps, truncations, clipping. */
interface TextProblems {
  charts: number;
  texts: number;
  problems: string[];
}

/** Runs in the page: measures every visible SVG text of every chart. */
function findTextProblems(): TextProblems {
  const problems: string[] = [];
  let texts = 0;
  const containers = [...document.querySelectorAll('[data-chart-container]')];
  for (const container of containers) {
    const id = container.getAttribute('data-chart-container');
    const svg = container.querySelector('svg');
    if (!svg) {
      problems.push(`${id}: not drawn`);
      continue;
    }
    const frame = svg.getBoundingClientRect();
    const visible = [...svg.querySelectorAll('text')].filter((t) => {
      if ((t.textContent ?? '').trim() === '') return false;
      for (let e: Element | null = t; e && e !== svg; e = e.parentElement) {
        const style = getComputedStyle(e);
        if (style.opacity === '0' || style.display === 'none' || style.visibility === 'hidden' || e.getAttribute('opacity') === '0') return false;
      }
      return true;
    });
    texts += visible.length;
    const boxes = visible.map((t) => ({ text: t.textContent ?? '', box: t.getBoundingClientRect() }));
    for (const { text, box } of boxes) {
      if (/…/.test(text)) problems.push(`${id}: "${text}" is truncated`);
      if (box.left < frame.left - 1 || box.right > frame.right + 1 || box.top < frame.top - 1 || box.bottom > frame.bottom + 1)
        problems.push(`${id}: "${text}" is clipped by the chart`);
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!.box;
        const b = boxes[j]!.box;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        // glyph boxes include line spacing: overlaps of a pixel or two are not visible
        if (w > 2 && h > 3) problems.push(`${id}: "${boxes[i]!.text}" overlaps "${boxes[j]!.text}"`);
      }
    }
    for (const legend of svg.querySelectorAll('.role-legend')) {
      const box = legend.getBoundingClientRect();
      if (box.right > frame.right + 1 || box.bottom > frame.bottom + 1) problems.push(`${id}: a legend is clipped`);
    }
  }
  return { charts: containers.length, texts, problems };
}

async function open(file: string, viewport: { width: number; height: number }): Promise<Page> {
  const page = await browser!.newPage({ viewport });
  await page.goto(pathToFileURL(file).href);
  await page.evaluate(() => (window as unknown as { __chartsReady: Promise<boolean> }).__chartsReady);
  return page;
}

describe('charts stay readable at any sweep size', () => {
  for (const [routings, workers] of SIZES) {
    for (const viewport of VIEWPORTS) {
      for (const kind of ['report', 'compare'] as const) {
        const n = routings * workers;
        run(
          `${kind} of ${n} configurations at ${viewport.width}×${viewport.height}: no overlapping, truncated or clipped chart text`,
          async () => {
            const page = await open(join(dir, `${kind}-${n}.html`), viewport);
            const result = await page.evaluate(findTextProblems);
            await page.close();
            expect(result.charts).toBeGreaterThanOrEqual(kind === 'report' ? 7 : 5);
            expect(result.texts).toBeGreaterThan(50);
            expect(result.problems).toEqual([]);
          },
          60_000,
        );
      }
    }
  }
});
