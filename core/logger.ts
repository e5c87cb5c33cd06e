import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * One logger factory for server, pipeline and scripts. `LOG_LEVEL` picks the level
 * (default `info`; tests set `silent`).
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = { name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, formatters: { log: redactUrlTokens } };
  return destination ? pino(options, destination) : pino(options);
}

/** `token=<secret>` in a URL (a desktop GIS's `?token=`), wherever in the text it is. */
const TOKEN_IN_URL = /([?&;]token=)[^&#\s"']*/gi;

/** A text with the values of `token=` query parameters replaced by `[redacted]`. */
export function redactTokenInUrl(text: string): string {
  return /token=/i.test(text) ? text.replace(TOKEN_IN_URL, '$1[redacted]') : text;
}

/**
 * Log lines may carry URLs (`path`, `url`, an error's message): their `?token=` values are
 * redacted, top-level fields and the message of `err` alike.
 */
function redactUrlTokens(object: Record<string, unknown>): Record<string, unknown> {
  let result = object;
  for (const [key, value] of Object.entries(object)) {
    if (typeof value === 'string' && /token=/i.test(value)) {
      if (result === object) result = { ...object };
      result[key] = redactTokenInUrl(value);
    }
  }
  const err = result.err;
  if (err instanceof Error && /token=/i.test(err.message)) {
    if (result === object) result = { ...object };
    result.err = Object.assign(Object.create(Object.getPrototypeOf(err) as object) as Error, err, { message: redactTokenInUrl(err.message), stack: redactTokenInUrl(err.stack ?? '') });
  }
  return result;
}

/** Log fields that may hold credentials (bearer tokens, cookies): written as `[redacted]` whatever logs them. */
export const REDACTED_PATHS = [
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'cookie', '*.cookie', 'headers.cookie', '*.headers.cookie',
  'token', '*.token',
];
