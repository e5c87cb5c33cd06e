import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * API tokens: `pm_<id>_<secret>`. The id (12 of [a-z0-9]) is public and finds the token's row;
 * the secret (32 random bytes, base64url) is checked against its SHA-256, in constant time.
 * Only the hash is stored, so a copy of the database gives no usable token.
 */

export const roles = ['admin', 'editor', 'viewer'] as const;
/**
 * admin: everything; editor: imports and rollbacks of the datasets of its counties; viewer:
 * no administration, only reading (its `tilesets`, for access control).
 */
export type Role = (typeof roles)[number];

/** A token as stored: everything but the secret. */
export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** Six-digit county codes whose datasets an editor administers. */
  readonly countyCodes: readonly string[];
  /** Restricted tilesets the token may read. */
  readonly tilesets: readonly string[];
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

/** Who a request acts as, once its token is verified. */
export interface Principal {
  /** The token's id, or `bootstrap` for ADMIN_TOKEN. */
  readonly tokenId: string;
  readonly name: string;
  readonly role: Role;
  readonly countyCodes: readonly string[];
  readonly tilesets: readonly string[];
}

export const BOOTSTRAP_TOKEN_ID = 'bootstrap';

const PREFIX = 'pm_';
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 12;
const SECRET_BYTES = 32;
const TOKEN_PATTERN = /^pm_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedToken {
  readonly id: string;
  /** The whole token, `pm_<id>_<secret>`: shown once, never stored. */
  readonly token: string;
  readonly secretSha256: Buffer;
}

export function generateToken(): GeneratedToken {
  let id = '';
  for (let i = 0; i < ID_LENGTH; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { id, token: `${PREFIX}${id}_${secret}`, secretSha256: sha256(secret) };
}

/** The id and secret of a well-formed token, or null. */
export function parseToken(token: string): { id: string; secret: string } | null {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Compares the hash of `presented` with `expectedSha256` in time that does not depend on where they differ. */
export function matchesHash(presented: string, expectedSha256: Buffer): boolean {
  const actual = sha256(presented);
  return actual.length === expectedSha256.length && timingSafeEqual(actual, expectedSha256);
}
