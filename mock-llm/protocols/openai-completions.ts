/**
 * OpenAI's legacy Completions (`POST /v1/completions`): a text prompt (counted as plain text,
 * no chat layout), `max_tokens` defaulting to 16 as OpenAI's does, stop, integer `logprobs`,
 * streamed as `text_completion` chunks.
 */
import { z } from 'zod';
import { ApiError, invalidRequest } from '../errors.ts';
import { tokenLogprob } from '../logprobs.ts';
import type { Answer } from '../answer.ts';
import { choiceKey, RAW_TEXT_ROLE, type ModelRequest } from '../model-request.ts';
import { bearerAuthorized, type CallView, type Protocol, type StreamSink, type StreamWriter } from '../protocol.ts';
import { OPENAI_SAMPLING_FIELDS, parseBody } from '../requests.ts';
import { TokenEvents } from '../token-events.ts';
import { chatUsageJson, openaiUnauthorized } from './openai-common.ts';

/** OpenAI's default `max_tokens` for completions. */
const DEFAULT_MAX_TOKENS = 16;

const CompletionsRequestSchema = z.looseObject({
  model: z.string().min(1),
  prompt: z.union([z.string(), z.array(z.string()).length(1)]),
  ...OPENAI_SAMPLING_FIELDS,
  max_tokens: z.number().int().min(1).nullable().optional(),
  logprobs: z.number().int().min(0).max(5).nullable().optional(),
  echo: z.boolean().nullable().optional(),
  seed: z.number().int().nullable().optional(),
  user: z.string().optional(),
});

/** The OpenAI completions adapter. */
export const openaiCompletions: Protocol = {
  endpoint: 'completions',
  toolCallIdPrefix: 'call_',
  authorized: bearerAuthorized,
  unauthorized: openaiUnauthorized,
  parse: parseCompletions,
  errorBody: (err) => err.toBody(),
  whole: completionsWhole,
  asciiWhole: (call) => call.answer.generated !== undefined && call.request.topLogprobs === null && call.request.echo !== true,
  stream: (call) => new CompletionsStream(call),
};

function parseCompletions(text: string): ModelRequest | ApiError {
  const body = parseBody(CompletionsRequestSchema, text);
  if (body instanceof ApiError) {
    if (body.param === 'prompt' || body.param?.startsWith('prompt.') === true) {
      return invalidRequest(
        "Invalid 'prompt': the mock accepts a string or an array of one string (token arrays and batches are not supported).",
        'prompt',
        'invalid_value',
      );
    }
    return body;
  }
  const prompt = typeof body.prompt === 'string' ? body.prompt : body.prompt[0]!;
  return {
    model: body.model,
    messages: [{ role: RAW_TEXT_ROLE, content: prompt }],
    rawPrompt: true,
    stream: body.stream === true,
    maxOutputTokens: body.max_tokens ?? DEFAULT_MAX_TOKENS,
    stop: body.stop == null ? null : typeof body.stop === 'string' ? [body.stop] : body.stop,
    tools: [],
    toolChoice: { kind: 'none' },
    parallelToolCalls: false,
    format: { kind: 'text' },
    includeUsage: body.stream_options?.include_usage === true,
    turn: { lastRole: 'user', toolRounds: 0 },
    lastUserText: prompt,
    hasToolResult: false,
    metadata: undefined,
    seed: body.seed ?? null,
    topLogprobs: body.logprobs ?? null,
    cachePrefixMessages: 0,
    choices: body.n ?? 1,
    echo: body.echo === true,
  };
}

/** The legacy logprobs object of text units [from, to). */
function legacyLogprobs(call: CallView, answer: Answer, index: number, from: number, to: number, offset: number): Record<string, unknown> {
  const tokens: string[] = [];
  const tokenLogprobs: number[] = [];
  const top: Record<string, number>[] = [];
  const textOffset: number[] = [];
  for (let i = from; i < to; i++) {
    const u = answer.unit(i);
    if (u.kind !== 'text') continue;
    const lp = tokenLogprob(choiceKey(call.requestKey, index), i, u.text, call.request.topLogprobs ?? 0);
    tokens.push(lp.token);
    tokenLogprobs.push(lp.logprob);
    top.push(Object.fromEntries(lp.top_logprobs.map((t) => [t.token, t.logprob])));
    textOffset.push(offset);
    offset += u.text.length;
  }
  return { tokens, token_logprobs: tokenLogprobs, top_logprobs: top, text_offset: textOffset };
}

