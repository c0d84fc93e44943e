// The mock's token counting (token-rules.mjs) bound to gpt-tokenizer, in plain JavaScript so that
// the tokenizer worker (tokenizer-worker.mjs) loads it without a TypeScript loader. Loading this
// module costs about 21 MB of heap: the mock's server process never imports it (its event loop
// and garbage collector stay lean); the worker does.
import { encode, encodeChat } from 'gpt-tokenizer';
import { tokenRules } from './token-rules.mjs';

export const { REPLY_PRIMER_IDS, countTextTokens, messageIds, encodePrompt } = tokenRules({ encode, encodeChat });
