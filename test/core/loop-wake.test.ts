import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { LoopWake } from '../../src/core/loop-wake.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LoopWake', () => {
  it('a later wakeAt replaces the pending one, whether a timer or the sliced sleep is waiting; Infinity cancels it', async () => {
    const woke: Array<[string, number]> = [];
    let tag = '';
    const wake = new LoopWake(() => woke.push([tag, performance.now()]));
    // a far wake-up (a timer) replaced by a near one (the sliced sleep), then by a farther one again
    tag = 'first';
    wake.wakeAt(performance.now() + 50);
    tag = 'second';
    const second = performance.now() + 0.5;
    wake.wakeAt(second);
    await sleep(80);
    expect(woke.map((w) => w[0])).toEqual(['second']);
    expect(woke[0]![1]).toBeGreaterThanOrEqual(second);
    // the sliced sleep's pending turn reads the replacement: it waits for the later time
    tag = 'third';
    wake.wakeAt(performance.now() + 0.5);
    const third = performance.now() + 20;
    wake.wakeAt(third);
    expect(wake.pending()).toBe(third);
    await sleep(50);
    expect(woke.map((w) => w[0])).toEqual(['second', 'third']);
    expect(woke[1]![1]).toBeGreaterThanOrEqual(third);
    // cancelled, near or far: never runs
    tag = 'cancelled';
    wake.wakeAt(performance.now() + 0.5);
    wake.wakeAt(Infinity);
    wake.wakeAt(performance.now() + 10);
    wake.close();
    expect(wake.pending()).toBe(Infinity);
    await sleep(30);
    expect(woke).toHaveLength(2);
  });

  it("serves this loop's sockets between sleep slices: a loopback echo keeps answering while wake-ups 0.3 ms apart run", async () => {
    const server = createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const client: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    let wakes = 0;
    let running = true;
    const wake: LoopWake = new LoopWake(() => {
      wakes++;
      if (running) wake.wakeAt(performance.now() + 0.3); // always less than a slice or two away: the sliced sleep
    });
    wake.wakeAt(performance.now() + 0.3);
    let echoes = 0;
    for (let i = 0; i < 50; i++) {
      const got = new Promise<string>((r) => client.once('data', (b) => r(String(b))));
      client.write(`ping ${i}`);
      expect(await got).toBe(`ping ${i}`);
      echoes++;
    }
    running = false;
    wake.close();
    client.destroy();
    await new Promise((r) => server.close(r));
    expect(echoes).toBe(50);
    expect(wakes).toBeGreaterThan(0);
  });
});
