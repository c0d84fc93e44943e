/**
 * What does streaming do to the wait a user feels?
 *
 * A writing assistant plans (gpt-4o-mini) and then drafts a long answer (gpt-4o). Streaming the
 * draft shows its first token as soon as it is generated; the whole answer takes as long as
 * before. The sweep compares no streaming, streaming the draft, and streaming the plan too.
 */
import { defineScenario, fixed, llm, lognormal, uniform } from 'llm-scale-bench';

export default defineScenario({
  name: 'streaming',
  description: 'How much sooner does the user see the first token when the answer is streamed, and does end-to-end latency change?',
  seed: 3,
  traffic: { requestsPerDay: 100_000 },
  requestMix: [{ name: 'draft', share: 1, inputTokens: lognormal(150, 0.5), outputTokens: lognormal(700, 0.4), difficulty: uniform(0.2, 0.7) }],
  workflow: [
    llm('plan', { model: 'gpt-4o-mini', systemPromptTokens: 300, outputTokens: lognormal(120, 0.3), quality: false }),
    llm('draft', { model: 'gpt-4o', systemPromptTokens: 500, contextFrom: ['plan'] }),
  ],
  strategies: { workers: fixed(32) },
  sweep: {
    streaming: {
      off: { steps: [] },
      draft: { steps: ['draft'] },
      'plan+draft': { steps: ['plan', 'draft'] },
    },
  },
  slo: { ttftP95Ms: 2_000, e2eP95Ms: 20_000 },
});
