#!/usr/bin/env node
// The `bench` command: TypeScript sources run directly through tsx, in this process (no child
// process between a signal and the work), no build step.
import { readFileSync } from 'node:fs';
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

exitWithParent();
register();
registerHooks('./resolve-self.mjs', import.meta.url);
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// interrupted (130 SIGINT, 143 SIGTERM): what was kept is written; leave now, whatever timers,
// sockets or threads are still winding down
if (code === 130 || code === 143) process.exit(code);
process.exitCode = code;

/**
 * Started by npm (`npx bench`, `npm run`) or by another bench process, this process is someone's
 * work: if that parent goes away (npx's `sh -c` dies of a SIGTERM that never reaches us), stop as
 * if the SIGTERM had come here, rather than run on as an orphan.
 */
function exitWithParent() {
  const PARENT_GONE_EVENT = 'bench:parent-gone';
  if (process.env.npm_lifecycle_event === undefined && process.env.BENCH_EXIT_WITH_PARENT !== '1') return;
  const parent = parentPid();
  if (parent === null || parent === 1) return;
  const timer = setInterval(() => {
    if (parentPid() === parent) return;
    clearInterval(timer);
    // a command that saves its work on a signal (watchInterrupts) stops as on SIGTERM, or keeps
    // stopping if a signal came first (the group's SIGINT kills npm too: a second signal would
    // cut the save short); any other command ends as SIGTERM would end it
    if (process.listenerCount(PARENT_GONE_EVENT) > 0) process.emit(PARENT_GONE_EVENT);
    else process.kill(process.pid, 'SIGTERM');
  }, 200);
  timer.unref();
}

/** The live parent pid (process.ppid is read once at start-up); null where /proc is missing. */
function parentPid() {
  try {
    return Number(
      readFileSync('/proc/self/stat', 'utf8')
        .replace(/^.*\) /s, '')
        .split(' ')[1],
    );
  } catch {
    return null;
  }
}
