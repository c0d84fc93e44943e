import { countTokens } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import { Embedder, cosineSimilarity } from '../../src/provider/embeddings.ts';
import { MockConfigError } from '../../mock-llm/errors.ts';
import { isoTime } from '../../mock-llm/ledger.ts';
import { ConcurrencyGate, RateLimiter, formatDuration } from '../../src/provider/limits.ts';
import { LATENESS_BUCKETS_S, LatenessHistogram } from '../../mock-llm/metrics.ts';
import { MOCK_DEFAULTS, resolveMockOptions } from '../../mock-llm/options.ts';
import { PromptCache } from '../../src/provider/prompt-cache.ts';
import { acceptsChatRequest, ChatRequestSchema } from '../../mock-llm/requests.ts';
import { EARLY_TOLERANCE_MS, Scheduler } from '../../src/core/scheduler.ts';
import { GENERATION_VOCABULARY, applyStop, generateText } from '../../src/provider/tokens.ts';
import { Rng } from '../../src/core/random.ts';

describe('generated text', () => {
  it('has exactly the requested number of tokens, whole or token by token', () => {
    // 300_000 is longer than the text ring: it wraps around
    for (const [n, key] of [
      [0, 1],
      [1, 2],
      [2, 3],
      [17, 4],
      [300, 5],
      [4000, 0xffffffff],
      [300_000, 7],
    ] as const) {
      const g = generateText(n, key);
      const text = g.text();
      expect(countTokens(text)).toBe(n);
      expect(g.length).toBe(n);
      let joined = '';
      for (let i = 0; i < n; i++) joined += g.token(i);
      expect(joined).toBe(text);
      // the bytes streams copy are the same tokens
      for (let i = 0; i < Math.min(n, 300); i++) expect(Buffer.from(g.tokenBytes(i)).toString('utf8')).toBe(g.token(i));
    }
  });

  it('is deterministic for its key, and different keys give different texts', () => {
    expect(generateText(50, 42).text()).toBe(generateText(50, 42).text());
    expect(generateText(50, 42).text()).not.toBe(generateText(50, 43).text());
    expect(generateText(50, 42).text().startsWith(generateText(10, 42).text())).toBe(true);
  });

  it('uses a vocabulary of single-token lower-case ASCII words (no JSON escaping needed)', () => {
    expect(GENERATION_VOCABULARY.length).toBeGreaterThan(100);
    for (const w of GENERATION_VOCABULARY) expect(w).toMatch(/^[a-z]+$/);
  });

  it('stops before the first stop sequence', () => {
    const g = generateText(40, 9);
    const third = g.token(2);
    const cut = applyStop(g, [third.slice(0, 3)]); // starts inside the third token (at its space)
    expect(cut.stopped).toBe(true);
    expect(cut.text.text()).toBe(g.token(0) + g.token(1));
    expect(cut.text.length).toBe(2);
    // a match inside a later token also cuts there, at the earliest match of any stop sequence
    expect(applyStop(g, ['zzz', g.token(5).slice(2)]).text.length).toBeLessThanOrEqual(5);
    expect(applyStop(g, ['zzz'])).toEqual({ text: g, stopped: false });
  });
});

describe('send lateness histogram', () => {
  it('puts each observation in the first bucket whose bound it does not exceed; early sends count as 0', () => {
    const h = new LatenessHistogram();
    for (const ms of [-0.3, 0, 0.5, 0.7, 2, 2.01, 7, 1500]) h.observe(ms);
    const bounds = [...LATENESS_BUCKETS_S, Infinity];
    const expected = bounds.map((b) => [0, 0, 0.5, 0.7, 2, 2.01, 7, 1500].filter((ms) => ms / 1000 <= b).length);
    expect(h.cumulative()).toEqual(expected);
    expect(h.cumulative()).toEqual([3, 4, 5, 6, 7, 7, 7, 7, 7, 7, 8]);
    expect(h.count).toBe(8);
    expect(h.sumMs).toBeCloseTo(0.5 + 0.7 + 2 + 2.01 + 7 + 1500, 9);
    expect(h.maxMs).toBe(1500);
    const laterThan = (ms: number): number => h.count - h.cumulative()[LATENESS_BUCKETS_S.indexOf(ms / 1000)]!;
    expect(laterThan(2)).toBe(3); // 2.01, 7 and 1500 ms
    expect(laterThan(0.5)).toBe(5);
    h.reset();
    expect([h.count, h.sumMs, h.maxMs, laterThan(0.5)]).toEqual([0, 0, 0, 0]);
    expect(h.cumulative().every((n) => n === 0)).toBe(true);
  });
});

