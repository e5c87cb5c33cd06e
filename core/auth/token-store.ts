import type { Pool, PoolClient } from '../db/pool.js';
import { generateToken, type ApiToken, type Role } from './api-token.js';

/** meta.api_tokens: tokens are created with their secret shown once, listed without it, revoked. */

type Db = Pool | PoolClient;

export interface NewToken {
  readonly name: string;
  readonly role: Role;
  readonly countyCodes: readonly string[];
  readonly tilesets: readonly string[];
  readonly expiresAt: Date | null;
  /** Who created it (the CLI's user), for the audit trail. */
  readonly createdBy: string;
}

/** A stored token and the hash of its secret, for verification. */
export interface StoredToken extends ApiToken {
  readonly secretSha256: Buffer;
}

const COLUMNS = 'id, name, role, county_codes, tilesets, created_by, created_at, expires_at, revoked_at, last_used_at';

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  county_codes: string[];
  tilesets: string[];
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  secret_sha256?: Buffer;
}

function tokenFromRow(row: TokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    countyCodes: row.county_codes,
    tilesets: row.tilesets,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

/** Stores a new token; returns it with the whole token text, which exists nowhere else. */
export async function createToken(db: Db, spec: NewToken): Promise<{ record: ApiToken; token: string }> {
  const generated = generateToken();
  const { rows } = await db.query<TokenRow>(
    `INSERT INTO meta.api_tokens (id, name, secret_sha256, role, county_codes, tilesets, expires_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    [generated.id, spec.name, generated.secretSha256, spec.role, spec.countyCodes, spec.tilesets, spec.expiresAt, spec.createdBy],
  );
  return { record: tokenFromRow(rows[0]!), token: generated.token };
}

export async function listTokens(db: Db): Promise<ApiToken[]> {
  const { rows } = await db.query<TokenRow>(`SELECT ${COLUMNS} FROM meta.api_tokens ORDER BY created_at, id`);
  return rows.map(tokenFromRow);
}

export async function findToken(db: Db, id: string): Promise<StoredToken | null> {
  const { rows } = await db.query<TokenRow>(`SELECT ${COLUMNS}, secret_sha256 FROM meta.api_tokens WHERE id = $1`, [id]);
  const row = rows[0];
  return row ? { ...tokenFromRow(row), secretSha256: row.secret_sha256! } : null;
}

/**
 * Revokes a token (from now on it answers 401). Returns the token, with the earlier revocation
 * time when it was already revoked, or null when there is no such token.
 */
export async function revokeToken(db: Db, id: string): Promise<ApiToken | null> {
  const { rows } = await db.query<TokenRow>(
    `UPDATE meta.api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] ? tokenFromRow(rows[0]) : null;
}

/** Records a use, at most once a minute per token (a write per request would be wasted). */
export async function touchToken(db: Db, id: string): Promise<void> {
  await db.query(
    `UPDATE meta.api_tokens SET last_used_at = now()
      WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
    [id],
  );
}

export function tokenState(token: ApiToken, now = new Date()): 'active' | 'expired' | 'revoked' {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}
