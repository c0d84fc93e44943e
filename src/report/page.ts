/**
 * The self-contained HTML document around a report or compare page: vega inlined from
 * node_modules, chart specs compiled from vega-lite here in Node, each chart's data once, packed by
 * column (strings as a dictionary) in one escaped JSON element, a small script that unpacks it,
 * draws each chart and offers PNG/SVG downloads and sortable tables. No network.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { ChartDef, ChartRow, VlSpec } from './chart-kit.ts';
import { escapeHtml, jsForScript, jsonForScript } from './format.ts';

let vegaSource: string | undefined;

/** vega's minified UMD build, read once from node_modules. */
function vegaScript(): string {
  if (vegaSource === undefined) {
    const entry = createRequire(import.meta.url).resolve('vega');
    vegaSource = jsForScript(readFileSync(join(dirname(entry), 'vega.min.js'), 'utf8'));
  }
  return vegaSource;
}

/** Shared look of every chart: font, no border around views. */
const VEGA_LITE_CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  view: { stroke: '#e5e5e5' },
  axis: { labelLimit: 220 },
  legend: { labelLimit: 260 },
};

/** Compiles a vega-lite spec to vega, failing loudly on vega-lite errors (a bug in a chart builder). */
export function toVega(spec: VlSpec): object {
  const full = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: VEGA_LITE_CONFIG, ...spec };
  return compile(full as unknown as TopLevelSpec).spec;
}

const STYLE = `
:root { --fg:#1d1d1f; --muted:#5f6368; --line:#e3e3e3; --bg:#fafafa; --better:#1a7f37; --worse:#cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 19px; margin: 36px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0 0 2px; }
.lede { color: var(--muted); margin: 0 0 12px; overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; font-size: 14px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.summary { background: var(--bg); border: 1px solid var(--line); border-left: 4px solid #4c78a8; padding: 12px 16px; margin: 16px 0; }
.summary p { margin: 0; }
ul.findings li { margin: 4px 0; }
.chart { margin: 20px 0 28px; }
.chart .desc { color: var(--muted); margin: 0 0 6px; font-size: 14px; }
.chart .actions { margin: 0 0 6px; }
.chart .actions button { font: inherit; font-size: 12px; padding: 2px 10px; margin-right: 6px; border: 1px solid var(--line); background: #fff; border-radius: 4px; cursor: pointer; }
.chart .actions button:hover { background: var(--bg); }
.chart .note { color: var(--muted); font-style: italic; }
.chart-view { overflow-x: auto; }
.vega-bindings { margin: 4px 0 8px; font-size: 14px; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: nowrap; }
th.text { text-align: left; }
table.sortable th { cursor: pointer; user-select: none; background: var(--bg); position: sticky; top: 0; }
table.sortable th[aria-sort="ascending"]::after { content: " ▲"; }
table.sortable th[aria-sort="descending"]::after { content: " ▼"; }
.table-wrap { overflow-x: auto; }
td.better { color: var(--better); font-weight: 600; }
td.worse { color: var(--worse); font-weight: 600; }
td.text { text-align: left; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 0 24px; }
.side > div { min-width: 0; }
.tag { display: inline-block; font-size: 12px; padding: 0 6px; border-radius: 3px; background: #eef; color: #334; }
.warn { color: var(--worse); }
.banner.invalid { background: #fff1f0; border: 1px solid #f5b3ae; border-left: 6px solid var(--worse); padding: 10px 16px; margin: 12px 0 16px; overflow-wrap: anywhere; }
.banner.invalid p { margin: 0; }
.banner.invalid ul { margin: 6px 0 0; padding-left: 20px; }
.tag.invalid { background: var(--worse); color: #fff; }
tr.invalid td { background: #fff7f6; }
footer { margin-top: 48px; color: var(--muted); font-size: 12px; }
`;

/**
 * Draws every chart (spec JSON in #chart-specs), exposes `window.__views` (id → vega View),
 * `window.__chartsReady` (a promise) and `window.__chartItems(id)` (datums of drawn marks, for
 * tests), wires the PNG/SVG buttons and makes `table.sortable` sortable by clicking a header.
 */