describe('prompt cache', () => {
  const spec = { minPrefixTokens: 1024, ttlS: 300 };
  const prompt = (n: number, salt = 0): number[] => Array.from({ length: n }, (_, i) => (i * 7919 + salt) % 200_000);
  /** Cuts `ids` into parts at random points (some empty), as messages split a prompt. */
  const split = (ids: number[], rng: Rng): number[][] => {
    const parts: number[][] = [];
    for (let at = 0; at < ids.length; ) {
      const n = rng.int(Math.min(ids.length - at, 700) + 1);
      parts.push(ids.slice(at, at + n));
      at += n;
    }
    return parts;
  };

  it('caches the prefix in steps of 128 tokens beyond the minimum, within the TTL', () => {
    const cache = new PromptCache(spec, 1000);
    const base = prompt(3000);
    expect(cache.lookup([base], 0)).toBe(0); // first sight
    expect(cache.lookup([base], 10)).toBe(2944); // 1024 + 15 × 128 ≤ 3000
    const changedAt = [...base];
    changedAt[1500] = 1; // differs at token 1500: the prefix up to 1408 still matches
    expect(cache.lookup([changedAt], 20)).toBe(1408);
    expect(cache.lookup([prompt(1000)], 30)).toBe(0); // below the minimum: never cached
    expect(cache.lookup([base], 5000)).toBe(0); // expired
  });

  it('gives the same answers whatever the split of the prompt into parts', () => {
    const rng = new Rng(7);
    const flat = new PromptCache(spec, 1000);
    const parted = new PromptCache(spec, 1000);
    for (let round = 0; round < 60; round++) {
      const ids = prompt(900 + rng.int(3000), rng.int(3)); // three prompt families, shared prefixes
      if (rng.next() < 0.3) ids[rng.int(ids.length)] = 5;
      const now = round * 10;
      expect(parted.lookup(split(ids, rng), now)).toBe(flat.lookup([ids], now));
    }
  });
});

describe('embeddings', () => {
  const e = new Embedder(0);
  it('is deterministic and unit length', () => {
    const a = e.embed('Reset my password', 64);
    expect(Array.from(new Embedder(0).embed('reset my password', 64))).toEqual(Array.from(a));
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
  });

  it('truncates consistently: a narrower vector is the renormalised prefix', () => {
    const wide = e.embed('weather in paris', 256);
    const narrow = e.embed('weather in paris', 32);
    expect(cosineSimilarity(Array.from(wide.slice(0, 32)), Array.from(narrow))).toBeCloseTo(1, 5);
  });

  it('changes with the seed', () => {
    expect(cosineSimilarity(e.embed('weather', 128), new Embedder(1).embed('weather', 128))).toBeLessThan(0.5);
  });
});

describe('rate limiter', () => {
  it('refills continuously over the window and says when to retry', () => {
    const limiter = new RateLimiter('m', { requestsPerMinute: 2, tokensPerMinute: 100, windowMs: 1000 }, 0);
    expect(limiter.check(10, 0).allowed).toBe(true);
    expect(limiter.check(10, 0).allowed).toBe(true);
    const third = limiter.check(10, 0);
    expect(third.allowed).toBe(false);
    if (!third.allowed) {
      expect(third.limit).toBe('requests');
      expect(third.retryAfterMs).toBeCloseTo(500, 6);
    }
    expect(limiter.check(10, 500).allowed).toBe(true);
    const tooBig = limiter.check(1000, 10_000);
    expect(tooBig.allowed).toBe(false);
    if (!tooBig.allowed) expect(tooBig.retryAfterMs).toBe(Infinity);
  });

  it('formats durations like OpenAI', () => {
    expect(formatDuration(20)).toBe('20ms');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(360_000)).toBe('6m0s');
  });
});

describe('concurrency gate', () => {
  it('grants in FIFO order and skips cancelled waiters', () => {
    const gate = new ConcurrencyGate(1);
    const order: string[] = [];
    const w = (name: string) => ({ cancelled: false, grant: () => order.push(name) });
    expect(gate.tryAcquire()).toBe(true);
    expect(gate.tryAcquire()).toBe(false);
    const b = w('b');
    gate.enqueue(b);
    gate.enqueue(w('c'));
    gate.cancel(b);
    expect(gate.queued()).toBe(1);
    gate.release();
    expect(order).toEqual(['c']);
    expect(gate.inFlight()).toBe(1);
    gate.release();
    expect(gate.inFlight()).toBe(0);
  });
});

