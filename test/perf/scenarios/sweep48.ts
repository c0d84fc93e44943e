/**
 * The 48-configuration sweep the report benchmark measures: scenarios/cascade.ts with 6 routings
 * × 8 worker counts (the size at which pages used to reach 15 MB and labels to collide).
 */
import { cascade, defineScenario, fixed, single } from 'llm-scale-bench';
import base from '../../../scenarios/cascade.ts';

const threshold = (t: number) => cascade(['gpt-4o-mini', 'gpt-4o'], { minConfidence: t });

export default defineScenario({
  ...base,
  name: 'sweep48',
  description: 'scenarios/cascade.ts swept over 6 routings × 8 worker counts (48 configurations)',
  sweep: {
    routing: {
      'always-gpt-4o': single('gpt-4o'),
      'always-mini': single('gpt-4o-mini'),
      'cascade-mini-to-4o@0.5': threshold(0.5),
      'cascade-mini-to-4o@0.6': threshold(0.6),
      'cascade-mini-to-4o@0.7': threshold(0.7),
      'cascade-mini-to-4o@0.9': threshold(0.9),
    },
    workers: Object.fromEntries([4, 6, 8, 10, 12, 16, 24, 32].map((n) => [String(n), fixed(n)])),
  },
});
