import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../../core/logger.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * An incoming id is kept when it is short and plain (what proxies and tracing tools send:
 * UUIDs, hex, base64url); anything else is replaced, so that no client text with spaces,
 * quotes or control characters reaches a log line or a response header.
 */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:+/=-]{1,128}$/;

const requestIds = new WeakMap<IncomingMessage, string>();
const requestLoggers = new WeakMap<IncomingMessage, Logger>();

/** The request's id (from `X-Request-Id` when acceptable, else a new UUID). */
export function requestIdOf(req: IncomingMessage): string {
  return requestIds.get(req) ?? assignRequestId(req);
}

/** A child of `logger` whose lines carry the request's id (`reqId`), for routes that log. Made once per request. */
export function requestLogger(req: IncomingMessage, logger: Logger): Logger {
  let child = requestLoggers.get(req);
  if (!child) {
    child = logger.child({ reqId: requestIdOf(req) });
    requestLoggers.set(req, child);
  }
  return child;
}

function assignRequestId(req: IncomingMessage): string {
  const id = offeredOrNewId(req);
  requestIds.set(req, id);
  return id;
}

function offeredOrNewId(req: IncomingMessage): string {
  const offered = req.headers['x-request-id'];
  return typeof offered === 'string' && ACCEPTED_REQUEST_ID.test(offered) ? offered : randomUUID();
}

/**
 * Wraps the application: every response carries `X-Request-Id`, and every request ends with
 * one structured log line (`reqId`, method, path, status, duration). The query string is left
 * out of the log: it may hold a `?token=`.
 *
 * Levels: successful reads (GET/HEAD below 400) at `debug`, since a map view asks for hundreds
 * of tiles a second; writes and client errors at `info`; server errors and requests the client
 * abandoned at `warn`. `LOG_LEVEL=debug` shows every request.
 */
export function withRequestIds(logger: Logger, listener: RequestListener, answerNow?: SynchronousListener): RequestListener {
  return (req, res) => {
    const startedAt = process.hrtime.bigint();
    // Kept for requestIdOf only when the request goes on: a WeakMap entry per request costs the
    // garbage collector more (ephemerons) than the whole synchronous answer of a cached tile.
    const id = offeredOrNewId(req);
    if (answerNow?.(req, res, id)) {
      // Answered in full before returning (it wrote X-Request-Id itself): nothing is left to watch.
      logCompletion(logger, req, res, id, startedAt, res.writableEnded);
      return;
    }
    requestIds.set(req, id);
    res.setHeader(REQUEST_ID_HEADER, id);
    res.once('close', () => logCompletion(logger, req, res, id, startedAt, res.writableFinished));
    listener(req, res);
  };
}

/**
 * A handler that answers a request completely and synchronously, X-Request-Id included, or
 * returns false having touched nothing (no header set, no listener added).
 */
export type SynchronousListener = (req: IncomingMessage, res: ServerResponse, requestId: string) => boolean;

function logCompletion(logger: Logger, req: IncomingMessage, res: ServerResponse, id: string, startedAt: bigint, complete: boolean): void {
  const level = completionLevel(req, res, complete);
  // The tile hot path: skip building the entry when nobody will read it.
  if (!logger.isLevelEnabled(level)) return;
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  const entry = {
    reqId: id,
    method: req.method,
    path: queryStart < 0 ? url : url.slice(0, queryStart),
    status: res.statusCode,
    durationMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
  };
  if (!complete) logger[level](entry, 'request closed before the response was complete');
  else logger[level](entry, res.statusCode >= 500 ? 'request failed' : 'request');
}

function completionLevel(req: IncomingMessage, res: ServerResponse, complete: boolean): 'debug' | 'info' | 'warn' {
  if (!complete || res.statusCode >= 500) return 'warn';
  if (res.statusCode >= 400 || (req.method !== 'GET' && req.method !== 'HEAD')) return 'info';
  return 'debug';
}