describe('scheduler', () => {
  // how late a task runs depends on the machine (that is measured in test/perf/mock.perf.ts);
  // never earlier than its due time minus the tolerance is the scheduler's own promise
  it('runs tasks in due order, never before their due time less the tolerance, and cancels', async () => {
    const s = new Scheduler();
    const start = performance.now();
    const ran: [string, number][] = [];
    const done = new Promise<void>((resolve) => {
      s.at(start + 30, () => ran.push(['b', performance.now() - start]));
      s.at(start + 10, () => ran.push(['a', performance.now() - start]));
      s.at(start + 20, () => ran.push(['x', 0])).cancel();
      s.at(start + 40, () => resolve());
    });
    await done;
    expect(ran.map((r) => r[0])).toEqual(['a', 'b']);
    expect(ran[0]![1]).toBeGreaterThanOrEqual(10 - EARLY_TOLERANCE_MS);
    expect(ran[1]![1]).toBeGreaterThanOrEqual(30 - EARLY_TOLERANCE_MS);
    expect(s.pending()).toBe(0);
  });

  it.each(['thread', 'loop'] as const)('spaces tasks less than a millisecond apart (%s wake-up): each runs at its own due time, none early', async (wake) => {
    // a stream at --time-scale 20 has 0.6 ms gaps; a 1 ms timer ran them in pairs (the second 0.4 ms early)
    const s = new Scheduler({ wake });
    await s.ready();
    const start = performance.now() + 5;
    const early: number[] = [];
    await new Promise<void>((resolve) => {
      for (let i = 0; i < 40; i++) {
        const due = start + i * 0.4;
        s.at(due, () => {
          early.push(due - performance.now());
          if (i === 39) resolve();
        });
      }
    });
    s.close();
    expect(early).toHaveLength(40);
    expect(Math.max(...early)).toBeLessThanOrEqual(EARLY_TOLERANCE_MS);
    expect(EARLY_TOLERANCE_MS).toBeLessThanOrEqual(0.05);
  });

  it('runs many tasks in due-time order, ties in scheduling order, skipping cancelled ones', async () => {
    const s = new Scheduler();
    const rng = new Rng(5);
    const base = performance.now() - 1_000; // all already due: one wake-up runs them in heap order
    const expected: { due: number; order: number }[] = [];
    const ran: number[] = [];
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    for (let order = 0; order < 3000; order++) {
      const due = base + rng.int(200); // many ties
      const task = s.at(due, (o: number) => ran.push(o), order);
      if (rng.chance(0.2)) task.cancel();
      else expected.push({ due, order });
    }
    s.at(base + 500, finished);
    await done;
    expected.sort((a, b) => a.due - b.due || a.order - b.order);
    expect(ran).toEqual(expected.map((e) => e.order));
  });

  it('reuses the object of a task that has run, never one still queued or cancelled in its heap', async () => {
    const s = new Scheduler();
    const ran: string[] = [];
    let first!: ReturnType<Scheduler['at']>;
    await new Promise<void>((resolve) => (first = s.at(performance.now(), () => (ran.push('first'), resolve()))));
    const second = s.at(performance.now() + 5, (tag: string) => ran.push(tag), 'second', first);
    expect(second).toBe(first); // it had run: same object, scheduled again
    // still queued: a new object (reusing it would lose the queued run)
    const third = s.at(performance.now() + 5, (tag: string) => ran.push(tag), 'third', second);
    expect(third).not.toBe(second);
    // cancelled but still in the heap (dropped lazily): not reused either, and it never runs
    const cancelled = s.at(performance.now() + 5, () => ran.push('cancelled'));
    cancelled.cancel();
    const fourth = s.at(performance.now() + 5, (tag: string) => ran.push(tag), 'fourth', cancelled);
    expect(fourth).not.toBe(cancelled);
    await new Promise<void>((resolve) => s.at(performance.now() + 10, resolve));
    expect(ran).toEqual(['first', 'second', 'third', 'fourth']);
    expect(s.pending()).toBe(0);
  });

  it('clear() drops every task', () => {
    const s = new Scheduler();
    s.at(performance.now() + 1000, () => {
      throw new Error('must not run');
    });
    expect(s.pending()).toBe(1);
    s.clear();
    expect(s.pending()).toBe(0);
  });
});

describe('options', () => {
  it('applies the defaults', () => {
    const o = resolveMockOptions();
    expect(o.port).toBe(MOCK_DEFAULTS.port);
    expect(o.host).toBe('127.0.0.1');
    expect(o.timeScale).toBe(1);
    expect(o.maxBodyBytes).toBe(1024 * 1024);
    expect(o.models['gpt-4o']).toBeDefined();
  });

  it('rejects bad values with a message naming the option', () => {
    expect(() => resolveMockOptions({ timeScale: 0 })).toThrow(new MockConfigError('Option timeScale must be a finite number > 0, got 0.'));
    expect(() => resolveMockOptions({ limits: { nope: { requestsPerMinute: 1 } } })).toThrow(/limits\["nope"\] names an unknown model/);
    expect(() => resolveMockOptions({ modelsFile: '/does/not/exist.json' })).toThrow(/Failed to read models file/);
  });
});

