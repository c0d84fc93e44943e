/**
 * The mock server's side of its tokenizer thread (tokenizer-worker.mjs). Counting a new prompt
 * takes time (4 ms for 1k tokens, 30 ms for 50k) and gpt-tokenizer holds about 21 MB of heap;
 * on the server's event loop the first would delay every other stream's tokens by as much, and
 * the second would lengthen every garbage-collection pause. So the server keeps a cache of
 * message token ids (tokens.ts) and asks this thread only for what the cache lacks.
 *
 * One thread per process, started on first use (or by `warmTokenizer`), shared by every server
 * and msw handler set; it keeps the process alive only while an answer is awaited. If it fails,
 * the requests waiting on it fail and the next request starts a new one.
 */
import { Worker } from 'node:worker_threads';
import type { TokenIds } from './tokens.ts';

interface Pending {
  resolve(value: TokenIds[] | number[]): void;
  reject(err: Error): void;
}

interface Answer {
  id: number;
  ids?: TokenIds[];
  counts?: number[];
  error?: string;
}

let worker: Worker | undefined;
/** The current thread has answered once: its tokenizer is loaded. */
let loaded = false;
const pending = new Map<number, Pending>();
let nextId = 0;

function thread(): Worker {
  if (worker !== undefined) return worker;
  const w = new Worker(new URL('./tokenizer-worker.mjs', import.meta.url));
  loaded = false;
  w.unref();
  w.on('message', (answer: Answer) => {
    if (worker === w) loaded = true;
    const p = pending.get(answer.id);
    if (p === undefined) return;
    pending.delete(answer.id);
    if (pending.size === 0) w.unref();
    if (answer.error !== undefined) p.reject(new Error(`tokenizer: ${answer.error}`));
    else p.resolve(answer.ids ?? answer.counts!);
  });
  const failed = (err: Error): void => {
    if (worker === w) {
      worker = undefined;
      loaded = false;
    }
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  w.on('error', failed);
  w.on('exit', (code) => failed(new Error(`the tokenizer thread exited (code ${code})`)));
  return (worker = w);
}

function ask(request: { messages: (readonly [string, string])[] } | { texts: readonly string[] }): Promise<TokenIds[] | number[]> {
  const w = thread();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    if (pending.size === 0) w.ref();
    pending.set(id, { resolve, reject });
    w.postMessage({ id, ...request });
  });
}

/** Each message's ids in the chat layout (without the reply primer), counted on the tokenizer thread (a plain array for a short message, a typed array for a long one). */
export function tokenizeMessages(messages: (readonly [role: string, content: string])[]): Promise<TokenIds[]> {
  return ask({ messages }) as Promise<TokenIds[]>;
}

/** Each text's token count, on the tokenizer thread. */
export function countTexts(texts: readonly string[]): Promise<number[]> {
  return ask({ texts }) as Promise<number[]>;
}

/** Starts the thread now (it takes a moment to load the tokenizer), so the first request does not wait as long. */
export function warmTokenizer(): void {
  thread();
}

/**
 * Resolves once the thread has loaded the tokenizer (starting it if needed): 0.5–1 s on a
 * small machine, which the first new prompts would otherwise wait out in their TTFT. Never
 * rejects: if the thread cannot start, requests fail with 500 and retry it.
 */
export async function tokenizerReady(): Promise<void> {
  if (worker !== undefined && loaded) return;
  await countTexts(['The mock counts the tokens of every new prompt.']).catch(() => undefined);
}

/** True while a thread is running whose tokenizer is loaded. */
export function isTokenizerLoaded(): boolean {
  return worker !== undefined && loaded;
}

/** Stops the thread (requests waiting on it fail); the next request starts a new one. */
export async function stopTokenizer(): Promise<void> {
  const w = worker;
  if (w === undefined) return;
  await w.terminate();
}
