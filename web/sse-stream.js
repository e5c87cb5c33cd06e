// @ts-check
/**
 * Server-sent events read with fetch(), because EventSource cannot send an Authorization
 * header. Parses the text/event-stream format (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 * `event:`, `data:` (joined with newlines), `id:`, comments, blank line = dispatch.
 */

import { authorizedFetch } from './auth.js';

/**
 * @typedef {{ event: string, data: string, id: string }} ServerSentEvent
 */

/**
 * Calls `onEvent` for each event until the server ends the stream or `signal` aborts.
 * Rejects with the HttpError of a refused request (401, 404...).
 * @param {string} url
 * @param {(event: ServerSentEvent) => void} onEvent
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
export async function readEventStream(url, onEvent, signal) {
  const response = await authorizedFetch(url, { headers: { Accept: 'text/event-stream' }, signal, cache: 'no-store' });
  if (!response.body) throw new Error(`${url}: the response has no body`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  /** @type {{ event: string, data: string[], id: string }} */
  let pending = { event: '', data: [], id: '' };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let newline;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (pending.data.length > 0) onEvent({ event: pending.event || 'message', data: pending.data.join('\n'), id: pending.id });
        pending = { event: '', data: [], id: pending.id };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const fieldValue = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') pending.event = fieldValue;
      else if (field === 'data') pending.data.push(fieldValue);
      else if (field === 'id') pending.id = fieldValue;
    }
  }
}
