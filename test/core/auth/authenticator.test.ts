import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { generateToken, matchesHash, parseToken, sha256 } from '../../../core/auth/api-token.js';
import { UnauthorizedError } from '../../../core/auth/auth-errors.js';
import { createAuthenticator, type Authenticator } from '../../../core/auth/authenticator.js';
import { parseExpiry } from '../../../core/auth/token-expiry.js';
import { createToken, revokeToken } from '../../../core/auth/token-store.js';
import type { Pool } from '../../../core/db/pool.js';
import { ConfigError } from '../../../core/errors.js';
import { REDACTED_PATHS } from '../../../core/logger.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';

const BOOTSTRAP = 'bootstrap-secret-0123456789';

describe('API tokens (core/auth)', () => {
  describe('the token format pm_<id>_<secret>', () => {
    it('generates distinct tokens whose id and secret parse back, and keeps only the SHA-256 of the secret', () => {
      const first = generateToken();
      const second = generateToken();
      expect(first.token).to.match(/^pm_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
      expect(first.token).to.not.equal(second.token);
      const parsed = parseToken(first.token)!;
      expect(parsed.id).to.equal(first.id);
      expect(sha256(parsed.secret).equals(first.secretSha256)).to.equal(true);
      expect(matchesHash(parsed.secret, first.secretSha256)).to.equal(true);
      expect(matchesHash(`${parsed.secret}x`, first.secretSha256)).to.equal(false);
    });

    it('does not parse anything else', () => {
      for (const text of ['', 'pm_', 'pm_abc_def', 'Bearer pm_x', `pm_ABCDEFGHIJKL_${'a'.repeat(43)}`, `pm_abcdefghijkl_${'a'.repeat(42)}`, `xx_abcdefghijkl_${'a'.repeat(43)}`]) {
        expect(parseToken(text), text).to.equal(null);
      }
    });
  });

  describe('parseExpiry (tokens create --expires)', () => {
    const now = new Date('2026-11-29T12:00:00Z');
    it('reads durations and ISO dates', () => {
      expect(parseExpiry('30d', now).toISOString()).to.equal('2026-12-29T12:00:00.000Z');
      expect(parseExpiry('12h', now).toISOString()).to.equal('2026-11-30T00:00:00.000Z');
      expect(parseExpiry('90m', now).toISOString()).to.equal('2026-11-29T13:30:00.000Z');
      expect(parseExpiry('2w', now).toISOString()).to.equal('2026-12-13T12:00:00.000Z');
      expect(parseExpiry('2027-06-30', now).toISOString()).to.equal('2027-06-30T00:00:00.000Z');
      expect(parseExpiry('2027-06-30T18:00:00+08:00', now).toISOString()).to.equal('2027-06-30T10:00:00.000Z');
    });

    it('refuses the past, nothing, nonsense, impossible dates and decades, saying why', () => {
      expect(() => parseExpiry('2020-01-01', now)).to.throw(/not in the future/);
      expect(() => parseExpiry('0d', now)).to.throw(/positive duration/);
      expect(() => parseExpiry('soon', now)).to.throw(/neither a duration .* nor an ISO 8601 date/);
      expect(() => parseExpiry('2027-02-30', now)).to.throw(/not a real date/);
      expect(() => parseExpiry('20000d', now)).to.throw(/more than 3660 days/);
    });
  });

  describe('the authenticator, against meta.api_tokens', () => {
    let database: TestDatabase;
    let pool: Pool;
    let authenticator: Authenticator;

    before(async () => {
      database = await createTestDatabase('auth');
      pool = await openMigratedPool(testConfig(database.url));
      authenticator = createAuthenticator({ pool, logger: silentLogger, bootstrapToken: BOOTSTRAP });
    });

    after(async () => {
      await pool.end();
      await database.drop();
    });

    async function refusal(header: string | undefined): Promise<UnauthorizedError> {
      const error = await authenticator.authenticate(header).then(() => null, (caught: unknown) => caught);
      expect(error).to.be.instanceOf(UnauthorizedError);
      return error as UnauthorizedError;
    }

    it('accepts ADMIN_TOKEN as an admin, and refuses a bootstrap token shorter than 16 characters at start-up', async () => {
      expect(await authenticator.authenticate(`Bearer ${BOOTSTRAP}`)).to.deep.include({ tokenId: 'bootstrap', role: 'admin' });
      expect(await authenticator.authenticate(`bearer ${BOOTSTRAP}`)).to.deep.include({ role: 'admin' });
      expect(() => createAuthenticator({ pool, logger: silentLogger, bootstrapToken: 'short' })).to.throw(ConfigError, /ADMIN_TOKEN must be at least 16 characters/);
      expect((await refusal(`Bearer ${BOOTSTRAP}x`)).reason).to.equal('invalid_token');
    });

    it('refuses a missing header, another scheme and a malformed token, telling them apart', async () => {
      expect((await refusal(undefined)).reason).to.equal(null);
      expect((await refusal('Basic YWRtaW46YWRtaW4=')).reason).to.equal('invalid_request');
      expect((await refusal('Bearer')).reason).to.equal('invalid_request');
      expect((await refusal('Bearer not-a-token')).reason).to.equal('invalid_token');
    });

    it('accepts a stored token, records its use, and stores only the hash of its secret', async () => {
      const { record, token } = await createToken(pool, { name: 'gis team', role: 'editor', countyCodes: ['371502'], tilesets: ['landuse'], expiresAt: null, createdBy: 'test' });
      const principal = await authenticator.authenticate(`Bearer ${token}`);
      expect(principal).to.deep.equal({ tokenId: record.id, name: 'gis team', role: 'editor', countyCodes: ['371502'], tilesets: ['landuse'] });
      const { rows } = await pool.query<{ last_used_at: Date | null; dump: string }>(
        `SELECT last_used_at, row_to_json(t)::text AS dump FROM meta.api_tokens t WHERE id = $1`,
        [record.id],
      );
      expect(rows[0]!.last_used_at).to.be.instanceOf(Date);
      const secret = parseToken(token)!.secret;
      expect(rows[0]!.dump).to.not.include(secret);
      expect(rows[0]!.dump).to.not.include(Buffer.from(secret).toString('hex'));
    });

    it('refuses a wrong secret for a real id, an unknown id, an expired and a revoked token', async () => {
      const { record, token } = await createToken(pool, { name: 'ops', role: 'admin', countyCodes: [], tilesets: [], expiresAt: null, createdBy: 'test' });
      const wrongSecret = `pm_${record.id}_${'A'.repeat(43)}`;
      expect((await refusal(`Bearer ${wrongSecret}`)).message).to.equal('invalid token');
      expect((await refusal(`Bearer pm_zzzzzzzzzzzz_${'A'.repeat(43)}`)).message).to.equal('invalid token');

      const expired = await createToken(pool, { name: 'old', role: 'admin', countyCodes: [], tilesets: [], expiresAt: new Date(Date.now() + 60_000), createdBy: 'test' });
      const later = createAuthenticator({ pool, logger: silentLogger, now: () => new Date(Date.now() + 120_000) });
      const error = await later.authenticate(`Bearer ${expired.token}`).then(() => null, (caught: unknown) => caught);
      expect(error).to.be.instanceOf(UnauthorizedError).with.property('message').that.matches(/expired at/);

      await revokeToken(pool, record.id);
      expect((await refusal(`Bearer ${token}`)).message).to.match(/was revoked/);
    });
  });

  describe('logging', () => {
    it('redacts Authorization headers and tokens whatever logs them', () => {
      const lines: string[] = [];
      const sink = new Writable({ write(chunk: Buffer, encoding, done) { lines.push(chunk.toString()); done(); } });
      const logger = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
      logger.info({ req: { headers: { authorization: 'Bearer pm_secret' } }, headers: { authorization: 'Bearer pm_other' }, token: 'pm_third' }, 'request');
      expect(lines.join('')).to.not.match(/pm_(secret|other|third)/);
      expect(lines.join('')).to.include('[redacted]');
    });
  });
});
