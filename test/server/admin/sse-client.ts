import http from 'node:http';

/** A minimal server-sent-events reader for tests: events as they arrive, and the raw stream. */
export interface SseEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

export interface SseStream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly events: SseEvent[];
  /** Comment lines received (`: keep-alive`). */
  readonly comments: string[];
  /** The body when the answer is not an event stream (an error). */
  readonly text: () => string;
  /** Resolves when an event matching `predicate` has arrived (rejects if the stream ends first). */
  waitFor(predicate: (event: SseEvent) => boolean): Promise<SseEvent>;
  /** Resolves when the server has ended the stream. */
  readonly ended: Promise<void>;
  /** Drops the connection, as a client that goes away. */
  destroy(): void;
}

export function openSse(url: string, headers: Record<string, string>): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { Accept: 'text/event-stream', ...headers }, agent: false }, (response) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const waiters: { predicate: (event: SseEvent) => boolean; resolve: (event: SseEvent) => void; reject: (error: Error) => void }[] = [];
      let buffer = '';
      let raw = '';
      let done = false;
      let endResolve = () => undefined as void;
      const ended = new Promise<void>((resolveEnd) => (endResolve = resolveEnd));
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length === 0) continue;
          const parsed: SseEvent = { event, data: JSON.parse(data.join('\n')) as Record<string, unknown> };
          events.push(parsed);
          for (const waiter of [...waiters]) {
            if (waiter.predicate(parsed)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(parsed);
            }
          }
        }
      });
      const finish = () => {
        if (done) return;
        done = true;
        for (const waiter of waiters.splice(0)) waiter.reject(new Error(`the stream ended first; events: ${JSON.stringify(events)}`));
        endResolve();
      };
      response.on('end', finish);
      response.on('close', finish);
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        events,
        comments,
        text: () => raw,
        ended,
        waitFor(predicate) {
          const found = events.find(predicate);
          if (found) return Promise.resolve(found);
          if (done) return Promise.reject(new Error(`the stream ended; events: ${JSON.stringify(events)}`));
          return new Promise((resolveEvent, rejectEvent) => waiters.push({ predicate, resolve: resolveEvent, reject: rejectEvent }));
        },
        destroy: () => request.destroy(),
      });
    });
    request.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
  });
}
