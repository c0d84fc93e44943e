/**
 * mock-llm's token scheduler sleeps the last stretch to each token in its own loop (src/core/loop-wake.ts):
 * while streams with sub-millisecond gaps run, the loop is always close to a token, and must still
 * read and answer other requests between its sleep slices.
 */
import { describe, expect, it } from 'vitest';
import { buildCatalog, startMockServer } from '../../mock-llm/index.ts';

const models = buildCatalog({
  /** 0.5 ms between tokens at timeScale 20: the loop sleeps in slices the whole stream long. */
  dense: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 20, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 10, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 3000,
  },
  quick: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 1, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 0, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 20,
  },
});
const messages = [{ role: 'user', content: 'hello' }];

describe('mock-llm with dense streams', () => {
  it('answers a plain request correctly while streams with 0.5 ms gaps are running', async () => {
    const server = await startMockServer({ port: 0, host: '127.0.0.1', models, timeScale: 20 });
    try {
      const post = (body: object) =>
        fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      let streamsDone = 0;
      const streams = Array.from({ length: 3 }, async () => {
        const res = await post({ model: 'dense', messages, stream: true });
        const reader = res.body!.getReader();
        let chunks = 0;
        for (let r = await reader.read(); !r.done; r = await reader.read()) chunks++;
        streamsDone++;
        return chunks;
      });
      // the streams are writing tokens (first token 1 ms after the request at ×20)
      await new Promise((r) => setTimeout(r, 30));
      const res = await post({ model: 'quick', messages });
      const body = (await res.json()) as { choices: Array<{ message: { content: string } }>; usage: { completion_tokens: number } };
      const doneWhenAnswered = streamsDone;
      expect(res.status).toBe(200);
      expect(body.usage.completion_tokens).toBe(20);
      expect(body.choices[0]!.message.content.length).toBeGreaterThan(0);
      expect(doneWhenAnswered).toBe(0); // answered while the streams were still sending (3,000 tokens at 0.5 ms: 1.5 s each)
      for (const chunks of await Promise.all(streams)) expect(chunks).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  }, 30_000);
});
