/**
 * Typed failures. Handlers throw these; exactly one place (the HTTP error middleware, or the
 * CLI's top level) turns them into a response or an exit code, and logs them once.
 */

/** A failure with an HTTP status and a stable machine-readable code. */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
  }
}

/** The request is malformed (not a number, bad characters, repeated members...): 400. */
export class BadRequestError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, 'bad_request', message, options);
  }
}

/** The thing asked for does not exist, or lies outside the grid or zoom range: 404. */
export class NotFoundError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(404, 'not_found', message, options);
  }
}

/** The database cannot be reached or did not answer in time: 503, retry later. */
export class DatabaseUnavailableError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(503, 'database_unavailable', message, options);
  }
}

/** The configuration is invalid; start-up stops with this message. */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** Where in a delivery a problem is: the file, and when known the feature (1-based) and field. */
export interface ImportLocation {
  readonly file: string;
  readonly feature?: number;
  readonly field?: string;
}

/**
 * A delivery that cannot be imported as it is. The message names the file, feature and field,
 * so that whoever made the delivery can fix it; nothing live changes when it is thrown.
 */
export class ImportError extends Error {
  readonly file: string;
  readonly feature: number | undefined;
  readonly field: string | undefined;
  /** What is wrong, without the location. */
  readonly problem: string;

  constructor(location: ImportLocation, problem: string, options?: { cause?: unknown }) {
    super(`${formatLocation(location)}: ${problem}`, options);
    this.name = 'ImportError';
    this.file = location.file;
    this.feature = location.feature;
    this.field = location.field;
    this.problem = problem;
  }
}

function formatLocation({ file, feature, field }: ImportLocation): string {
  return [file, feature === undefined ? null : `feature ${feature}`, field === undefined ? null : `field ${field}`]
    .filter((part): part is string => part !== null)
    .join(', ');
}
