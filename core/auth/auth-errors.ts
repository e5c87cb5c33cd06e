import { AppError } from '../errors.js';

/**
 * No credentials, or credentials that are not valid (unknown, expired, revoked): 401. `reason`
 * goes into WWW-Authenticate (RFC 6750): `invalid_request` for a malformed header,
 * `invalid_token` for a bad token, none when credentials are missing.
 */
export class UnauthorizedError extends AppError {
  readonly reason: 'invalid_request' | 'invalid_token' | null;

  constructor(message: string, reason: UnauthorizedError['reason']) {
    super(401, 'unauthorized', message);
    this.reason = reason;
  }
}

/** Valid credentials that do not allow this action: 403. */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}
