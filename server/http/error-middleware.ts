import type { ErrorRequestHandler, RequestHandler } from 'express';
import { NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { writeError } from './write-error.js';

/** Express's end of the error path: everything goes through writeError. */
export function createErrorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    writeError(res, error, req.path, logger);
  };
}

export const notFoundHandler: RequestHandler = (req, res, next) => {
  next(new NotFoundError('no such resource'));
};
