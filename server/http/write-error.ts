import type { ServerResponse } from 'node:http';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

/**
 * The one translation of a failure into a response: a short JSON body with the error's status
 * (500 for anything unexpected), logged once here. Used by the Express error middleware and by
 * the tile fast path alike.
 */
export function writeError(res: ServerResponse, error: unknown, path: string, logger: Logger): void {
  // The request id (server/http/request-id.ts) ties this line to the request's own log line.
  const reqId = res.getHeader('x-request-id');
  let status = 500;
  let body: { error: string; message: string } = { error: 'internal', message: 'internal server error' };
  if (error instanceof AppError) {
    status = error.status;
    body = { error: error.code, message: error.message };
    if (status >= 500) logger.warn({ err: error.cause ?? error, path, reqId }, error.message);
  } else if (isClientErrorWithStatus(error)) {
    // Express's own parsers report client mistakes with a status (e.g. a malformed URL).
    status = error.status;
    body = { error: 'bad_request', message: 'malformed request' };
  } else {
    logger.error({ err: error, path, reqId }, 'request failed');
  }
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
    'Cache-Control': 'no-store',
  });
  res.end(json);
}

function isClientErrorWithStatus(error: unknown): error is { status: number } {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
