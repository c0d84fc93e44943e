/**
 * Log probabilities of the tokens of an answer, deterministic per request and token position:
 * the chosen token is the most likely one, its alternatives words of the generation vocabulary.
 * They describe a made-up distribution (the mock has no model); their use is to exercise the
 * clients' parsing of the fields.
 */
import { Rng } from '../src/core/random.ts';
import { GENERATION_VOCABULARY } from '../src/provider/tokens.ts';

/** One token's entry as OpenAI chat returns it in `logprobs.content`. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

/** The entry of token `index` (text `token`) of the answer to the request with key `requestKey`, with `top` alternatives. */
export function tokenLogprob(requestKey: number, index: number, token: string, top: number): TokenLogprob {
  const rng = Rng.derive(requestKey, `logprob|${index}`);
  const logprob = round4(-rng.next() * 0.5);
  const alternatives: TokenLogprob['top_logprobs'] = [];
  if (top > 0) alternatives.push({ token, logprob, bytes: bytesOf(token) });
  let next = logprob;
  while (alternatives.length < top) {
    const word = (index === 0 ? '' : ' ') + GENERATION_VOCABULARY[rng.int(GENERATION_VOCABULARY.length)]!;
    if (alternatives.some((a) => a.token === word)) continue;
    next = round4(next - 0.5 - rng.next() * 2);
    alternatives.push({ token: word, logprob: next, bytes: bytesOf(word) });
  }
  return { token, logprob, bytes: bytesOf(token), top_logprobs: alternatives };
}

function bytesOf(text: string): number[] {
  return Array.from(Buffer.from(text));
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
