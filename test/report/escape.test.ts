import { describe, expect, it } from 'vitest';
import { escapeHtml, jsForScript, jsonForScript } from '../../src/report/format.ts';
import { renderCompare, renderReport } from '../../src/report/index.ts';
import { unpackRows, type PackedDataset } from '../../src/report/page.ts';
import { HOSTILE_NAME, buildResults, hostileResults } from '../fixtures/results.ts';

/** The contents of `<script type="application/json" id="...">` in a page. */
function scriptJson(html: string, id: string): unknown {
  const match = new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`).exec(html);
  if (!match) throw new Error(`no script#${id}`);
  return JSON.parse(match[1]);
}

describe('escaping helpers', () => {
  it('escapeHtml escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('jsonForScript leaves no < > & or line separators, and parses back to the same value', () => {
    const value = { name: '</script><!-- & \u2028\u2029', n: [1, 2] };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('jsForScript breaks up </script and <!-- in inlined code', () => {
    expect(jsForScript('var s = "</script>"; var t = "<!--";')).toBe('var s = "<\\/script>"; var t = "<\\!--";');
  });
});

describe('renderReport escaping', () => {
  const html = renderReport(hostileResults());

  it('shows a scenario named <script>alert(1)</script> as text', () => {
    expect(HOSTILE_NAME).toBe('<script>alert(1)</script>');
    expect(html).toContain('<h1 id="scenario-name">&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    expect(html).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt; — llm-scale-bench report</title>');
  });

  it('has exactly the four script elements it puts there', () => {
    expect(html.match(/<script/gi)).toHaveLength(4);
    expect(html.match(/<\/script/gi)).toHaveLength(4);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b onmouseover');
  });

  it('embeds the chart data escaped, hostile names as data values that read back unchanged', () => {
    const data = scriptJson(html, 'chart-data') as Record<string, PackedDataset>;
    const names = unpackRows(data.frontier!).map((r) => r.config);
    expect(names).toEqual(hostileResults().configurations.map((c) => c.name));
    expect(names.some((n) => String(n).includes('<b onmouseover=alert(3)>'))).toBe(true);
    expect(JSON.stringify(scriptJson(html, 'chart-specs'))).not.toContain('onmouseover');
  });

  it('escapes hostile strings in the compare page too', () => {
    const page = renderCompare(hostileResults(), hostileResults());
    expect(page).toContain('Compare: &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.match(/<script/gi)).toHaveLength(4);
    const data = scriptJson(page, 'chart-data') as Record<string, PackedDataset>;
    expect(new Set(unpackRows(data['cmp-frontier']!).map((r) => r.config))).toEqual(new Set(hostileResults().configurations.map((c) => c.name)));
  });
});

describe('renderReport document', () => {
  it('makes no network reference: no src=, href=http or url() in the page outside data', () => {
    const html = renderReport(buildResults({ intervals: 24 }));
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link /i);
    expect(html).toContain("default-src 'none'");
  });

  it('notes skipped charts when there are no caches or routing', () => {
    const results = buildResults({ routings: ['strong'], caches: ['none'], intervals: 24 });
    for (const c of results.configurations) c.routing = null;
    const html = renderReport(results);
    expect(html).toContain('No caches in this run');
    expect(html).toContain('No routing in this run');
    expect(html).toContain('No cascade or router in this sweep');
  });
});
