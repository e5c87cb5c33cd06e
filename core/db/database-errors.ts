import { DatabaseUnavailableError } from '../errors.js';

/** Node socket errors that mean "the server is not there". */
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

/**
 * SQLSTATEs that mean "try again later": connection exceptions (class 08), shutdown and
 * start-up (57P01-57P03), query cancelled by statement_timeout (57014), too many connections.
 */
function isUnavailableSqlState(code: string): boolean {
  return code.startsWith('08') || ['57P01', '57P02', '57P03', '57014', '53300'].includes(code);
}

/**
 * True when an error from `pg` means the database is unreachable, restarting or overloaded
 * (a 503), rather than a bug in our SQL (a 500).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || isUnavailableSqlState(code))) return true;
  // pg and pg-pool report these without a code.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(error.message);
}

/** Re-throws database outages as DatabaseUnavailableError; other errors pass through. */
export function translateDatabaseError(error: unknown, what: string): never {
  if (isDatabaseUnavailable(error)) {
    throw new DatabaseUnavailableError(`database unavailable while ${what}`, { cause: error });
  }
  throw error;
}
