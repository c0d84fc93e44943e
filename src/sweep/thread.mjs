// Worker-thread entry: teach this thread TypeScript (tsx) and the `llm-scale-bench` import, then run the simulation module.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
registerHooks('../../bin/resolve-self.mjs', import.meta.url);
await import('./thread-main.ts');
