/**
 * New prompts are counted on the tokenizer thread in batches (mock-llm/prompt-batch.ts): one
 * message to the thread per turn of the event loop, each distinct message once, long prompts
 * alone; the counts are the tokenizer's whatever the batch.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Counted } from '../../mock-llm/call.ts';
import type { CoreRequest, ResponseSink } from '../../mock-llm/exchange.ts';
import { buildCatalog, startMockServer, type MockServer } from '../../mock-llm/index.ts';
import { BATCH_CHARS, cachedParts, PromptBatcher } from '../../mock-llm/prompt-batch.ts';
import { encodePrompt, messageIds } from '../../src/provider/tokenize.mjs';
import type { CountedMessage } from '../../src/provider/tokens.ts';

/** Message contents no other test sends (the token cache is the process's). */
let unique = 0;
const fresh = (text: string): string => `${text} [prompt-batch ${process.pid}-${unique++}]`;

/** A batcher whose handler records what it was handed, in order. */
function recorder(tokenize?: ConstructorParameters<typeof PromptBatcher>[1]): {
  batcher: PromptBatcher;
  done: Promise<void>;
  log: string[];
  batches: number[];
  expect(n: number): void;
} {
  const log: string[] = [];
  /** Each batch's messages, as sent. */
  const batches: number[] = [];
  let expected = Infinity;
  let resolve: () => void = () => {};
  const done = new Promise<void>((r) => (resolve = r));
  const note = (entry: string): void => {
    log.push(entry);
    if (log.length >= expected) resolve();
  };
  const batcher = new PromptBatcher(
    {
      counted: (req) => note(`counted ${req.path}`),
      failed: (req, _sink, _c, err) => note(`failed ${req.path}: ${err.message}`),
      sent: (messages) => batches.push(messages),
    },
    tokenize,
  );
  return {
    batcher,
    done,
    log,
    batches,
    expect: (n) => {
      expected = n;
      if (log.length >= n) resolve();
    },
  };
}

/** A request as the batcher sees it: its name (as its path), its messages and its prompt parts. */
function request(name: string, messages: CountedMessage[]): { req: CoreRequest; sink: ResponseSink; c: Counted; missing: number[] } {
  const c = { request: { messages }, promptParts: new Array(messages.length) } as unknown as Counted;
  const missing = cachedParts(messages, c.promptParts) ?? [];
  return { req: { path: name } as CoreRequest, sink: {} as ResponseSink, c, missing };
}

function submit(batcher: PromptBatcher, r: ReturnType<typeof request>): void {
  batcher.count(r.req, r.sink, r.c, r.missing);
}

