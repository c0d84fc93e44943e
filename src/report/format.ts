/** Turning user strings into text that is safe inside HTML pages (numbers: numbers.ts). */

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * JSON safe to place inside a <script> element: `<`, `>` and `&` become \u escapes (so no
 * `</script>` or `<!--` can appear), as do U+2028/U+2029. JSON.parse reads it back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * JavaScript source safe to inline in a <script> element: breaks up any `</script` and `<!--`
 * (which would end or confuse the element). `<\/` reads as `</` inside JS strings and regexes.
 */
export function jsForScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}
