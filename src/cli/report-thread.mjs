// Worker-thread entry of the report renderer: teach this thread TypeScript (tsx) and the `llm-scale-bench` import, then serve renders.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
registerHooks('../../bin/resolve-self.mjs', import.meta.url);
await import('./report-thread-main.ts');
