import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One logger factory for server, pipeline and scripts. `LOG_LEVEL` picks the level
 * (default `info`; tests set `silent`).
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}

/** Log fields that may hold credentials (bearer tokens, cookies): written as `[redacted]` whatever logs them. */
export const REDACTED_PATHS = [
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'cookie', '*.cookie', 'headers.cookie', '*.headers.cookie',
  'token', '*.token',
];
