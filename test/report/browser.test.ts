/**
 * Opens the report and compare pages in Debian's chromium from file:// with the network blocked,
 * and checks that every chart is drawn from the embedded data with no console error.
 * Skips (with a warning) when /usr/bin/chromium is missing, unless REQUIRE_BROWSER=1.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingsOf, renderCompare, renderReport } from '../../src/report/index.ts';
import type { ResultsFile } from '../../src/results/schema.ts';
import { HOSTILE_NAME, buildResults, hostileResults } from '../fixtures/results.ts';

/** Debian's chromium; CHROMIUM_PATH overrides it (e.g. to check the skip path). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasBrowser = existsSync(CHROMIUM);
const required = process.env.REQUIRE_BROWSER === '1';
if (!hasBrowser && !required) {
  console.warn(
    `browser.test.ts: ${CHROMIUM} not found, skipping the browser tests (install it with \`apt-get install -y chromium\`, or set REQUIRE_BROWSER=1 to fail instead).`,
  );
}
const run = hasBrowser || required ? it : it.skip;

interface Opened {
  page: Page;
  consoleErrors: string[];
  blocked: string[];
  dialogs: string[];
}

let dir: string;
let browser: Browser | undefined;
let report: ResultsFile;
let compareA: ResultsFile;
let compareB: ResultsFile;

async function open(file: string): Promise<Opened> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const opened: Opened = { page, consoleErrors: [], blocked: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') opened.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => opened.consoleErrors.push(e.message));
  page.on('dialog', (d) => {
    opened.dialogs.push(d.message());
    void d.dismiss();
  });
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    opened.blocked.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(file).href);
  await page.evaluate(() => (window as unknown as { __chartsReady: Promise<boolean> }).__chartsReady);
  return opened;
}

/** For every chart container: its id and how many SVG/canvas elements with content it holds. */
async function drawnCharts(page: Page): Promise<Array<{ id: string; svgChildren: number; width: number }>> {
  return page.$$eval('[data-chart-container]', (els) =>
    els.map((el) => {
      const svg = el.querySelector('svg');
      const canvas = el.querySelector('canvas');
      return {
        id: el.getAttribute('data-chart-container') ?? '',
        svgChildren: svg ? svg.querySelectorAll('path, rect, line, text, circle').length : canvas ? canvas.width * canvas.height : 0,
        width: (svg ?? canvas)?.getBoundingClientRect().width ?? 0,
      };
    }),
  );
}

beforeAll(async () => {
  if (!hasBrowser) {
    if (required) throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM} does not exist; install it with \`apt-get install -y chromium\`.`);
    return;
  }
  dir = await mkdtemp(join(tmpdir(), 'bench-browser-'));
  report = hostileResults();
  compareA = buildResults();
  compareB = buildResults({ priceFactor: 1.1, latencyFactor: 0.9, routings: ['strong', 'cascade'] });
  await writeFile(join(dir, 'report.html'), renderReport(report));
  await writeFile(join(dir, 'compare.html'), renderCompare(compareA, compareB));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('report page in chromium', () => {
  run(
    'draws every chart offline, with no console error and no network request',
    async () => {
      const { page, consoleErrors, blocked, dialogs } = await open(join(dir, 'report.html'));
      const charts = await drawnCharts(page);
      expect(charts.map((c) => c.id)).toEqual([
        'frontier',
        'heatmap',
        'latency-percentiles',
        'latency-cdf',
        'time-series',
        'cost-by-model',
        'cost-by-step',
        'caches',
        'routing',
        'quality-vs-strong',
      ]);
      for (const c of charts) {
        expect(c.svgChildren, `chart ${c.id} is empty`).toBeGreaterThan(10);
        expect(c.width, `chart ${c.id} has no width`).toBeGreaterThan(100);
      }
      expect(consoleErrors).toEqual([]);
      expect(blocked).toEqual([]);
      expect(dialogs).toEqual([]);

      // The hostile scenario name is text, and the findings are there.
      expect(await page.textContent('#scenario-name')).toBe(HOSTILE_NAME);
      expect(await page.textContent('#findings')).toContain('The cheapest configuration that meets every SLO is routing=cascade cache=exact');
      expect(await page.$$eval('#findings li', (lis) => lis.map((li) => li.getAttribute('data-id')))).toEqual(findingsOf(report).map((f) => f.id));

      // The latency chart draws the numbers of results.json: one bar per config × kind × percentile.
      const items = (await page.evaluate(() => (window as unknown as { __chartItems(id: string): unknown[] }).__chartItems('latency-percentiles'))) as Array<{
        config: string;
        kind: string;
        percentile: 'p50' | 'p95' | 'p99';
        ms: number;
      }>;
      const e2e = items.filter((d) => d.kind === 'end-to-end');
      expect(e2e).toHaveLength(report.configurations.length * 3);
      for (const d of e2e) {
        const config = report.configurations.find((c) => c.name === d.config)!;
        expect(d.ms).toBe(config.latencyMs.e2e[d.percentile]);
      }

      // The frontier's legend names configurations by the axis values that vary.
      const frontierText = await page.$eval('#chart-frontier svg', (svg) => svg.textContent ?? '');
      expect(frontierText).toContain('cascade · exact');

      // Each chart exports as PNG and SVG through vega.
      const urls = await page.evaluate(async () => {
        const views = (window as unknown as { __views: Record<string, { toImageURL(type: string): Promise<string> }> }).__views;
        return [await views.frontier.toImageURL('png'), await views.frontier.toImageURL('svg')];
      });
      expect(urls[0].startsWith('data:image/png')).toBe(true);
      expect(urls[1]).toMatch(/^(data:image\/svg|blob:)/);
      const download = page.waitForEvent('download');
      await page.click('button[data-export="png"][data-chart="cost-by-step"]');
      expect((await download).suggestedFilename()).toBe('cost-by-step.png');
      await page.close();
    },
    20_000,
  );

  run(
    'sorts the configurations table by a clicked header',
    async () => {
      const { page } = await open(join(dir, 'report.html'));
      await page.click('#configurations th:nth-child(2)');
      const names = await page.$$eval('#configurations tbody tr td:first-child', (tds) => tds.map((td) => td.getAttribute('title')));
      const byCost = [...report.configurations].sort((a, b) => a.cost.perDayUsd - b.cost.perDayUsd).map((c) => c.name);
      expect(names).toEqual(byCost);
      await page.click('#configurations th:nth-child(2)');
      const reversed = await page.$$eval('#configurations tbody tr td:first-child', (tds) => tds.map((td) => td.getAttribute('title')));
      expect(reversed).toEqual([...byCost].reverse());
      await page.close();
    },
    15_000,
  );
});

