import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

/** The one place where errors become responses: a short JSON body, logged once. */
export function createErrorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof AppError) {
      if (error.status >= 500) logger.warn({ err: error.cause ?? error, path: req.path }, error.message);
      res.status(error.status).json({ error: error.code, message: error.message });
      return;
    }
    // Express's own parsers report client mistakes with a status (e.g. a malformed URL).
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: 'bad_request', message: 'malformed request' });
      return;
    }
    logger.error({ err: error, path: req.path }, 'request failed');
    res.status(500).json({ error: 'internal', message: 'internal server error' });
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({ error: 'not_found', message: 'no such resource' });
};
