#!/usr/bin/env node
// The `bench` command: TypeScript sources run directly through tsx, no build step.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
registerHooks('./resolve-self.mjs', import.meta.url);
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
