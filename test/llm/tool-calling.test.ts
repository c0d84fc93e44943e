import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../../mock-llm/index.ts';
import { messageTokens, textTokens, ToolCalling, type ToolCallShape, type ToolJobState } from '../../src/agent/tool-calling.ts';
import { VirtualClock } from '../../src/engine/virtual-clock.ts';
import type { ChatCall, ChatResult } from '../../src/llm/client.ts';
import { SimLlmClient } from '../../src/llm/sim-client.ts';
import { HttpLlmClient } from '../../src/llm/http-client.ts';
import { RealClock } from '../../src/live/real-clock.ts';
import { buildCatalog } from '../../src/provider/catalog.ts';
import { encodePrompt, messageIds } from '../../src/provider/tokenize.mjs';
import { resolveScenario } from '../../src/scenario/load.ts';
import type { ToolStep } from '../../src/scenario/schema.ts';

/**
 * Tool calling in a workflow: the calling step's call and the next step's call carry exactly
 * the tokens the simulator counts, call for call, against mock-llm over HTTP (the live client,
 * unchanged wire path), and the call the mock makes is valid against the offered schema.
 */
const base = {
  name: 'tools',
  traffic: { requestsPerDay: 1000 },
  requestMix: [{ name: 'q', share: 1, inputTokens: 80, outputTokens: 40, difficulty: 0.3, intents: 50 }],
};
const workflow = [
  { type: 'llm', name: 'plan', model: 'gpt-4o-mini', systemPromptTokens: 300, outputTokens: 6, quality: false },
  { type: 'tool', name: 'kb-search', latencyMs: 100, keyBy: 'intent', toolCall: { resultTokens: { dist: 'lognormal', mean: 300, cv: 0.4 } } },
  { type: 'llm', name: 'answer', model: 'gpt-4o-mini', systemPromptTokens: 500 },
];

describe('tool calling: the scenario rule', () => {
  it('accepts a tool step called by the LLM step before it and read by one after it', () => {
    expect(() => resolveScenario({ ...base, workflow })).not.toThrow();
  });

  it.each([
    [[workflow[1], workflow[2]], /workflow\[0\]\.toolCall: no LLM step before "kb-search"/],
    [[workflow[0], workflow[1]], /workflow\[1\]\.toolCall: no LLM step after "kb-search" reads its result/],
    [[{ ...workflow[0], model: 'routed' }, workflow[1], workflow[2]], /the calling step "plan" is routed/],
    [[workflow[0], workflow[1], { ...workflow[1], name: 'other' }, workflow[2]], /"plan" already calls "kb-search"; a step calls one tool/],
    [
      [
        workflow[0],
        { ...workflow[1], name: 'kb_search' },
        workflow[2],
        { ...workflow[0], name: 'plan2' },
        { ...workflow[1], name: 'kb search' },
        { ...workflow[2], name: 'final' },
      ],
      /workflow\[4\]\.toolCall: "kb search" and "kb_search" would both be the function "kb_search"; rename one/,
    ],
  ])('names the field of a bad link (%#)', (steps, message) => {
    expect(() => resolveScenario({ ...base, workflow: steps })).toThrow(message);
  });
});

describe('tool calling: token counts', () => {
  it('counts as the mock counts (its tokenizer)', () => {
    for (const [role, text] of [
      ['system', '[{"type":"function"}]'],
      ['assistant', 'kb-search({"intent_id":123})'],
      ['tool', 'the cost of data'],
    ] as const) {
      expect(messageTokens(role, text)).toBe(messageIds(role, text).length);
    }
  });

  it('a call costs the same tokens whatever three-digit value the model draws', () => {
    for (const param of ['query_id', 'intent_id', 'topic_id']) {
      const args = new Set<number>();
      const message = new Set<number>();
      for (let v = 100; v <= 999; v++) {
        args.add(textTokens(`{"${param}":${v}}`));
        message.add(messageTokens('assistant', `kb-search({"${param}":${v}})`));
      }
      expect([args.size, message.size]).toEqual([1, 1]);
    }
  });
});

describe('tool calling: timing', () => {
  it('the simulator generates every output token of a tool call at the model TPOT', async () => {
    const steady = buildCatalog({
      steady: { extends: 'gpt-4o-mini', latency: { ttftBaseMs: 100, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 10, itlCv: 0, slowdownAtCap: 0 } },
    });
    const { scenario } = resolveScenario({ ...base, workflow });
    const shape: ToolCallShape = { inputTokens: 380, prefixTokens: 300, outputTokens: 6 };
    ToolCalling.of(scenario)!.shape('plan', {}, shape);
    const clock = new VirtualClock();
    const client = new SimLlmClient({ catalog: steady, clock, promptCaching: false });
    const call: ChatCall = {
      model: 'steady',
      step: 'plan',
      jobId: 1,
      jobSeed: 1,
      stepSeed: 1,
      callIndex: 0,
      difficulty: 0.3,
      stream: true,
      inputTokens: shape.inputTokens,
      prefixTokens: shape.prefixTokens,
      outputTokens: shape.outputTokens,
      tools: shape.tools!,
    };
    const gaps: number[] = [];
    client.observeTokenGaps((ms) => void gaps.push(ms));
    let r: ChatResult | undefined;
    clock.spawn(async () => void (r = await client.chat(call)));
    await clock.run();
    expect(shape.outputTokens).toBeGreaterThan(6);
    expect(r).toMatchObject({ outcome: 'ok', ttftMs: 100, latencyMs: 100 + (shape.outputTokens - 1) * 10 });
    expect(gaps).toEqual([]); // no content, so no gaps between content tokens (as live)
  });
});

