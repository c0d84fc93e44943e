// The one implementation of the mock's token counting, in plain JavaScript so that the
// tokenizer worker (tokenizer-worker.mjs) loads it without a TypeScript loader. gpt-tokenizer's
// o200k_base (the gpt-4o encoding) for every model, so counts agree whatever the model id.
//
// A prompt is `encodeChat(messages, 'gpt-4o')`: the ChatML layout OpenAI's cookbook documents,
// per message `<|im_start|>` + role + `<|im_sep|>` + content + `<|im_end|>` (3 tokens of overhead
// plus the role), then 3 tokens priming the reply. Special-token text inside content counts as
// plain text (never rejected). Loading this module costs about 21 MB of heap: the mock's server
// process never imports it (its event loop and garbage collector stay lean); the worker does.
import { encode, encodeChat } from 'gpt-tokenizer';

const PLAIN_TEXT = { disallowedSpecial: new Set() };
const CHAT_MODEL = 'gpt-4o';

/** The ids priming the assistant reply, after the last message. */
export const REPLY_PRIMER_IDS = Object.freeze(encodeChat([], CHAT_MODEL, PLAIN_TEXT));

/** Tokens of `text` alone. */
export function countTextTokens(text) {
  return encode(text, PLAIN_TEXT).length;
}

/** Role of a text counted as it is, outside the chat layout (a legacy completions prompt). */
export const RAW_TEXT_ROLE = '';

/** One message's ids in the chat layout, without the reply primer (role RAW_TEXT_ROLE: the text's own ids). */
export function messageIds(role, content) {
  if (role === RAW_TEXT_ROLE) return encode(content, PLAIN_TEXT);
  return encodeChat([{ role, content }], CHAT_MODEL, PLAIN_TEXT).slice(0, -REPLY_PRIMER_IDS.length);
}

/** A whole prompt's ids: each message's, then the reply primer (equal to `encodeChat(messages, 'gpt-4o')`). */
export function encodePrompt(messages) {
  const out = [];
  for (const m of messages) for (const id of messageIds(m.role, m.content)) out.push(id);
  for (const id of REPLY_PRIMER_IDS) out.push(id);
  return out;
}
