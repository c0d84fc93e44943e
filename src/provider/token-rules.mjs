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

/** Roles whose chat framing is kept (the APIs have a handful; any other is framed by encodeChat each time). */
const MAX_FRAMED_ROLES = 64;

function sameIds(a, b) {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** The counting functions over gpt-tokenizer's `encode` and `encodeChat`. */
export function tokenRules({ encode, encodeChat }) {
  /** The ids priming the assistant reply, after the last message. */
  const REPLY_PRIMER_IDS = Object.freeze(encodeChat([], CHAT_MODEL, PLAIN_TEXT));
  /** Tokens of `text` alone. */
  const countTextTokens = (text) => encode(text, PLAIN_TEXT).length;
  /** One message's ids as encodeChat gives them, without the reply primer. */
  const chatIds = (role, content) => encodeChat([{ role, content }], CHAT_MODEL, PLAIN_TEXT).slice(0, -REPLY_PRIMER_IDS.length);
  /**
   * Per role, the ids encodeChat puts before and after a message's content (`<|im_start|>`, the
   * role, `<|im_sep|>`; `<|im_end|>`), read off encodeChat's own output once: encodeChat encodes
   * the content alone between them, but rebuilds its separators (a special-token regex among
   * them) on every call, ~7× the cost of encoding a short content. null when the probes cannot
   * tell where the content goes (then encodeChat is called every time).
   */
  const framings = new Map();
  const framing = (role) => {
    let f = framings.get(role);
    if (f !== undefined) return f;
    const empty = chatIds(role, '');
    const probes = ['x', ' 42 probe, text'];
    f = null;
    for (let k = 0; k <= empty.length && f === null; k++) {
      const before = empty.slice(0, k);
      const after = empty.slice(k);
      if (probes.every((p) => sameIds(chatIds(role, p), [...before, ...encode(p, PLAIN_TEXT), ...after]))) f = { before, after };
    }
    if (framings.size < MAX_FRAMED_ROLES) framings.set(role, f);
    return f;
  };
  /** One message's ids in the chat layout, without the reply primer (role RAW_TEXT_ROLE: the text's own ids). */
  const messageIds = (role, content) => {
    if (role === RAW_TEXT_ROLE) return encode(content, PLAIN_TEXT);
    const f = typeof content === 'string' ? framing(role) : null;
    if (f === null) return chatIds(role, content);
    return f.before.concat(encode(content, PLAIN_TEXT), f.after);
  };
  /** A whole prompt's ids: each message's, then the reply primer (equal to `encodeChat(messages, 'gpt-4o')`). */
  const encodePrompt = (messages) => {
    const out = [];
    for (const m of messages) for (const id of messageIds(m.role, m.content)) out.push(id);
    for (const id of REPLY_PRIMER_IDS) out.push(id);
    return out;
  };
  return { REPLY_PRIMER_IDS, countTextTokens, messageIds, encodePrompt };
}
