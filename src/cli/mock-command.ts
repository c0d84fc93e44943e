/** `bench mock`: the OpenAI-compatible mock LLM server, until interrupted. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
// from the modules themselves, not mock-llm/index.ts (which brings msw into the server's heap)
import { MockConfigError } from '../../mock-llm/errors.ts';
import { checkFixtures } from '../../mock-llm/fixtures.ts';
import { MOCK_DEFAULTS, type MockServerOptions } from '../../mock-llm/options.ts';
import type { MockServer } from '../../mock-llm/server.ts';
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
  'options-file': { type: 'string', describe: 'JSON file of further startMockServer options (models, limits, faults, tools)' },
  fixtures: { type: 'string', describe: 'Scripted replies: a JSON file (an array of { match?, reply, times? }) or a TS file whose default export is one' },
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
  fixtures?: string;
}): Promise<number> {
  let server: MockServer;
  try {
    const apiKey = args['api-key'] ?? process.env.MOCK_API_KEY;
    const fromFile = args['options-file'] === undefined ? {} : (JSON.parse(readFileSync(args['options-file'], 'utf8')) as MockServerOptions);
    const fixtures = args.fixtures === undefined ? {} : await loadFixtures(args.fixtures);
    // loaded here, not at start-up: the server's protocols and ajv are modules no other command needs
    const { startMockServer } = await import('../../mock-llm/server.ts');
    server = await startMockServer({
      ...fromFile,
      ...fixtures,
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

/** A fixtures file as options: JSON read by the mock itself, a TS/JS module's default export checked here. */
async function loadFixtures(file: string): Promise<Pick<MockServerOptions, 'fixtures' | 'fixturesFile'>> {
  if (file.endsWith('.json')) return { fixturesFile: file };
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
  } catch (err) {
    throw new MockConfigError(`Failed to load fixtures file "${file}": ${(err as Error).message}.`);
  }
  return { fixtures: checkFixtures(mod.default, `file "${file}"`) };
}
