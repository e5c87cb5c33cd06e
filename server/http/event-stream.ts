import type { ServerResponse } from 'node:http';

/**
 * The server-sent event streams open in this process, so that shutdown can end them before it
 * drains HTTP (an open stream would otherwise hold the drain until its deadline).
 */
export class EventStreams {
  private readonly open = new Set<() => void>();

  get size(): number {
    return this.open.size;
  }

  add(close: () => void): void {
    this.open.add(close);
  }

  delete(close: () => void): void {
    this.open.delete(close);
  }

  closeAll(): void {
    for (const close of [...this.open]) close();
  }
}

export interface EventStream {
  /** Writes one event; nothing once the stream is closed. */
  send(event: string, data: unknown): void;
  /** Ends the response and releases everything the stream holds; safe to call twice. */
  close(): void;
  readonly closed: boolean;
}

export interface EventStreamOptions {
  readonly streams: EventStreams;
  /** A comment line this often keeps proxies from closing an idle stream. */
  readonly keepAliveMs: number;
  /** Releases what the caller holds for the stream (timers, subscriptions); runs once. */
  readonly onClose?: () => void;
}

/**
 * Opens a `text/event-stream` response (job progress, seed progress): headers, a retry hint,
 * keep-alive comments, and one close path, whether the client goes away, the caller is done, or
 * the server shuts down.
 */
export function openEventStream(res: ServerResponse, { streams, keepAliveMs, onClose }: EventStreamOptions): EventStream {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    // nginx buffers responses unless told not to; events would arrive all at once at the end.
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 3000\n\n');
  let closed = false;
  const keepAlive = setInterval(() => {
    if (!closed) res.write(': keep-alive\n\n');
  }, keepAliveMs);
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    onClose?.();
    streams.delete(close);
    if (!res.writableEnded) res.end();
  };
  streams.add(close);
  res.on('close', close);
  return {
    send(event, data) {
      if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close,
    get closed() {
      return closed;
    },
  };
}
