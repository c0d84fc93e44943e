import { startMockServer, buildCatalog } from './mock-llm/index.ts';
const s = await startMockServer({ port: 18787, models: buildCatalog({ z: { extends: 'gpt-4o-mini', latency: { ttftBaseMs: 0, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 0, itlCv: 0, slowdownAtCap: 0, concurrencyCap: 100000 }, defaultOutputTokens: 100 } }) });
setTimeout(() => { s.close().then(() => process.exit(0)); }, 9000);
