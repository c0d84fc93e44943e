// The mock's token counting rules over a tokenizer, written once: tokenize.mjs binds them to
// gpt-tokenizer when it loads (the tokenizer thread, tests), and the agent's tool calling binds
// them lazily (it is built synchronously, and only scenarios with tool calls pay the ~21 MB).
// o200k_base (the gpt-4o encoding) for every model, so counts agree whatever the model id.
//
// A prompt is `encodeChat(messages, 'gpt-4o')`: the ChatML layout OpenAI's cookbook documents,
// per message `<|im_start|>` + role + `<|im_sep|>` + content + `<|im_end|>` (3 tokens of overhead
// plus the role), then 3 tokens priming the reply. Special-token text inside content counts as
// plain text (never rejected).

const PLAIN_TEXT = { disallowedSpecial: new Set() };
const CHAT_MODEL = 'gpt-4o';

/** Role of a text counted as it is, outside the chat layout (a legacy completions prompt). */
const RAW_TEXT_ROLE = '';

/** The counting functions over gpt-tokenizer's `encode` and `encodeChat`. */
export function tokenRules({ encode, encodeChat }) {
  /** The ids priming the assistant reply, after the last message. */
  const REPLY_PRIMER_IDS = Object.freeze(encodeChat([], CHAT_MODEL, PLAIN_TEXT));
  /** Tokens of `text` alone. */
  const countTextTokens = (text) => encode(text, PLAIN_TEXT).length;
  /** One message's ids in the chat layout, without the reply primer (role RAW_TEXT_ROLE: the text's own ids). */
  const messageIds = (role, content) =>
    role === RAW_TEXT_ROLE ? encode(content, PLAIN_TEXT) : encodeChat([{ role, content }], CHAT_MODEL, PLAIN_TEXT).slice(0, -REPLY_PRIMER_IDS.length);
  /** A whole prompt's ids: each message's, then the reply primer (equal to `encodeChat(messages, 'gpt-4o')`). */
  const encodePrompt = (messages) => {
    const out = [];
    for (const m of messages) for (const id of messageIds(m.role, m.content)) out.push(id);
    for (const id of REPLY_PRIMER_IDS) out.push(id);
    return out;
  };
  return { REPLY_PRIMER_IDS, countTextTokens, messageIds, encodePrompt };
}
