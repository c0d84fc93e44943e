// Worker-thread entry of the report renderer: teach this thread TypeScript (tsx) and the `llm-scale-bench` import, then serve renders.
// vega-lite (~300 files with its d3 and vega parts) and zod load first, before the hooks exist, as on any thread: not each file
// through a resolve and a load round trip to this thread's hooks thread (test/cli/entry-preloads.test.ts checks the renderer
// imports them by these names, so they are the modules it uses, loaded once).
import 'vega-lite';
import 'zod';
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
registerHooks('../../bin/resolve-self.mjs', import.meta.url);
await import('./report-thread-main.ts');
