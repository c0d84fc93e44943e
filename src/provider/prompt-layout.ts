/**
 * Where the parts of a prompt sit, in tokens, in the chat layout the tokenizer counts
 * (`<|im_start|>role<|im_sep|>content<|im_end|>` per message, then 3 tokens priming the reply).
 * Shared by the live client (which writes the text) and the simulated client (whose provider
 * prompt cache matches prefixes the way mock-llm's does), so the two agree token for token.
 * The constants are checked against gpt-tokenizer in the tests; this module stays light so the
 * simulator never loads the tokenizer.
 */
import { REPLY_PRIMER_TOKENS } from './tokens.ts';

/** Tokens before a message's content: `<|im_start|>`, the role, `<|im_sep|>`. */
export const MESSAGE_HEADER_TOKENS = 3;
/** Tokens after a message's content: `<|im_end|>`. */
export const MESSAGE_END_TOKENS = 1;
/** Tokens priming the assistant's reply after the last message (mock-llm's constant: one definition). */
export { REPLY_PRIMER_TOKENS };

/** Token offsets of one prompt: an optional system message of `prefixTokens`, then the user message. */
export interface PromptLayout {
  /** Tokens of the system message, overhead included (0 when there is none). */
  systemTokens: number;
  /** Content tokens of the system message. */
  systemContentTokens: number;
  /** Offset of the first token of the user message's content. */
  userContentStart: number;
  /** Content tokens of the user message. */
  userContentTokens: number;
  /** Offset just past the user message's content. */
  userContentEnd: number;
}

/** The layout of a prompt of `inputTokens` whose leading `prefixTokens` are the step's system message. */
export function promptLayout(prefixTokens: number, inputTokens: number): PromptLayout {
  const overhead = MESSAGE_HEADER_TOKENS + MESSAGE_END_TOKENS;
  const systemTokens = prefixTokens > overhead ? prefixTokens : 0;
  const userContentStart = systemTokens + MESSAGE_HEADER_TOKENS;
  const userContentTokens = Math.max(1, inputTokens - systemTokens - overhead - REPLY_PRIMER_TOKENS);
  return {
    systemTokens,
    systemContentTokens: systemTokens === 0 ? 0 : systemTokens - overhead,
    userContentStart,
    userContentTokens,
    userContentEnd: userContentStart + userContentTokens,
  };
}
