/**
 * Conversation state of the Responses API: each stored response's conversation (its input and
 * its output, as counted messages), so that a request naming it with `previous_response_id`
 * continues it. Bounded in memory: the oldest responses go first once more than `maxResponses`
 * are kept or their texts pass `maxChars` characters in all.
 */
import type { CountedMessage } from '../src/provider/tokens.ts';
import type { TurnState } from './tools.ts';

/** A stored response's conversation. */
export interface StoredConversation {
  /** Messages through the response's output (instructions and tool definitions do not carry over, as with OpenAI). */
  readonly messages: readonly CountedMessage[];
  /** call_ids of every function call in it (a later function_call_output must answer one). */
  readonly callIds: readonly string[];
  readonly turn: TurnState;
  readonly lastUserText: string;
  readonly hasToolResult: boolean;
}

/** Responses kept by default, and their texts' characters in all. */
const MAX_RESPONSES = 1000;
const MAX_CHARS = 8_000_000;

/** Stored responses by id, oldest first. */
export class ConversationStore {
  private readonly byId = new Map<string, { conversation: StoredConversation; chars: number }>();
  private chars = 0;

  constructor(
    private readonly maxResponses = MAX_RESPONSES,
    private readonly maxChars = MAX_CHARS,
  ) {}

  get(id: string): StoredConversation | undefined {
    return this.byId.get(id)?.conversation;
  }

  /** Keeps a response's conversation; drops the oldest beyond the bounds (one too large for them is not kept). */
  put(id: string, conversation: StoredConversation): void {
    let chars = 0;
    for (const m of conversation.messages) chars += m.content.length;
    if (chars > this.maxChars) return;
    this.delete(id);
    this.byId.set(id, { conversation, chars });
    this.chars += chars;
    while (this.byId.size > this.maxResponses || this.chars > this.maxChars) this.delete(this.byId.keys().next().value!);
  }

  /** Responses kept now. */
  get size(): number {
    return this.byId.size;
  }

  private delete(id: string): void {
    const entry = this.byId.get(id);
    if (entry === undefined) return;
    this.byId.delete(id);
    this.chars -= entry.chars;
  }
}