describe('tool calling against mock-llm, call for call', () => {
  const catalog = buildCatalog();
  let server: MockServer;
  beforeAll(async () => {
    server = await startMockServer({ port: 0, host: '127.0.0.1', seed: 3, models: catalog, timeScale: 1000 });
  });
  afterAll(async () => {
    await server.close();
  });

  const { scenario } = resolveScenario({ ...base, workflow });
  const tools = ToolCalling.of(scenario)!;
  const toolStep = scenario.workflow[1] as ToolStep;

  function call(step: string, shape: ToolCallShape, jobId: number): ChatCall {
    const c: ChatCall = {
      model: 'gpt-4o-mini',
      step,
      jobId,
      jobSeed: jobId,
      callIndex: 0,
      stepSeed: jobId,
      inputTokens: shape.inputTokens,
      prefixTokens: shape.prefixTokens,
      outputTokens: shape.outputTokens,
      difficulty: 0.3,
      stream: false,
      wordingId: jobId,
    };
    if (shape.tools !== undefined) c.tools = shape.tools;
    return c;
  }

  it('the calling step offers the tool and gets the call; the next step sends it back with the result', async () => {
    const client = new HttpLlmClient({ baseUrl: `${server.url}/v1`, catalog, clock: new RealClock(1000), timeScale: 1000 });
    const ajv = new Ajv({ strict: false });
    const validate = ajv.compile(tools.calledBy('plan')!.function.parameters);
    try {
      for (let job = 1; job <= 6; job++) {
        const state: { tools?: ToolJobState } = {};
        const plan: ToolCallShape = { inputTokens: 300 + 80, prefixTokens: 300, outputTokens: 6 };
        tools.shape('plan', state, plan);
        const r = await client.chat(call('plan', plan, job));
        expect(r.outcome).toBe('ok');
        expect([r.inputTokens, r.outputTokens]).toEqual([plan.inputTokens, plan.outputTokens]);
        expect(r.toolCalls).toHaveLength(1);
        expect(r.toolCalls![0]!.name).toBe('kb-search');
        expect(r.toolCalls![0]!.id).toMatch(/^call_/);
        expect(validate(JSON.parse(r.toolCalls![0]!.arguments))).toBe(true);
        tools.answered(state, plan.tools, r);
        tools.ran(toolStep, state, `q/intent/${job}`);
        const answer: ToolCallShape = { inputTokens: 500 + 80, prefixTokens: 500, outputTokens: 30 };
        tools.shape('answer', state, answer);
        expect(answer.tools?.exchange?.calls[0]).toEqual(r.toolCalls![0]);
        const a = await client.chat(call('answer', answer, job));
        expect(a.outcome).toBe('ok');
        expect([a.inputTokens, a.outputTokens]).toEqual([answer.inputTokens, 30]);
        expect(a.toolCalls).toBeUndefined();
      }
    } finally {
      await client.close();
    }
  });

  it('offers every tool of the workflow, and the mock calls the one tool_choice names', async () => {
    const two = resolveScenario({
      ...base,
      workflow: [
        workflow[0],
        workflow[1],
        { type: 'llm', name: 'check', model: 'gpt-4o-mini', systemPromptTokens: 200, quality: false },
        { type: 'tool', name: 'order status', latencyMs: 50, keyBy: 'prompt', toolCall: { resultTokens: 120 } },
        workflow[2],
      ],
    }).scenario;
    const calling = ToolCalling.of(two)!;
    const client = new HttpLlmClient({ baseUrl: `${server.url}/v1`, catalog, clock: new RealClock(1000), timeScale: 1000 });
    try {
      for (const [step, name] of [
        ['plan', 'kb-search'],
        ['check', 'order_status'],
      ] as const) {
        const shape: ToolCallShape = { inputTokens: 400, prefixTokens: 200, outputTokens: 6 };
        calling.shape(step, {}, shape);
        expect(shape.tools!.offer!.tools.map((t) => t.function.name)).toEqual(['kb-search', 'order_status']);
        const r = await client.chat(call(step, shape, 11));
        expect([r.inputTokens, r.outputTokens]).toEqual([shape.inputTokens, shape.outputTokens]);
        expect(r.toolCalls!.map((c) => c.name)).toEqual([name]);
      }
    } finally {
      await client.close();
    }
  });

  it('sends a call of its own, of the same size, when the calling step made none (served from a cache)', async () => {
    const state: { tools?: ToolJobState } = {};
    tools.ran(toolStep, state, 'q/intent/7');
    const answer: ToolCallShape = { inputTokens: 580, prefixTokens: 500, outputTokens: 10 };
    tools.shape('answer', state, answer);
    const { chatMessages } = await import('../../src/llm/prompt-text.ts');
    const messages = chatMessages({ step: 'answer', prefixTokens: 500, inputTokens: answer.inputTokens, wording: 'w', tools: answer.tools! });
    const counted = messages.map((m) => ({
      role: m.role,
      content: 'tool_calls' in m ? m.tool_calls.map((c) => `${c.function.name}(${c.function.arguments})`).join('') : m.content,
    }));
    expect(encodePrompt(counted).length).toBe(answer.inputTokens);
  });
});