const CLIENT_SCRIPT = `
(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('chart-specs').textContent);
  var packed = JSON.parse(document.getElementById('chart-data').textContent);
  // Rows of a packed dataset, fresh objects for each view (vega tags the objects it ingests).
  function unpack(p) {
    var keys = Object.keys(p.c), out = new Array(p.n);
    for (var i = 0; i < p.n; i++) {
      var row = {};
      for (var k = 0; k < keys.length; k++) {
        var col = p.c[keys[k]];
        row[keys[k]] = col.d ? col.d[col.i[i]] : col.v[i];
      }
      out[i] = row;
    }
    return out;
  }
  function fill(spec) {
    (spec.data || []).forEach(function (d) {
      if (packed[d.name] && d.values === undefined && d.source === undefined && d.url === undefined) d.values = unpack(packed[d.name]);
    });
    return spec;
  }
  var views = {};
  window.__views = views;
  var runs = [];
  // draw time of each chart since the script started (read by the report benchmark)
  var started = performance.now();
  var drawn = {};
  window.__drawMsById = drawn;
  Object.keys(specs).forEach(function (id) {
    var el = document.getElementById('chart-' + id);
    try {
      var view = new vega.View(vega.parse(fill(specs[id])), { renderer: 'svg', container: el, hover: true });
      views[id] = view;
      runs.push(view.runAsync().then(function () { drawn[id] = performance.now() - started; }));
    } catch (err) {
      el.textContent = 'This chart could not be drawn: ' + err.message;
      console.error(err);
    }
  });
  window.__chartsReady = Promise.all(runs).then(function () { window.__drawMs = performance.now() - started; return true; });

  window.__chartItems = function (id) {
    var out = [];
    (function walk(node) {
      if (!node || !node.items) return;
      node.items.forEach(function (item) {
        if (node.marktype && node.marktype !== 'group' && node.role === 'mark' && item.datum) out.push(item.datum);
        walk(item);
      });
    })(views[id].scenegraph().root);
    return out;
  };

  document.querySelectorAll('button[data-export]').forEach(function (button) {
    button.addEventListener('click', function () {
      var id = button.getAttribute('data-chart');
      var type = button.getAttribute('data-export');
      views[id].toImageURL(type, type === 'png' ? 2 : 1).then(function (url) {
        var a = document.createElement('a');
        a.href = url;
        a.download = id + '.' + type;
        document.body.appendChild(a);
        a.click();
        a.remove();
      }).catch(function (err) { console.error(err); });
    });
  });

  document.querySelectorAll('table.sortable').forEach(function (table) {
    var headers = table.querySelectorAll('thead th');
    headers.forEach(function (th, col) {
      th.addEventListener('click', function () {
        var ascending = th.getAttribute('aria-sort') !== 'ascending';
        headers.forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var a = r1.cells[col].getAttribute('data-sort');
          var b = r2.cells[col].getAttribute('data-sort');
          var na = Number(a), nb = Number(b);
          var cmp = a !== '' && b !== '' && !isNaN(na) && !isNaN(nb) ? na - nb : String(a).localeCompare(String(b));
          return ascending ? cmp : -cmp;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
`;

/** One chart's section: title, description, export buttons and container, or its skip note. */
export function chartSection(chart: ChartDef): string {
  const head = `<h3>${escapeHtml(chart.title)}</h3>`;
  if (!chart.spec) {
    return `<section class="chart" id="section-${chart.id}">${head}<p class="note">${escapeHtml(chart.note ?? 'Skipped: no data.')}</p></section>`;
  }
  return (
    `<section class="chart" id="section-${chart.id}">${head}` +
    `<p class="desc">${escapeHtml(chart.description)}</p>` +
    `<div class="actions"><button type="button" data-export="png" data-chart="${chart.id}">Save PNG</button>` +
    `<button type="button" data-export="svg" data-chart="${chart.id}">Save SVG</button></div>` +
    `<div class="chart-view" id="chart-${chart.id}" data-chart-container="${chart.id}"></div></section>`
  );
}

/** What a page is made of. */
export interface PageParts {
  title: string;
  /** Trusted HTML (every user string in it already escaped). */
  body: string;
  charts: readonly ChartDef[];
}

/** One dataset packed by column: numbers as arrays, strings as a dictionary and indexes. */
export interface PackedDataset {
  n: number;
  c: Record<string, { v: unknown[] } | { d: string[]; i: number[] }>;
}

/** Packs rows by column so field names appear once and repeated strings (configuration names) once each. */
export function packRows(rows: readonly ChartRow[]): PackedDataset {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const c: PackedDataset['c'] = {};
  for (const key of keys) {
    const values = rows.map((r) => r[key]);
    if (values.every((v) => typeof v === 'string')) {
      const dict: string[] = [];
      const index = new Map<string, number>();
      const i = (values as string[]).map((v) => {
        if (!index.has(v)) index.set(v, dict.push(v) - 1);
        return index.get(v)!;
      });
      c[key] = { d: dict, i };
    } else {
      c[key] = { v: values };
    }
  }
  return { n: rows.length, c };
}

/** Inverse of packRows (what the page's script does), for tests. */
export function unpackRows(p: PackedDataset): ChartRow[] {
  return Array.from(
    { length: p.n },
    (_, i) => Object.fromEntries(Object.entries(p.c).map(([k, col]) => [k, 'd' in col ? col.d[col.i[i]] : col.v[i]])) as ChartRow,
  );
}

/** The full HTML document of a page: one file, opens offline from disk. */
export function htmlDocument(parts: PageParts): string {
  const specs: Record<string, object> = {};
  const data: Record<string, PackedDataset> = {};
  for (const chart of parts.charts) {
    if (!chart.spec) continue;
    specs[chart.id] = toVega(chart.spec);
    for (const [name, rows] of Object.entries(chart.data ?? {})) data[name] = packRows(rows);
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:;">
<title>${escapeHtml(parts.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${parts.body}
</main>
<script type="application/json" id="chart-data">${jsonForScript(data)}</script>
<script type="application/json" id="chart-specs">${jsonForScript(specs)}</script>
<script>${vegaScript()}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
