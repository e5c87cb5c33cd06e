import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '../../core/logger.js';

/** How often connections that finished their last response while draining are closed. */
const IDLE_SWEEP_MS = 100;

const inFlightByServer = new WeakMap<Server, Set<ServerResponse>>();

/**
 * Counts the server's requests in flight, for draining. Call once, after `createServer(app)`
 * and before `listen`: listeners run in the order they were added, so the app has run when
 * this one does, and a response it answered synchronously (a cached tile,
 * server/routes/cached-tile-now.ts) is complete and not tracked. That spares the hot path a
 * close listener per request, which costs more than the rest of its answer.
 */
export function trackInFlightRequests(server: Server): void {
  const inFlight = new Set<ServerResponse>();
  inFlightByServer.set(server, inFlight);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (res.writableEnded) return;
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
}

/**
 * Graceful end of an HTTP server: stop accepting connections, let the requests in flight
 * finish (their responses say `Connection: close`, and so does any request a keep-alive client
 * still sends), close connections as they become idle, and resolve when none is left. When
 * `deadline` aborts first, the remaining connections are cut: a tile request's statement is
 * then cancelled by its route (the client is gone), and the promise resolves.
 */
export function drainHttpServer(server: Server, deadline: AbortSignal, logger: Logger): Promise<void> {
  const inFlight = inFlightByServer.get(server);
  return new Promise<void>((resolve) => {
    const closeAfterResponse = (req: IncomingMessage, res: ServerResponse) => {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    };
    for (const res of inFlight ?? []) closeAfterResponse(res.req, res);
    server.on('request', closeAfterResponse);
    logger.info({ inFlight: inFlight?.size ?? null }, 'http: no new connections; finishing requests in flight');
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const cut = () => {
      logger.warn({ inFlight: inFlight?.size ?? null }, 'http: deadline reached, closing the remaining connections');
      server.closeAllConnections();
    };
    if (deadline.aborted) cut();
    else deadline.addEventListener('abort', cut, { once: true });
    server.close(() => {
      clearInterval(sweep);
      deadline.removeEventListener('abort', cut);
      server.off('request', closeAfterResponse);
      resolve();
    });
    // Also covers Node's own: idle keep-alive connections go now, not at their timeout.
    server.closeIdleConnections();
  });
}
