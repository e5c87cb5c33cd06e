import type { Request } from 'express';
import type { ServerConfig } from '../../core/config/schema.js';
import { BadRequestError } from '../../core/errors.js';

const HOST_PATTERN = /^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;
const PREFIX_PATTERN = /^(\/[A-Za-z0-9._~\-]+)*$/;

/**
 * The absolute URL clients reach this server at, without a trailing slash: the configured
 * `server.publicUrl`, else the request's scheme and host, honouring X-Forwarded-Proto,
 * X-Forwarded-Host (Express `trust proxy`) and X-Forwarded-Prefix when proxies are trusted.
 */
export function publicBaseUrl(req: Request, server: ServerConfig): string {
  if (server.publicUrl) return server.publicUrl.replace(/\/+$/, '');
  const host = req.host;
  if (!host || !HOST_PATTERN.test(host)) throw new BadRequestError('missing or malformed Host header');
  let prefix = '';
  const forwardedPrefix = server.trustProxy ? req.get('x-forwarded-prefix') : undefined;
  if (forwardedPrefix) {
    prefix = forwardedPrefix.trim().replace(/\/+$/, '');
    if (!PREFIX_PATTERN.test(prefix)) throw new BadRequestError('malformed X-Forwarded-Prefix header');
  }
  return `${req.protocol}://${host}${prefix}`;
}
