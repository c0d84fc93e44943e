/** `bench probe`: a closed-loop capacity probe (autocannon) against mock-llm on 127.0.0.1, port 0. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../../mock-llm/index.ts';
import { parseConnections } from '../../src/cli/probe-command.ts';
import { BenchError } from '../../src/core/errors.ts';
import { probe, probeTable } from '../../src/live/probe.ts';

describe('probe', () => {
  let mock: MockServer;

  beforeAll(async () => {
    mock = await startMockServer({ port: 0, host: '127.0.0.1', timeScale: 50 });
  });

  afterAll(async () => {
    await mock.close();
  });

  it('measures requests/s and latency percentiles at each concurrency level', async () => {
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 20 });
    const results = await probe({ url: `${mock.url}/v1/chat/completions`, connections: [1, 4], durationS: 1, body });
    expect(results.map((r) => r.connections)).toEqual([1, 4]);
    for (const r of results) {
      expect(r.requests).toBeGreaterThan(0);
      expect(r.requestsPerSecond.mean).toBeGreaterThan(0);
      expect(r.requestsPerSecond.max).toBeGreaterThanOrEqual(r.requestsPerSecond.mean);
      expect(r.latencyMs.p50).toBeGreaterThan(0);
      expect(r.latencyMs.p50).toBeLessThanOrEqual(r.latencyMs.p99);
      expect(r.latencyMs.p99).toBeLessThanOrEqual(r.latencyMs.max);
      expect(r.errors).toBe(0);
      expect(r.non2xx).toBe(0);
    }
    const table = probeTable(results).split('\n');
    expect(table).toHaveLength(3);
    expect(table[0]).toMatch(/connections\s+req\/s mean/);
  }, 20_000);

  it('counts answers outside 2xx', async () => {
    const [r] = await probe({ url: `${mock.url}/v1/chat/completions`, connections: [1], durationS: 0.5, body: '{"model":"no-such-model"}' });
    expect(r!.non2xx).toBeGreaterThan(0);
  }, 10_000);

  it('refuses what is not an http(s) URL', async () => {
    await expect(probe({ url: 'localhost:8080/agent' })).rejects.toThrow(
      new BenchError('USAGE', 'localhost:8080/agent: only http:// and https:// endpoints can be probed'),
    );
    await expect(probe({ url: 'not a url' })).rejects.toThrow(
      new BenchError('USAGE', '"not a url" is not a URL; give the endpoint in full, e.g. http://127.0.0.1:8080/agent'),
    );
  });

  it('parses --connections lists', () => {
    expect(parseConnections('1,8, 32')).toEqual([1, 8, 32]);
    expect(() => parseConnections('1,,8')).toThrow(
      new BenchError('USAGE', '--connections "1,,8": expected positive whole numbers separated by commas, e.g. 1,8,32'),
    );
  });
});
