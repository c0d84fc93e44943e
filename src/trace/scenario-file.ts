/**
 * Writes a fitted workload as a readable scenario file: the traffic and request mix with a
 * comment on why each was chosen, one `answer` step, and `fittedFrom` (the trace's own figures,
 * so a run of the scenario can show trace and simulation side by side).
 */
import { basename } from 'node:path';
import { fitKinds, fitTraffic, type FittedKind } from './fit.ts';
import { traceStats, type TraceStats } from './stats.ts';
import { round } from '../core/round.ts';
import type { TokenFit } from './token-fit.ts';
import type { Trace } from './trace.ts';
import type { WorkloadFigures } from '../scenario/schema.ts';

/** The trace's figures in the shape a report compares. */
export function traceFigures(s: TraceStats): WorkloadFigures {
  const tok = (f: TokenFit) => ({ mean: round(f.summary.mean, 2), p50: f.summary.p50, p90: f.summary.p90, p99: f.summary.p99 });
  return { requestsPerDay: round(s.requestsPerDay, 2), inputTokens: tok(s.inputTokens), outputTokens: tok(s.outputTokens), hourlyProfile: s.hourlyProfile };
}

/** The scenario file's text for `trace` (`knownModel` says which logged models the catalog has). */
export function fittedScenarioSource(trace: Trace, knownModel: (id: string) => boolean, defaultModel = 'gpt-4o-mini'): string {
  const s = traceStats(trace);
  const traffic = fitTraffic(trace, s);
  const kinds = fitKinds(trace, s, knownModel);
  const name = `fitted-${basename(trace.file)
    .replace(/\.[^.]+$/, '')
    .replace(/[^\w.-]+/g, '-')}`;
  const lines = [
    `// Fitted by \`bench trace fit\` from ${trace.file} (${trace.format}), ${new Date().toISOString().slice(0, 10)}.`,
    ...traffic.why.map((w) => `// ${w}`),
    ...(s.prefixReuse !== null
      ? [
          `// The trace's prefix blocks reuse ${(s.prefixReuse.reusedTokenShare * 100).toFixed(1)}% of input tokens; this scenario does not model block reuse: replay the trace (bench run --trace) to see its prompt-cache effect.`,
        ]
      : []),
    `// The trace says nothing about difficulty or quality: every kind has difficulty 0.5. Edit the workflow to your agent's steps.`,
    `import { defineScenario, single } from 'llm-scale-bench';`,
    '',
    'export default defineScenario({',
    `  name: ${JSON.stringify(name)},`,
    `  description: ${JSON.stringify(`Workload fitted to ${basename(trace.file)}: ${Math.round(s.requestsPerDay).toLocaleString('en-US')} requests/day`)},`,
    '  traffic: {',
    `    requestsPerDay: ${traffic.requestsPerDay},`,
    `    arrivals: ${inline(traffic.arrivals)},`,
    ...(traffic.burstiness !== undefined ? [`    burstiness: ${inline(traffic.burstiness)},`] : []),
    '  },',
    '  requestMix: [',
    ...kinds.flatMap((k) => kindLines(k)),
    '  ],',
    "  workflow: [{ type: 'llm', name: 'answer' }],",
    `  strategies: { routing: single(${JSON.stringify(defaultModel)}) },`,
    `  fittedFrom: ${inline({ file: trace.file, format: trace.format, ...traceFigures(s) })},`,
    '});',
    '',
  ];
  return lines.join('\n');
}

function kindLines(k: FittedKind): string[] {
  const note =
    k.loggedModel !== undefined && k.model === undefined
      ? `    // logged model ${JSON.stringify(k.loggedModel)} is not in the catalog: the routing strategy answers; add it under models (e.g. { extends: 'gpt-4o-mini' }) and set model`
      : null;
  return [
    '    {',
    `      name: ${JSON.stringify(k.name)},`,
    `      share: ${k.share},`,
    ...(note !== null ? [note] : []),
    ...(k.model !== undefined ? [`      model: ${JSON.stringify(k.model)},`] : []),
    `      // input tokens: ${fitNote(k.inputFit)}`,
    `      inputTokens: ${inline(k.inputTokens)},`,
    `      // output tokens: ${fitNote(k.outputFit)}`,
    `      outputTokens: ${inline(k.outputTokens)},`,
    '      difficulty: 0.5,',
    ...(k.intents !== undefined
      ? [
          `      // sessions: ${k.intents} equally popular intents repeat prompts as often as the trace continues sessions`,
          `      intents: ${k.intents}, zipf: 0, paraphrases: 1,`,
        ]
      : []),
    '    },',
  ];
}

function fitNote(f: TokenFit): string {
  const s = f.summary;
  return (
    `mean ${round(s.mean, 2)}, p50 ${s.p50}, p90 ${s.p90}, p99 ${s.p99}, max ${s.max}; ` +
    `KS distance lognormal ${f.lognormal.ks.toFixed(4)}, empirical quantiles ${f.empirical.ks.toFixed(4)}: ${f.chosen}`
  );
}

/** A JSON value written as a TypeScript literal on one line (keys unquoted where they may be). */
function inline(v: unknown): string {
  return JSON.stringify(v)
    .replace(/"([A-Za-z_][A-Za-z0-9_]*)":/g, '$1: ')
    .replace(/,(?=\S)/g, ', ');
}
