import type { IncomingMessage } from 'node:http';

/**
 * The client's address as Express reports `req.ip` with `trust proxy` true or false: the
 * left-most X-Forwarded-For entry when proxies are trusted, else the socket's peer. Used by the
 * tile fast path, which has no Express request.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    if (typeof forwarded === 'string' && forwarded !== '') {
      const comma = forwarded.indexOf(',');
      const first = (comma < 0 ? forwarded : forwarded.slice(0, comma)).trim();
      if (first !== '' && first.length <= 64) return first;
    }
  }
  return req.socket.remoteAddress ?? 'unknown';
}
