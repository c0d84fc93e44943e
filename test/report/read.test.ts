import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchError } from '../../src/core/errors.ts';
import { parseResults, readResultsFile } from '../../src/results/read.ts';
import { expectBenchRejection } from '../fixtures/errors.ts';
import { buildResults } from '../fixtures/results.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-read-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('readResultsFile', () => {
  it('reads a valid file back unchanged', async () => {
    const results = buildResults({ intervals: 24 });
    const path = await write('ok.json', results);
    expect(await readResultsFile(path)).toEqual(results);
  });

  it("keeps a live run's record and the engine's event count (every field of the schema is read, none dropped)", async () => {
    const results = buildResults({ intervals: 4 });
    const config = results.configurations[0]!;
    config.engine.events = 1234;
    const sendLagMs = { count: 10, mean: 1, p50: 1, p90: 2, p95: 2, p99: 3, max: 4 };
    config.live = { target: 'http://127.0.0.1:1/v1', timeScale: 20, sendLagMs, warnings: ['late'], queue: { name: 'bench', retriedJobs: 1 } };
    const path = await write('live.json', results);
    const read = await readResultsFile(path);
    expect(read.configurations[0]!.live).toEqual(config.live);
    expect(read.configurations[0]!.engine.events).toBe(1234);
  });

  it('names the path when the file does not exist', async () => {
    const path = join(dir, 'nope.json');
    await expectBenchRejection(
      readResultsFile(path),
      'USAGE',
      `Cannot read results file ${path}: no such file. Pass the path of a results.json written by \`bench run\` (results/<scenario>/<timestamp>/results.json).`,
    );
  });

  it('says when the file is not JSON', async () => {
    const path = await write('bad.json', '{"kind": ');
    const error = await readResultsFile(path).catch((e: BenchError) => e);
    expect((error as BenchError).code).toBe('INVALID_RESULTS');
    expect((error as BenchError).message).toMatch(
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a valid results file: it is not JSON \\(`),
    );
  });

  it('rejects a file of another kind', async () => {
    const path = await write('kind.json', { kind: 'something-else', schemaVersion: 1 });
    await expectBenchRejection(
      readResultsFile(path),
      'INVALID_RESULTS',
      `${path} is not a valid results file: kind is "something-else", expected "llm-scale-bench/results". Pass a results.json written by \`bench run\`.`,
    );
  });

  it('rejects another schema version', async () => {
    const path = await write('version.json', { ...buildResults({ intervals: 24 }), schemaVersion: 2 });
    await expectBenchRejection(
      readResultsFile(path),
      'INVALID_RESULTS',
      `${path} is not a valid results file: schemaVersion is 2; this version of llm-scale-bench reads schemaVersion 1. Re-run the scenario with this version to get a readable file.`,
    );
  });

  it('names the field path of a wrongly typed value', async () => {
    const results = buildResults({ intervals: 24 }) as unknown as { configurations: Array<{ latencyMs: { e2e: { p95: unknown } } }> };
    results.configurations[1].latencyMs.e2e.p95 = 'fast';
    const path = await write('type.json', results);
    await expectBenchRejection(
      readResultsFile(path),
      'INVALID_RESULTS',
      `${path} is not a valid results file: configurations[1].latencyMs.e2e.p95: Invalid input: expected number, received string.`,
    );
  });

  it('names a missing field and counts further problems', async () => {
    const results = buildResults({ intervals: 24 }) as unknown as Record<string, unknown> & { configurations: Array<Record<string, unknown>> };
    delete results.machine;
    delete results.configurations[0].cost;
    const path = await write('missing.json', results);
    await expectBenchRejection(
      readResultsFile(path),
      'INVALID_RESULTS',
      `${path} is not a valid results file: machine: Invalid input: expected object, received undefined (and 1 more problem).`,
    );
  });

  it('rejects duplicate configuration names', () => {
    const results = buildResults({ intervals: 24 });
    results.configurations[1].name = results.configurations[0].name;
    expect(() => parseResults(results, 'r.json')).toThrow(
      'r.json is not a valid results file: configurations[1].name: "routing=strong cache=none" appears twice; configuration names must be unique (compare matches them by name).',
    );
  });

  it('rejects time series of unequal lengths', () => {
    const results = buildResults({ intervals: 24 });
    results.configurations[2].timeSeries.workers.pop();
    expect(() => parseResults(results, 'r.json')).toThrow(
      'r.json is not a valid results file: configurations[2].timeSeries.workers: has 23 entries but timeSeries.tS has 24; every series needs one entry per interval.',
    );
  });

  it('rejects something that is not an object', () => {
    expect(() => parseResults([1, 2], 'r.json')).toThrow('r.json is not a valid results file: expected a JSON object, received [1,2].');
  });
});
