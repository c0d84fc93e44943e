import { MockCore } from './mock-llm/core.ts';
import { resolveMockOptions } from './mock-llm/options.ts';
import { buildCatalog } from './mock-llm/catalog.ts';
import { tokenizerReady } from './mock-llm/tokenizer.ts';
const models = buildCatalog({ z: { extends: 'gpt-4o-mini', latency: { ttftBaseMs: 0, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 0, itlCv: 0, slowdownAtCap: 0, concurrencyCap: 100000 }, defaultOutputTokens: 100 } });
const core = new MockCore(resolveMockOptions({ models, ledgerMaxRows: 1000 }));
await tokenizerReady();
const MESSAGES = [{ role: 'system', content: 'You are a helpful assistant for a load test.' }, { role: 'user', content: 'Write a short paragraph about benchmarking.' }];
const TOOL = { type: 'function', function: { name: 'get_weather', strict: true, parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer', minimum: 1, maximum: 7 } }, required: ['city', 'unit', 'days'], additionalProperties: false } } };
const ORDER = { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string', enum: ['open', 'shipped', 'lost'] }, lines: { type: 'array', minItems: 2, maxItems: 4, items: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1, maximum: 9 } }, required: ['sku', 'qty'], additionalProperties: false } } }, required: ['id', 'status', 'lines'], additionalProperties: false };
const kinds: Record<string, [string, unknown]> = {
  chat: ['/v1/chat/completions', { model: 'z', messages: MESSAGES }],
  tool: ['/v1/chat/completions', { model: 'z', messages: MESSAGES, tools: [TOOL], tool_choice: 'required' }],
  json: ['/v1/chat/completions', { model: 'z', messages: MESSAGES, response_format: { type: 'json_schema', json_schema: { name: 'order', schema: ORDER, strict: true } } }],
  chatS: ['/v1/chat/completions', { model: 'z', messages: MESSAGES, stream: true }],
  toolS: ['/v1/chat/completions', { model: 'z', messages: MESSAGES, tools: [TOOL], tool_choice: 'required', stream: true }],
  responses: ['/v1/responses', { model: 'z', input: 'Write a short paragraph about benchmarking.' }],
  messages: ['/v1/messages', { model: 'z', max_tokens: 1000, messages: [MESSAGES[1]] }],
};
let bytes = 0;
const sink = { send: (_s: number, _h: unknown, b: string) => { bytes += b.length; }, head() {}, write: (c: string) => { bytes += c.length; }, writeBytes: (_s: unknown, n: number) => { bytes += n; }, end: (c?: string) => { bytes += c?.length ?? 0; }, destroy() {} };
async function runKind(name: string, n: number): Promise<number> {
  const [path, body] = kinds[name]!;
  const text = JSON.stringify(body);
  const req = { method: 'POST', path, query: '', header: () => undefined, body: text, bodyTooLarge: false, onAbort() {}, gone: () => false };
  core.handle(req, sink as never); await new Promise((r) => setTimeout(r, 50));
  const t = performance.now();
  for (let i = 0; i < n; i++) core.handle(req, sink as never);
  return ((performance.now() - t) * 1000) / n;
}
const best: Record<string, number> = {};
for (let r = 0; r < 6; r++) for (const k of (process.env.KINDS ?? Object.keys(kinds).join(',')).split(',')) best[k] = Math.min(best[k] ?? Infinity, await runKind(k, 10000));
console.log(Object.entries(best).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(' | '));
core.close();
process.exit(0);
