/**
 * Scripted replies for deterministic agent tests: a fixture matches requests (model, last user
 * message as text or regex, a tool result present, the request's index, the API) and gives the
 * reply (text, tool calls, JSON, an error or a fault). The first fixture that matches wins; any
 * other request gets a generated reply. A fixture's reply still goes through the core: its
 * model's latency, pricing and ledger row.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { AnswerDraft } from './answer.ts';
import { ApiError, MockConfigError, type ApiErrorType } from './errors.ts';
import { FORCEABLE_FAULTS, type ForcedFault } from './exchange.ts';
import { generateValue } from './json-schema.ts';
import type { LedgerEndpoint } from './ledger.ts';
import type { ModelRequest } from './model-request.ts';
import { answerRng, randomId } from './tools.ts';

/** A text matcher: the text contains the string, or matches the regular expression. */
export type TextMatcher = string | RegExp | { regex: string; flags?: string };

/** What a fixture matches; every matcher given must match. */
export interface FixtureMatch {
  /** The requested model id. */
  model?: string;
  /** The last user message (contains the string, or matches the regex). */
  lastUser?: TextMatcher;
  /** A tool result is in the conversation (true), or none is (false). */
  toolResult?: boolean;
  /** The request's index among the model requests the server received, from 0. */
  requestIndex?: number;
  /** The API: chat, responses, completions or messages. */
  endpoint?: Exclude<LedgerEndpoint, 'embeddings'>;
}

/** One tool call of a scripted reply; without `arguments`, they are generated from the tool's schema in the request. */
export interface FixtureToolCall {
  name: string;
  arguments?: Record<string, unknown>;
}

/** A scripted reply. */
export type FixtureReply =
  | { text: string }
  | { toolCalls: FixtureToolCall[] }
  | { json: unknown }
  | { error: { status: number; message: string; type?: ApiErrorType; code?: string } }
  | { fault: ForcedFault };

/** One fixture: when it matches, the reply (at most `times` times when given). */
export interface Fixture {
  match?: FixtureMatch;
  reply: FixtureReply;
  times?: number;
}

/** What a matched fixture makes the core do. */
export type FixtureOutcome = { kind: 'draft'; draft: AnswerDraft } | { kind: 'error'; error: ApiError } | { kind: 'fault'; fault: ForcedFault };

/** Gives fixtures their types (an identity, for TS fixture files: `export default defineFixtures([...])`). */
export function defineFixtures(fixtures: Fixture[]): Fixture[] {
  return fixtures;
}

const textMatcher = z.union([z.string(), z.instanceof(RegExp), z.strictObject({ regex: z.string(), flags: z.string().optional() })]);
const FixtureSchema = z.strictObject({
  match: z
    .strictObject({
      model: z.string().optional(),
      lastUser: textMatcher.optional(),
      toolResult: z.boolean().optional(),
      requestIndex: z.number().int().min(0).optional(),
      endpoint: z.enum(['chat', 'responses', 'completions', 'messages', 'generateContent']).optional(),
    })
    .optional(),
  reply: z.union([
    z.strictObject({ text: z.string() }),
    z.strictObject({ toolCalls: z.array(z.strictObject({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()).optional() })).min(1) }),
    z.strictObject({ json: z.unknown() }),
    z.strictObject({
      error: z.strictObject({
        status: z.number().int().min(400).max(599),
        message: z.string(),
        type: z.enum(['invalid_request_error', 'authentication_error', 'not_found_error', 'requests', 'tokens', 'server_error']).optional(),
        code: z.string().optional(),
      }),
    }),
    z.strictObject({ fault: z.enum(FORCEABLE_FAULTS) }),
  ]),
  times: z.number().int().min(1).optional(),
});

const REPLY_SHAPES = 'expected one of { text }, { toolCalls: [{ name, arguments? }] }, { json }, { error: { status, message } }, { fault }';

