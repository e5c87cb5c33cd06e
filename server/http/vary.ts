import type { ServerResponse } from 'node:http';

/**
 * Adds a header name to the response's `Vary` rather than replacing it: the tile routes vary
 * by Accept-Encoding, access control by Authorization and CORS by Origin, and a cache in front
 * must know all of them.
 */
export function appendVary(res: ServerResponse, name: string): void {
  const current = res.getHeader('Vary');
  const text = current === undefined ? '' : String(current);
  if (text === '') {
    res.setHeader('Vary', name);
    return;
  }
  if (!text.split(',').some((part) => part.trim().toLowerCase() === name.toLowerCase())) res.setHeader('Vary', `${text}, ${name}`);
}
