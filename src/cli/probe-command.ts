/** `bench probe <url>`: closed-loop capacity of an endpoint (max requests/s and latency at N connections). */
import { readFileSync } from 'node:fs';
import { BenchError } from '../core/errors.ts';
import type { FlagSpec } from './flags.ts';
import { probe, PROBE_DEFAULTS, probeTable } from '../live/probe.ts';

/** Flags of `bench probe`. */
export const PROBE_FLAGS = {
  connections: {
    type: 'string',
    check: connectionsText,
    describe: `Concurrent connections; several as 1,8,32 (one row each) [default: ${PROBE_DEFAULTS.connections.join(',')}]`,
  },
  duration: { type: 'number', range: { above: 0 }, describe: `Seconds per concurrency level [default: ${PROBE_DEFAULTS.durationS}]` },
  method: { type: 'string', describe: 'HTTP method [default: POST with --body, else GET]' },
  body: { type: 'string', describe: 'File whose contents are the request body (JSON gets content-type application/json)' },
  header: { type: 'string', array: true, describe: 'Request header "name: value" (repeatable)' },
  timeout: { type: 'number', range: { above: 0 }, describe: `Seconds before a request counts as a timeout [default: ${PROBE_DEFAULTS.timeoutS}]` },
  json: { type: 'boolean', default: false, describe: 'Print the results as JSON' },
} as const satisfies Record<string, FlagSpec>;

/** Parsed `bench probe` arguments. */
export interface ProbeArgs {
  url: string;
  connections?: string;
  duration?: number;
  method?: string;
  body?: string;
  header?: string[];
  timeout?: number;
  json: boolean;
}

/** `1,8,32` → [1, 8, 32]. */
export function parseConnections(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const out = parts.map(Number);
  if (parts.some((p) => p === '') || out.some((n) => !(Number.isInteger(n) && n > 0))) {
    throw new BenchError('USAGE', `--connections "${text}": expected positive whole numbers separated by commas, e.g. 1,8,32`);
  }
  return out;
}

function connectionsText(_flag: string, text: string): string {
  parseConnections(text);
  return text;
}

/** `name: value` → [name, value]. */
function parseHeader(text: string): [string, string] {
  const i = text.indexOf(':');
  if (i <= 0) throw new BenchError('USAGE', `--header "${text}": expected "name: value"`);
  return [text.slice(0, i).trim(), text.slice(i + 1).trim()];
}

/** Runs `bench probe`; resolves with the exit code. */
export async function probeCommand(args: ProbeArgs): Promise<number> {
  let body: string | undefined;
  if (args.body !== undefined) {
    try {
      body = readFileSync(args.body, 'utf8');
    } catch (err) {
      throw new BenchError('USAGE', `--body ${args.body}: cannot read it (${(err as Error).message})`);
    }
  }
  const results = await probe({
    url: args.url,
    ...(args.connections !== undefined ? { connections: parseConnections(args.connections) } : {}),
    ...(args.duration !== undefined ? { durationS: args.duration } : {}),
    ...(args.method !== undefined ? { method: args.method.toUpperCase() } : {}),
    ...(body !== undefined ? { body } : {}),
    ...(args.header !== undefined ? { headers: Object.fromEntries(args.header.map(parseHeader)) } : {}),
    ...(args.timeout !== undefined ? { timeoutS: args.timeout } : {}),
  });
  if (args.json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
    return 0;
  }
  process.stdout.write(`${args.url} (closed loop: each connection sends when its previous answer arrives)\n\n${probeTable(results)}\n`);
  const bad = results.reduce((s, r) => s + r.errors + r.non2xx, 0);
  if (bad > 0) process.stdout.write(`\nwarning: ${bad} error(s) or non-2xx answers; req/s counts them too\n`);
  return 0;
}
