/** `bench mock`: the OpenAI-compatible mock LLM server, until interrupted. */
import { readFileSync } from 'node:fs';
// from the modules themselves, not mock-llm/index.ts (which brings msw into the server's heap)
import { MockConfigError } from '../../mock-llm/errors.ts';
import { MOCK_DEFAULTS, type MockServerOptions } from '../../mock-llm/options.ts';
import { startMockServer } from '../../mock-llm/server.ts';
import { BenchError } from '../core/errors.ts';
import { watchInterrupts } from './interrupt.ts';
import { type FlagSpec, SEED_RULE, TIME_SCALE_RULE } from './flags.ts';

/** Flags of `bench mock` (defaults from mock-llm's MOCK_DEFAULTS, defined there once). */
export const MOCK_FLAGS = {
  port: { type: 'number', range: { integer: true, min: 0, max: 65535 }, default: MOCK_DEFAULTS.port, describe: 'Port to listen on (0 = any free port)' },
  host: { type: 'string', default: MOCK_DEFAULTS.host, describe: 'Address to bind' },
  models: { type: 'string', describe: 'JSON file of extra or overridden models (Record<id, ModelInput>)' },
  seed: { type: 'number', range: SEED_RULE, default: MOCK_DEFAULTS.seed, describe: 'Seed of generated text, latencies and faults' },
  'api-key': { type: 'string', describe: 'Require `Authorization: Bearer <key>` [default: env MOCK_API_KEY, else no check]' },
  'time-scale': { type: 'number', range: TIME_SCALE_RULE, default: MOCK_DEFAULTS.timeScale, describe: 'Run every latency k times faster' },
  'options-file': { type: 'string', describe: 'JSON file of further startMockServer options (models, limits, faults)' },
} as const satisfies Record<string, FlagSpec>;

/** Starts the mock and keeps it serving until SIGINT/SIGTERM (then exits 130/143). */
export async function mockCommand(args: {
  port: number;
  host: string;
  models?: string;
  seed: number;
  'api-key'?: string;
  'time-scale': number;
  'options-file'?: string;
}): Promise<number> {
  let server;
  try {
    const apiKey = args['api-key'] ?? process.env.MOCK_API_KEY;
    const fromFile = args['options-file'] === undefined ? {} : (JSON.parse(readFileSync(args['options-file'], 'utf8')) as MockServerOptions);
    server = await startMockServer({
      ...fromFile,
      port: args.port,
      host: args.host,
      seed: args.seed,
      timeScale: args['time-scale'],
      ...(args.models !== undefined ? { modelsFile: args.models } : {}),
      ...(apiKey !== undefined ? { apiKey } : {}),
    });
  } catch (err) {
    if (err instanceof MockConfigError) throw new BenchError('USAGE', err.message);
    throw err;
  }
  process.stdout.write(`mock-llm listening on ${server.url} (OpenAI base URL: ${server.url}/v1)\n`);
  const interruption = watchInterrupts();
  try {
    await new Promise((resolve) => interruption.signal.addEventListener('abort', resolve, { once: true }));
    const cut = server.stats().active;
    await server.close();
    process.stderr.write(
      `mock-llm: interrupted by ${interruption.received()}; stopped serving ${server.url} (${cut} call(s) in progress cut); nothing kept: the ledger lived in memory (GET /v1/ledger before stopping keeps it)\n`,
    );
    return interruption.exitCode(0);
  } finally {
    interruption.dispose();
  }
}
