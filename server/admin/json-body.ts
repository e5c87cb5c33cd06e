import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError, BadRequestError } from '../../core/errors.js';

/** Admin request bodies are small commands; anything bigger is a mistake or an attack. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Parses JSON request bodies of at most `maxBytes`: a body that is not JSON answers 400 naming
 * the problem, a bigger one 413, one sent as another media type 415. A request without a body
 * gets `req.body` undefined.
 */
export function jsonBody(maxBytes = MAX_BODY_BYTES): (RequestHandler | ErrorRequestHandler)[] {
  const requireJson: RequestHandler = (req, res, next) => {
    if (hasBody(req.headers) && !req.is('application/json')) {
      next(new AppError(415, 'unsupported_media_type', `send the request body as application/json (got ${req.get('content-type') ?? 'no Content-Type'})`));
    } else next();
  };
  const translate: ErrorRequestHandler = (error: { type?: string; message?: string; status?: number }, req, res, next) => {
    // Only the body parser's own errors (they carry a `type`); anything earlier passes through.
    if (error instanceof AppError || typeof error.type !== 'string') next(error);
    else if (error.type === 'entity.parse.failed') next(new BadRequestError(`request body is not valid JSON: ${error.message}`, { cause: error }));
    else if (error.type === 'entity.too.large') next(new AppError(413, 'payload_too_large', `request body larger than ${maxBytes} bytes`, { cause: error }));
    else if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) next(new AppError(error.status, 'bad_request', `request body refused: ${error.message}`, { cause: error }));
    else next(error);
  };
  return [requireJson, express.json({ limit: maxBytes, strict: true }), translate];
}

function hasBody(headers: { 'content-length'?: string; 'transfer-encoding'?: string }): boolean {
  return (headers['content-length'] !== undefined && headers['content-length'] !== '0') || headers['transfer-encoding'] !== undefined;
}

/** Validates a parsed body (undefined: no body, read as `{}`); 400 naming each field that is wrong. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${[path, key].filter(Boolean).join('.')}"`).join(', ')}`;
    return `${path ? `field "${path}"` : 'body'}: ${issue.message}`;
  });
  throw new BadRequestError(`invalid request body: ${problems.join('; ')}`);
}