/** The prompt sent back before the completion (`echo`), or ''. */
function echoed(call: CallView): string {
  return call.request.echo === true ? call.request.messages[0]!.content : '';
}

function completionsWhole(call: CallView): string {
  const echo = echoed(call);
  const choices = (call.choices ?? [call.answer]).map((answer, index) => {
    const logprobs = call.request.topLogprobs === null ? 'null' : JSON.stringify(legacyLogprobs(call, answer, index, 0, answer.units, echo.length));
    const text = answer.generated !== undefined && echo === '' ? `"${answer.generated.text()}"` : JSON.stringify(echo + answer.text());
    return `{"text":${text},"index":${index},"logprobs":${logprobs},"finish_reason":"${answer.finish}"}`;
  });
  return (
    `{"id":"${call.id}","object":"text_completion","created":${call.createdS},"model":${call.modelJson},` +
    `"choices":[${choices.join(',')}],"usage":${chatUsageJson(call)},"system_fingerprint":"fp_mock"}`
  );
}

/** `text_completion` chunks: generated words as bytes, anything else (fixtures, logprobs) as objects. */
class CompletionsStream implements StreamWriter {
  private readonly head: string;
  private readonly events: TokenEvents | undefined;
  /** Characters sent so far, per choice (the legacy logprobs' text_offset). */
  private readonly offsets: number[];

  constructor(private readonly call: CallView) {
    this.head = `data: {"id":"${call.id}","object":"text_completion","created":${call.createdS},"model":${call.modelJson},"system_fingerprint":"fp_mock","choices":[{`;
    const usage = call.request.includeUsage ? ',"usage":null' : '';
    this.offsets = new Array<number>(call.choices?.length ?? 1).fill(echoed(call).length);
    if (call.choices === undefined && call.answer.generated !== undefined && call.request.topLogprobs === null && call.answer.units > 0) {
      this.events = new TokenEvents(this.head, '', '"text":"', `","index":0,"logprobs":null,"finish_reason":null}]${usage}}\n\n`, call.answer.generated);
    }
  }

  write(sink: StreamSink, from: number, to: number): void {
    if (from === 0 && this.call.request.echo === true) sink.write(this.echoChunks());
    const events = this.events;
    if (events === undefined) return sink.write(this.chunks(from, to));
    events.from = from;
    events.to = to;
    sink.writeBytes(events, events.byteLength());
  }

  end(from: number, to: number): string {
    let out = from === 0 && this.call.request.echo === true ? this.echoChunks() : '';
    if (to > from) {
      if (this.events === undefined) out += this.chunks(from, to);
      else {
        this.events.from = from;
        this.events.to = to;
        out += this.events.toText();
      }
    }
    const usage = this.call.request.includeUsage ? ',"usage":null' : '';
    (this.call.choices ?? [this.call.answer]).forEach((a, index) => {
      out += `${this.head}"text":"","index":${index},"logprobs":null,"finish_reason":"${a.finish}"}]${usage}}\n\n`;
    });
    if (this.call.request.includeUsage) out += `${this.head.slice(0, -1)}],"usage":${chatUsageJson(this.call)}}\n\n`;
    return out + 'data: [DONE]\n\n';
  }

  /** `echo`: the prompt, one chunk per choice, before its first token. */
  private echoChunks(): string {
    const usage = this.call.request.includeUsage ? ',"usage":null' : '';
    const text = JSON.stringify(echoed(this.call));
    let out = '';
    for (let index = 0; index < (this.call.choices?.length ?? 1); index++) {
      out += `${this.head}"text":${text},"index":${index},"logprobs":null,"finish_reason":null}]${usage}}\n\n`;
    }
    return out;
  }

  private chunks(from: number, to: number): string {
    let out = '';
    const usage = this.call.request.includeUsage ? ',"usage":null' : '';
    const answers = this.call.choices ?? [this.call.answer];
    for (let i = from; i < to; i++) {
      for (let index = 0; index < answers.length; index++) {
        const answer = answers[index]!;
        if (i >= answer.units) continue;
        const u = answer.unit(i);
        if (u.kind !== 'text') continue;
        const logprobs =
          this.call.request.topLogprobs === null ? 'null' : JSON.stringify(legacyLogprobs(this.call, answer, index, i, i + 1, this.offsets[index]!));
        this.offsets[index]! += u.text.length;
        out += `${this.head}"text":${JSON.stringify(u.text)},"index":${index},"logprobs":${logprobs},"finish_reason":null}]${usage}}\n\n`;
      }
    }
    return out;
  }
}
