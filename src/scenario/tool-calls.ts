/**
 * Which LLM step calls which tool step (a tool step's `toolCall`): the nearest LLM step before
 * it in the same list. One rule, read by the scenario check (load.ts) and the agent
 * (src/agent/tool-calling.ts).
 */
import type { LlmStep, Step, ToolStep } from './schema.ts';

/** A tool step with `toolCall`, the LLM step that calls it, and where it is (for messages). */
export interface ToolCallLink {
  tool: ToolStep & { toolCall: NonNullable<ToolStep['toolCall']> };
  caller: LlmStep | undefined;
  path: string;
  /** Whether an LLM step comes after the tool step in the workflow (one reads its result). */
  readAfter: boolean;
}

/** Every tool-calling tool step of the workflow, in order, with its caller. */
export function toolCallLinks(workflow: Step[]): ToolCallLink[] {
  const links: ToolCallLink[] = [];
  const walk = (steps: Step[], prefix: string): void => {
    let caller: LlmStep | undefined;
    steps.forEach((step, i) => {
      const path = `${prefix}[${i}]`;
      if (step.type === 'llm') {
        caller = step;
        for (const l of links) l.readAfter = true;
      } else if (step.type === 'loop') {
        walk(step.steps, `${path}.steps`);
      } else if (step.type === 'tool' && step.toolCall !== undefined) {
        links.push({ tool: step as ToolCallLink['tool'], caller, path, readAfter: false });
      }
    });
  };
  walk(workflow, 'workflow');
  return links;
}

/** A tool's function name: its step's name in the characters a function name may have (at most 64). */
export function toolName(step: string): string {
  return step.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);
}

/** The first problem with the workflow's tool calling, or null. */
export function toolCallProblem(workflow: Step[]): string | null {
  const callers = new Map<string, string>();
  const names = new Map<string, string>();
  for (const { tool, caller, path, readAfter } of toolCallLinks(workflow)) {
    const at = `${path}.toolCall`;
    const name = toolName(tool.name);
    const same = names.get(name);
    if (same !== undefined) return `${at}: "${tool.name}" and "${same}" would both be the function "${name}"; rename one`;
    names.set(name, tool.name);
    if (caller === undefined) return `${at}: no LLM step before "${tool.name}" in its list to call it`;
    if (caller.model === 'routed') return `${at}: the calling step "${caller.name}" is routed; a step that calls a tool must name its model`;
    const other = callers.get(caller.name);
    if (other !== undefined) return `${at}: "${caller.name}" already calls "${other}"; a step calls one tool`;
    callers.set(caller.name, tool.name);
    if (!readAfter) return `${at}: no LLM step after "${tool.name}" reads its result`;
  }
  return null;
}
