import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One logger factory for server, pipeline and scripts. `LOG_LEVEL` picks the level
 * (default `info`; tests set `silent`).
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level });
}