describe('prompt batches', () => {
  it('sends the new messages of one turn in one batch, each distinct message once, and fills each prompt with the tokenizer’s ids', async () => {
    const system = fresh('You are a batch of one.');
    const a = request('a', [
      { role: 'system', content: system },
      { role: 'user', content: fresh('First question.') },
    ]);
    const b = request('b', [
      { role: 'system', content: system },
      { role: 'user', content: fresh('Second question.') },
    ]);
    // the same text in another role is another message
    const c = request('c', [{ role: 'user', content: system }]);
    const r = recorder();
    r.expect(3);
    for (const x of [a, b, c]) submit(r.batcher, x);
    await r.done;
    expect(r.log).toEqual(['counted a', 'counted b', 'counted c']);
    expect(r.batches).toEqual([4]); // one batch, the shared system prompt in it once
    for (const x of [a, b, c]) {
      const messages = x.c.request.messages;
      expect(x.c.promptParts.map((p) => Array.from(p))).toEqual(messages.map((m) => messageIds(m.role, m.content)));
    }
    // now cached: a repeat needs no count
    expect(request('again', a.c.request.messages).missing).toEqual([]);
  });

  it('fills only the missing messages', async () => {
    const known = fresh('Known already.');
    const first = request('first', [{ role: 'system', content: known }]);
    const r = recorder();
    r.expect(1);
    submit(r.batcher, first);
    await r.done;
    const second = request('second', [
      { role: 'system', content: known },
      { role: 'user', content: fresh('New.') },
    ]);
    expect(second.missing).toEqual([1]);
    expect(second.c.promptParts[0]).toBe(first.c.promptParts[0]); // the cached ids, as they were
    const r2 = recorder();
    r2.expect(1);
    submit(r2.batcher, second);
    await r2.done;
    expect(r2.batches).toEqual([1]);
    expect(second.c.promptParts[0]).toBe(first.c.promptParts[0]);
    expect(Array.from(second.c.promptParts[1]!)).toEqual(messageIds('user', second.c.request.messages[1]!.content));
  });

  it('sends a long prompt alone, after the batch before it, and answers in order of arrival', async () => {
    const r = recorder();
    r.expect(4);
    const long = fresh('word '.repeat(BATCH_CHARS / 5 + 10));
    submit(r.batcher, request('short-1', [{ role: 'user', content: fresh('Short one.') }]));
    submit(r.batcher, request('long', [{ role: 'user', content: long }]));
    submit(r.batcher, request('short-2', [{ role: 'user', content: fresh('Short two.') }]));
    submit(r.batcher, request('short-3', [{ role: 'user', content: fresh('Short three.') }]));
    // short-1's batch went when the long prompt came, the long one at once, the others at the end of the turn
    expect(r.batches).toEqual([1, 1]);
    await r.done;
    expect(r.batches).toEqual([1, 1, 2]);
    expect(r.log).toEqual(['counted short-1', 'counted long', 'counted short-2', 'counted short-3']);
  });

  it.each([
    ['rejects', () => Promise.reject(new Error('tokenizer gone'))],
    [
      'throws at once',
      () => {
        throw new Error('tokenizer gone');
      },
    ],
  ])(
    'fails only the requests of the batch whose count %s, and counts the next batch',
    async (_how, failing) => {
      let calls = 0;
      const r = recorder((pairs) => (++calls === 1 ? failing() : Promise.resolve(pairs.map(([role, content]) => messageIds(role, content)))));
      r.expect(3);
      submit(r.batcher, request('one', [{ role: 'user', content: fresh('One.') }]));
      submit(r.batcher, request('two', [{ role: 'user', content: fresh('Two.') }]));
      await new Promise((resolve) => setImmediate(resolve)); // the first batch went at the end of the turn
      submit(r.batcher, request('three', [{ role: 'user', content: fresh('Three.') }]));
      await r.done;
      expect(r.log).toEqual(['failed one: tokenizer gone', 'failed two: tokenizer gone', 'counted three']);
      expect(r.batches).toEqual([2, 1]);
    },
    10_000,
  );
});

describe('a server counting concurrent new prompts', () => {
  let server: MockServer;
  beforeAll(async () => {
    server = await startMockServer({
      port: 0,
      models: buildCatalog({
        quick: { extends: 'gpt-4o-mini', latency: { ttftBaseMs: 0, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 0, itlCv: 0 }, defaultOutputTokens: 3 },
      }),
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('bills each of many concurrent requests sharing a new system prompt exactly its own prompt', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const system = fresh('You are one of many.');
    const prompts = Array.from({ length: 60 }, (_, i) => [
      { role: 'system' as const, content: system },
      { role: 'user' as const, content: fresh(`Question ${'why '.repeat(i)}?`) },
    ]);
    const replies = await Promise.all(prompts.map((messages) => client.chat.completions.create({ model: 'quick', messages })));
    replies.forEach((r, i) => expect(r.usage!.prompt_tokens).toBe(encodePrompt(prompts[i]!).length));
    expect(server.stats().active).toBe(0);
  });

  it('counts on /metrics the messages it sent to the tokenizer thread and the batches they went in', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const read = async (): Promise<{ messages: number; batches: number }> => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const value = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
      return { messages: value('mock_llm_tokenized_messages_total'), batches: value('mock_llm_tokenizer_batches_total') };
    };
    const system = fresh('You are counted once.');
    const prompts = Array.from({ length: 30 }, (_, i) => [
      { role: 'system' as const, content: system },
      { role: 'user' as const, content: fresh(`Item ${i}.`) },
    ]);
    const before = await read();
    await Promise.all(prompts.map((messages) => client.chat.completions.create({ model: 'quick', messages })));
    const after = await read();
    const batches = after.batches - before.batches;
    expect(batches).toBeGreaterThanOrEqual(1);
    // 30 new user messages, and the new system prompt once per batch at most
    expect(after.messages - before.messages).toBeGreaterThanOrEqual(31);
    expect(after.messages - before.messages).toBeLessThanOrEqual(30 + batches);
    // sent again with other settings (not the same bodies): every message is cached now
    await Promise.all(prompts.map((messages) => client.chat.completions.create({ model: 'quick', messages, max_tokens: 2 })));
    expect(await read()).toEqual(after);
  });
});
