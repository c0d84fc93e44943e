/** Types of tokenize.mjs (see there). */
import type { CountedMessage } from './tokens.ts';

export declare const REPLY_PRIMER_IDS: readonly number[];
export declare function countTextTokens(text: string): number;
export declare function messageIds(role: string, content: string): number[];
export declare function encodePrompt(messages: readonly CountedMessage[]): number[];