describe('fast chat-request acceptance', () => {
  // acceptsChatRequest lets a body skip zod: it must accept only what the schema accepts, unchanged
  const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const ANY = [undefined, null, true, 0, 1, -1, 1.5, 2, 3, 2 ** 53, -(2 ** 53), 'x', '', [], ['a'], {}, { a: 1 }] as const;
  const parts = [{ type: 'text', text: 'hi' }, { type: 'text' }, { type: 1 }, { text: 'no type' }, 'str', null];
  const message = (rng: Rng): unknown =>
    rng.chance(0.1)
      ? pick(rng, ANY)
      : {
          role: rng.chance(0.8) ? pick(rng, ['system', 'developer', 'user', 'assistant', 'tool', 'function']) : pick(rng, ['bot', 'toString', 1, null]),
          ...(rng.chance(0.7) ? { content: rng.chance(0.6) ? 'hello' : rng.chance(0.5) ? [pick(rng, parts), pick(rng, parts)] : pick(rng, ANY) } : {}),
          ...(rng.chance(0.2) ? { name: pick(rng, ['n', 1, null]) } : {}),
          ...(rng.chance(0.2)
            ? {
                tool_calls: rng.chance(0.7) ? [{ function: pick(rng, [{ name: 'f', arguments: '{}' }, { name: 'f' }, null, undefined, 'x']) }] : pick(rng, ANY),
              }
            : {}),
        };
  const FIELDS: Record<string, readonly unknown[]> = {
    stream: [true, false, null, 1, 'true'],
    stream_options: [null, {}, { include_usage: true }, { include_usage: 'yes' }, [], 1],
    max_tokens: [null, 1, 100, 0, 1.5, -3, 2 ** 53, '5'],
    max_completion_tokens: [null, 1, 0, 2.5],
    temperature: [null, 0, 2, 2.5, -0.1, 1, '1'],
    top_p: [null, 0, 1, 1.1, 0.5],
    n: [null, 1, 2, '1'],
    stop: [null, 'x', ['a', 'b'], ['a', 'b', 'c', 'd', 'e'], [1], 3],
    tools: [[], [{ type: 'function' }], {}, null],
    user: ['u', null, 3],
    seed: [null, 1, -5, 1.5, 2 ** 53, 'x'],
    metadata: [null, {}, { a: 'b', c: 1, d: true, e: null }, { a: { b: 1 } }, { a: [1] }, [], 'm'],
    extra: [1, 'anything', { deep: [1] }],
  };

  it('accepts only bodies the zod schema accepts, and unchanged', () => {
    const rng = new Rng(1234);
    let fast = 0;
    for (let i = 0; i < 20_000; i++) {
      const body: Record<string, unknown> = {};
      if (rng.chance(0.95)) body['model'] = rng.chance(0.9) ? 'gpt-4o' : pick(rng, ['', 1, null]);
      if (rng.chance(0.95))
        body['messages'] = rng.chance(0.9) ? Array.from({ length: rng.int(3) + (rng.chance(0.9) ? 1 : 0) }, () => message(rng)) : pick(rng, ANY);
      for (const [k, values] of Object.entries(FIELDS)) if (rng.chance(0.15)) body[k] = pick(rng, values);
      let text = JSON.stringify(body);
      if (rng.chance(0.02)) text = text.replace(/^\{/, '{"temperature":1e400,');
      if (rng.chance(0.02)) text = text.replace(/^\{/, '{"metadata":{"__proto__":"x"},');
      const json = JSON.parse(text) as Record<string, unknown>;
      if (!acceptsChatRequest(json)) continue;
      fast++;
      const result = ChatRequestSchema.safeParse(json);
      expect(result.success, text).toBe(true);
      expect(result.data, text).toEqual(json);
    }
    expect(fast).toBeGreaterThan(1000); // the check is exercised, not vacuous
  });
});

describe('ledger time', () => {
  it('formats like Date.toISOString', () => {
    const rng = new Rng(5);
    const base = Date.now();
    for (let i = 0; i < 20_000; i++) {
      const ms = i < 10_000 ? base + i * 7 : Math.floor(rng.next() * 253402300800000);
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
    for (const ms of [0, 999, 1000, 253402300799999]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});
