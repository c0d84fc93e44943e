/** The agent's request keys: the getters' own strings, each handed out again for its wording. */
import { describe, expect, it } from 'vitest';
import { RequestKeys } from '../../src/agent/request-keys.ts';
import { AgentRequest } from '../../src/workload/requests.ts';

const KINDS = ['faq', 'how-to'];
const request = (kind: string, intent: number, paraphrase: number, topic = Math.floor(intent / 5), kindIndex = KINDS.indexOf(kind)) =>
  new AgentRequest(0, 0, kindIndex, kind, intent, paraphrase, topic, 100, 0.5, 1);

describe('RequestKeys', () => {
  it("gives each wording the getters' strings, the same objects every time", () => {
    const keys = new RequestKeys();
    for (const [kind, intent, paraphrase] of [
      ['faq', 0, 0],
      ['faq', 12, 3],
      ['how-to', 12, 3],
      ['faq', 100_000, 1],
      // numbers past a wording's small-integer id: found by prompt key
      ['faq', 300_000, 1],
      ['how-to', 5, 5_000],
    ] as const) {
      const req = request(kind, intent, paraphrase);
      const k = keys.of(req);
      expect(k).toBe(keys.of(request(kind, intent, paraphrase)));
      expect(k.prompt).toBe(req.promptKey);
      expect(k.intent).toBe(req.intentKey);
      expect(k.topic).toBe(`${kind}/topic/${req.topic}`);
      expect(k.embedding('text-embedding-3-small')).toBe(`text-embedding-3-small|${req.promptKey}`);
      expect(k.exact('answer', 'single(gpt-4o)', 1, 2100)).toBe(`answer|single(gpt-4o)|${req.promptKey}|1|2100`);
    }
    // paraphrases share their intent's string, intents of a topic its topic string
    expect(keys.of(request('faq', 12, 0)).intent).toBe(keys.of(request('faq', 12, 3)).intent);
    expect(keys.of(request('faq', 11, 0)).topic).toBe(keys.of(request('faq', 12, 3)).topic);
    expect(keys.of(request('faq', 12, 0))).not.toBe(keys.of(request('faq', 12, 3)));
  });

  it('keeps the last exact and embedding key, and makes another on any difference', () => {
    const k = new RequestKeys().of(request('faq', 7, 2));
    const a = k.exact('answer', 'single(gpt-4o)', 0, 500);
    expect(k.exact('answer', 'single(gpt-4o)', 0, 500)).toBe(a);
    expect(k.exact('answer', 'single(gpt-4o)', 0, 501)).toBe('answer|single(gpt-4o)|faq/7/2|0|501');
    expect(k.exact('answer', 'single(gpt-4o)', 1, 501)).toBe('answer|single(gpt-4o)|faq/7/2|1|501');
    expect(k.exact('review', 'single(gpt-4o)', 1, 501)).toBe('review|single(gpt-4o)|faq/7/2|1|501');
    expect(k.exact('review', 'gpt-4o-mini', 1, 501)).toBe('review|gpt-4o-mini|faq/7/2|1|501');
    expect(k.embedding('m1')).toBe('m1|faq/7/2');
    expect(k.embedding('m2')).toBe('m2|faq/7/2');
  });

  it("a kind index seen under another name gets that name's keys", () => {
    const keys = new RequestKeys();
    const a = keys.of(request('faq', 3, 1, 0, 0));
    const b = keys.of(request('other', 3, 1, 0, 0));
    expect([a.prompt, b.prompt]).toEqual(['faq/3/1', 'other/3/1']);
    expect([a.intent, b.intent, b.topic]).toEqual(['faq/3', 'other/3', 'other/topic/0']);
  });

  it('a request whose topic differs from the kept wording gets its own keys', () => {
    const keys = new RequestKeys();
    const a = keys.of(request('faq', 3, 1, 0));
    const b = keys.of(request('faq', 3, 1, 9));
    expect(b.topic).toBe('faq/topic/9');
    expect(a.topic).toBe('faq/topic/0');
  });
});