describe('compare page in chromium', () => {
  run(
    'draws the overlaid charts and coloured deltas offline, with no console error',
    async () => {
      const { page, consoleErrors, blocked } = await open(join(dir, 'compare.html'));
      const charts = await drawnCharts(page);
      expect(charts.map((c) => c.id)).toEqual(['cmp-latency', 'cmp-cdf', 'cmp-cost', 'cmp-frontier', 'cmp-time-series']);
      for (const c of charts) expect(c.svgChildren, `chart ${c.id} is empty`).toBeGreaterThan(10);
      expect(consoleErrors).toEqual([]);
      expect(blocked).toEqual([]);

      expect(await page.textContent('#unmatched')).toContain('only in a: routing=small cache=none');
      const costRow = await page.$$eval('#deltas tbody tr', (trs) =>
        trs
          .map((tr) => [...tr.querySelectorAll('td')].map((td) => ({ text: td.textContent, cls: td.className })))
          .find((cells) => cells[1].text === 'cost/day'),
      );
      expect(costRow?.[6]).toEqual({ text: 'worse', cls: 'text worse' });
      const color = await page.$eval('#deltas td.worse', (td) => getComputedStyle(td).color);
      expect(color).toBe('rgb(207, 34, 46)');

      // Run b's cost bars carry run b's numbers.
      const items = (await page.evaluate(() => (window as unknown as { __chartItems(id: string): unknown[] }).__chartItems('cmp-cost'))) as Array<
        Record<string, unknown>
      >;
      const strongB = items.filter((d) => d.config === 'strong · none' && d.run === 'b');
      const total = strongB.reduce((s, d) => s + (d.sum_costPerDayUsd as number), 0);
      expect(total).toBeCloseTo(compareB.configurations[0].cost.perDayUsd, 6);

      // a's bars sit above b's with a gap (equal runs must not read as one bar), and b's are faded.
      const bars = await page.$$eval('#chart-cmp-cost path[aria-roledescription=bar]', (ps) =>
        ps.map((p) => ({ label: p.getAttribute('aria-label') ?? '', opacity: p.getAttribute('opacity'), box: p.getBoundingClientRect().toJSON() })),
      );
      const ofRun = (run: string) => bars.filter((b) => b.label.includes('config: strong · none;') && b.label.includes(`run: ${run};`));
      const [barsA, barsB] = [ofRun('a'), ofRun('b')];
      expect(barsA.length).toBeGreaterThan(0);
      expect(barsB.length).toBeGreaterThan(0);
      const gap = Math.min(...barsB.map((b) => b.box.top)) - Math.max(...barsA.map((b) => b.box.bottom));
      expect(gap).toBeGreaterThanOrEqual(3);
      expect(new Set(barsA.map((b) => b.opacity ?? '1'))).toEqual(new Set(['1']));
      for (const b of barsB) expect(Number(b.opacity)).toBeLessThan(0.7);
      await page.close();
    },
    20_000,
  );
});
