/**
 * A transport whose requests go out from a worker thread (send-thread-main.ts) with its own event
 * loop and keep-alive connection pool: the live client's half that keeps time. The run's thread
 * only posts a small description of each call and reads back its facts (epoch times measured on
 * the send thread).
 */
import { Worker } from 'node:worker_threads';
import type { ChatFacts, ChatWire, EmbedFacts, EmbedWire, HttpTransport, TransportOptions } from '../llm/http-transport.ts';

/** One message to the send thread. */
export interface SendRequest {
  id: number;
  op: 'chat' | 'embed' | 'warm' | 'close';
  wire: ChatWire | EmbedWire | WarmUp | null;
}

/** What the send thread warms before the clock starts: connections to the target, and its chat path (`chatCalls` calls to a canned local stream). */
export interface WarmUp {
  connections: number;
  chatCalls: number;
}

/** What the warm-up did: chat calls answered by the canned stream, and why that part was skipped, if it was. */
export interface WarmedUp {
  chatCalls: number;
  skipped?: string;
}

/** One answer from the send thread (they come in batches). */
export interface SendAnswer {
  id: number;
  facts?: unknown;
  error?: string;
}

interface Pending {
  resolve: (facts: never) => void;
  reject: (err: Error) => void;
}

/** `HttpTransport` on a send thread; `await SendThread.start(...)` before the run's clock starts. */
export class SendThread implements HttpTransport {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Requests made in this turn of the event loop, posted together (one wake-up of the send thread). */
  private outbox: SendRequest[] = [];

  private constructor(private readonly worker: Worker) {
    worker.on('message', (answers: SendAnswer[]) => {
      for (const msg of answers) {
        const p = this.pending.get(msg.id);
        if (p === undefined) continue;
        this.pending.delete(msg.id);
        if (msg.error !== undefined) p.reject(new Error(`send thread: ${msg.error}`));
        else p.resolve(msg.facts as never);
      }
    });
    const failAll = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`the send thread exited (code ${code})`)));
  }

  /** Starts the thread and waits until it can send. */
  static async start(options: TransportOptions): Promise<SendThread> {
    const worker = new Worker(new URL('./send-thread.mjs', import.meta.url), { workerData: options });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    return new SendThread(worker);
  }

  private ask<T>(op: SendRequest['op'], wire: SendRequest['wire']): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (facts: never) => void, reject });
      if (this.outbox.length === 0) queueMicrotask(() => this.flush());
      this.outbox.push({ id, op, wire });
    });
  }

  private flush(): void {
    const batch = this.outbox;
    this.outbox = [];
    this.worker.postMessage(batch);
  }

  chat(wire: ChatWire): Promise<ChatFacts> {
    return this.ask('chat', wire);
  }

  embed(wire: EmbedWire): Promise<EmbedFacts> {
    return this.ask('embed', wire);
  }

  /** Opens `connections` keep-alive connections to the target (the transport contract). */
  async warmUp(connections: number): Promise<void> {
    await this.prepare(connections, 0);
  }

  /** Opens `connections` keep-alive connections to the target, then runs `chatCalls` chat calls against a canned local stream (no request to the target). */
  prepare(connections: number, chatCalls: number): Promise<WarmedUp> {
    return this.ask('warm', { connections, chatCalls });
  }

  async close(): Promise<void> {
    await this.ask('close', null).catch(() => undefined);
    await this.worker.terminate();
  }
}
