/** Types of token-rules.mjs (see there). */
import type { CountedMessage } from './tokens.ts';

/** What gpt-tokenizer provides to the rules. */
export interface GptTokenizer {
  encode(text: string, options: object): number[];
  encodeChat(messages: Array<{ role: string; content: string }>, model: string, options: object): number[];
}

export interface TokenRules {
  readonly REPLY_PRIMER_IDS: readonly number[];
  countTextTokens(text: string): number;
  messageIds(role: string, content: string): number[];
  encodePrompt(messages: readonly CountedMessage[]): number[];
}

export declare function tokenRules(tokenizer: GptTokenizer): TokenRules;
