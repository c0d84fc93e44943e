// Worker-thread entry: teach this thread TypeScript (tsx) and the `llm-scale-bench` import, then run the simulation module.
// zod is loaded first, before the hooks exist: its ~100 files then load as on any thread, not each through a resolve and a
// load round trip to this thread's hooks thread (a scratch A/B: ready after 784 instead of 908 ms, median of 8); the
// simulation's own imports of 'zod' resolve to the same, already loaded, module (test/cli/entry-preloads.test.ts).
import 'zod';
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
registerHooks('../../bin/resolve-self.mjs', import.meta.url);
await import('./thread-main.ts');
