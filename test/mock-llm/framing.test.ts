/**
 * The HTTP framing of streamed answers, read off the raw socket: the node:http adapter frames
 * stream chunks itself (server.ts, HttpSink.writeBytes), so these check the bytes, including two
 * streamed requests pipelined on one connection (the second response waits for the socket).
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, startMockServer, type MockServer } from '../../mock-llm/index.ts';

const models = buildCatalog({
  quick: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 3, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 1, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 12,
  },
  'modèle-ü': { extends: 'quick' },
});

let server: MockServer;
beforeAll(async () => {
  server = await startMockServer({ port: 0, models });
});
afterAll(async () => {
  await server.close();
});

function request(body: unknown, version = '1.1'): string {
  const text = JSON.stringify(body);
  return `POST /v1/chat/completions HTTP/${version}\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
}

/** Writes `raw` on one connection and collects the bytes until the server has sent `responses` complete responses, or closes. */
function exchange(raw: string, responses: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const socket = net.connect(Number(url.port), url.hostname, () => socket.write(raw));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out; got: ${Buffer.concat(chunks).toString('latin1').slice(-300)}`));
    }, 5_000);
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      try {
        if (parseResponses(Buffer.concat(chunks)).length >= responses) done();
      } catch {
        // incomplete so far
      }
    });
    socket.on('end', done);
    socket.on('error', reject);
  });
}

interface Parsed {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A strict HTTP/1.1 response parser (chunked or Content-Length); throws on anything malformed or incomplete. */
function parseResponses(buf: Buffer): Parsed[] {
  const out: Parsed[] = [];
  let at = 0;
  while (at < buf.length) {
    const headEnd = buf.indexOf('\r\n\r\n', at);
    if (headEnd === -1) throw new Error('incomplete head');
    const lines = buf.toString('latin1', at, headEnd).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(lines[0]!)![1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
    at = headEnd + 4;
    let body: Buffer;
    if (headers['transfer-encoding'] === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', at);
        if (lineEnd === -1) throw new Error('incomplete chunk size');
        const sizeText = buf.toString('latin1', at, lineEnd);
        if (!/^[0-9a-f]+$/.test(sizeText)) throw new Error(`bad chunk size "${sizeText}"`);
        const size = parseInt(sizeText, 16);
        const start = lineEnd + 2;
        if (buf.length < start + size + 2) throw new Error('incomplete chunk');
        if (buf.toString('latin1', start + size, start + size + 2) !== '\r\n') throw new Error('chunk not followed by CRLF');
        parts.push(buf.subarray(start, start + size));
        at = start + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else {
      const length = Number(headers['content-length']);
      if (buf.length < at + length) throw new Error('incomplete body');
      body = buf.subarray(at, at + length);
      at += length;
    }
    out.push({ status, headers, body: body.toString('utf8') });
  }
  return out;
}

function tokensOf(sse: string): string[] {
  const events = sse.split('\n\n').filter((e) => e.startsWith('data: '));
  expect(events.at(-1)).toBe('data: [DONE]');
  return events
    .slice(0, -1)
    .map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[] })
    .flatMap((c) => (c.choices[0]?.delta.content !== undefined ? [c.choices[0].delta.content] : []));
}

describe('streamed answers on the wire', () => {
  it('are well-formed chunked HTTP/1.1, every SSE event whole', async () => {
    const bytes = await exchange(request({ model: 'quick', stream: true, messages: [{ role: 'user', content: 'hi' }] }), 1);
    const [res] = parseResponses(bytes);
    expect(res!.status).toBe(200);
    expect(res!.headers['transfer-encoding']).toBe('chunked');
    expect(tokensOf(res!.body)).toHaveLength(12);
  });

  it('keep their framing when a non-ASCII model id makes bytes and characters differ', async () => {
    const bytes = await exchange(request({ model: 'modèle-ü', stream: true, messages: [{ role: 'user', content: 'hi' }] }), 1);
    const [res] = parseResponses(bytes);
    expect(tokensOf(res!.body)).toHaveLength(12);
    expect(res!.body).toContain('"model":"modèle-ü"');
  });

  it('come out whole and in order when two streamed requests are pipelined on one connection', async () => {
    const a = request({ model: 'quick', stream: true, messages: [{ role: 'user', content: 'first' }], max_tokens: 7 });
    const b = request({ model: 'quick', stream: true, messages: [{ role: 'user', content: 'second' }], max_tokens: 9 });
    const responses = parseResponses(await exchange(a + b, 2));
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(responses.map((r) => tokensOf(r.body).length)).toEqual([7, 9]);
  });

  it('whole answers declare their exact byte length, a non-ASCII model id included (two pipelined, parsed strictly)', async () => {
    const a = request({ model: 'modèle-ü', messages: [{ role: 'user', content: 'whole answer' }] });
    const b = request({ model: 'quick', messages: [{ role: 'user', content: 'next one' }], max_tokens: 5 });
    const responses = parseResponses(await exchange(a + b, 2));
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    const [first, second] = responses.map((r) => JSON.parse(r.body) as { model: string; usage: { completion_tokens: number } });
    expect(first!.model).toBe('modèle-ü');
    expect(Number(responses[0]!.headers['content-length'])).toBe(Buffer.byteLength(responses[0]!.body));
    expect(first!.usage.completion_tokens).toBe(12);
    expect(second!.usage.completion_tokens).toBe(5);
  });

  it('fall back to plain SSE bytes for an HTTP/1.0 client (no chunked encoding there)', async () => {
    // no length and no chunks: the response ends when the server closes the connection
    const bytes = await exchange(request({ model: 'quick', stream: true, messages: [{ role: 'user', content: 'old client' }] }, '1.0'), Infinity);
    const head = bytes.toString('latin1', 0, bytes.indexOf('\r\n\r\n'));
    expect(head).not.toMatch(/transfer-encoding/i);
    const body = bytes.toString('utf8', bytes.indexOf('\r\n\r\n') + 4);
    expect(tokensOf(body)).toHaveLength(12);
  });
});