/** Checks fixtures (from options or a file); throws MockConfigError naming the fixture and field. */
export function checkFixtures(value: unknown, source: string): Fixture[] {
  const list = z.array(FixtureSchema).safeParse(isRecord(value) && 'fixtures' in value ? value['fixtures'] : value);
  if (!list.success) {
    const issue = list.error.issues[0]!;
    const at = issue.path.length === 0 ? '(top level)' : issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const what = issue.path.at(-1) === 'reply' && issue.code === 'invalid_union' ? REPLY_SHAPES : issue.message;
    throw new MockConfigError(
      `Fixtures ${source}: ${at}: ${what}. Please give an array of { match?, reply, times? } (see README "Test your agent against mock-llm").`,
    );
  }
  for (const [i, f] of list.data.entries()) {
    const m = f.match?.lastUser;
    if (isRecord(m) && !(m instanceof RegExp)) {
      try {
        new RegExp(m.regex, m.flags);
      } catch (err) {
        throw new MockConfigError(`Fixtures ${source}: [${i}].match.lastUser.regex: ${(err as Error).message}.`);
      }
    }
  }
  return list.data as Fixture[];
}

/** Reads a JSON fixtures file (an array, or `{ "fixtures": [...] }`). */
export function readFixturesFile(file: string): Fixture[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MockConfigError(
      `Failed to read fixtures file "${file}": ${(err as Error).message}. Please give a JSON array of fixtures (or a .ts file for the CLI).`,
    );
  }
  return checkFixtures(parsed, `file "${file}"`);
}

/** The fixtures of one core, with how often each was used. */
export class FixtureSet {
  private readonly used: number[];
  private readonly regexes: (RegExp | undefined)[];

  constructor(private readonly fixtures: readonly Fixture[]) {
    this.used = fixtures.map(() => 0);
    this.regexes = fixtures.map((f) => {
      const m = f.match?.lastUser;
      if (m instanceof RegExp) return m;
      return isRecord(m) ? new RegExp(m.regex, m.flags) : undefined;
    });
  }

  /** The outcome of the first fixture matching this request, or undefined (the reply is generated). */
  match(req: ModelRequest, endpoint: LedgerEndpoint, index: number, requestKey: number, idPrefix: string): FixtureOutcome | undefined {
    for (let i = 0; i < this.fixtures.length; i++) {
      const f = this.fixtures[i]!;
      if (f.times !== undefined && this.used[i]! >= f.times) continue;
      if (!this.matches(i, f.match, req, endpoint, index)) continue;
      this.used[i]!++;
      return outcome(f.reply, req, requestKey, idPrefix);
    }
    return undefined;
  }

  private matches(i: number, m: FixtureMatch | undefined, req: ModelRequest, endpoint: LedgerEndpoint, index: number): boolean {
    if (m === undefined) return true;
    if (m.model !== undefined && m.model !== req.model) return false;
    if (m.endpoint !== undefined && m.endpoint !== endpoint) return false;
    if (m.requestIndex !== undefined && m.requestIndex !== index) return false;
    if (m.toolResult !== undefined && m.toolResult !== req.hasToolResult) return false;
    if (m.lastUser !== undefined) {
      const re = this.regexes[i];
      if (re !== undefined) {
        re.lastIndex = 0;
        if (!re.test(req.lastUserText)) return false;
      } else if (!req.lastUserText.includes(m.lastUser as string)) {
        return false;
      }
    }
    return true;
  }
}

function outcome(reply: FixtureReply, req: ModelRequest, requestKey: number, idPrefix: string): FixtureOutcome {
  if ('fault' in reply) return { kind: 'fault', fault: reply.fault };
  if ('error' in reply) {
    const e = reply.error;
    const type = e.type ?? (e.status >= 500 ? 'server_error' : 'invalid_request_error');
    return { kind: 'error', error: new ApiError(e.status, e.message, type, e.code ?? null) };
  }
  if ('text' in reply) return { kind: 'draft', draft: { generateTokens: undefined, content: reply.text, toolCalls: [] } };
  if ('json' in reply) return { kind: 'draft', draft: { generateTokens: undefined, content: JSON.stringify(reply.json) ?? 'null', toolCalls: [] } };
  const rng = answerRng(0, requestKey, 'fixture');
  const toolCalls = reply.toolCalls.map((c) => {
    const schema = req.tools.find((t) => t.name === c.name)?.parameters;
    const args = c.arguments ?? (schema === undefined ? {} : generateValue(schema, rng));
    return { id: idPrefix + randomId(rng, 24), name: c.name, arguments: JSON.stringify(args) };
  });
  return { kind: 'draft', draft: { generateTokens: undefined, content: undefined, toolCalls } };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
