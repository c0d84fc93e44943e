/**
 * A Redis that fails: down at the start of a run whose cache lives on it (was: three "[ioredis]
 * Unhandled error event" lines and a MaxRetriesPerRequestError stack, exit 1), or dropping in the
 * middle (the run stops with one clear message; it does not carry on without its cache). Loopback
 * only: a dead port, and a TCP proxy to the local Redis that the test cuts.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { main } from '../../src/cli/main.ts';
import { runScenarioFile } from '../../src/sweep/run.ts';

afterEach(() => vi.restoreAllMocks());

/** The fixture with its cache on `url`, as a new file (a module is imported once: each URL needs its own file). */
function scenarioOn(url: string): string {
  mkdirSync(join(import.meta.dirname, '..', '.tmp'), { recursive: true });
  const file = join(mkdtempSync(join(import.meta.dirname, '..', '.tmp', 'redis-')), 'redis-cache.ts');
  writeFileSync(file, readFileSync(join(import.meta.dirname, 'fixtures', 'redis-cache.ts'), 'utf8').replace("'redis://127.0.0.1:6379'", JSON.stringify(url)));
  return file;
}

/** A port on 127.0.0.1 with nothing listening. */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function redisUp(): Promise<boolean> {
  const r = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

describe('Redis down at the start', () => {
  it('a cache on an unreachable Redis: one line naming the file and the URL, exit 2, no ioredis noise', async () => {
    const url = `redis://127.0.0.1:${await deadPort()}`;
    const file = scenarioOn(url);
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const code = await main(['run', file, '--out', join(file, '..', 'out'), '--threads', '1']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^bench: ${file}: cache backend ${url}: cannot reach Redis \\(.*ECONNREFUSED.*\\); start Redis or fix the URL\\n$`));
    await new Promise((r) => setTimeout(r, 300)); // ioredis would report late reconnection errors
    expect(consoleError).not.toHaveBeenCalled();
  });
});

describe.skipIf(!(await redisUp()))('Redis dropping mid-run', () => {
  it('the run stops with one message saying Redis stopped answering (not a stack, not a silent fallback)', async () => {
    // a proxy to the local Redis, cut once the run has sent some cache traffic through it
    const sockets = new Set<net.Socket>();
    let bytes = 0;
    let cut = false;
    const proxy = net.createServer((client) => {
      if (cut) return void client.destroy();
      const upstream = net.connect(6379, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.on('data', (d) => {
        bytes += d.length;
        if (bytes > 20_000 && !cut) {
          cut = true;
          proxy.close();
          for (const s of sockets) s.destroy();
        }
      });
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const url = `redis://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const run = runScenarioFile(scenarioOn(url), { noWrite: true, threads: 0 });
    await expect(run).rejects.toMatchObject({
      code: 'DEPENDENCY_FAILED',
      message: expect.stringMatching(
        new RegExp(
          `^cache backend ${url}: Redis stopped answering during the run \\(.+\\); the run stops rather than continue without its cache\\. Start Redis again and rerun$`,
        ),
      ),
    });
    expect(cut).toBe(true);
    expect(consoleError).not.toHaveBeenCalled();
  });
});
