import type { Router } from 'express';
import { createAuthenticator } from '../../../core/auth/authenticator.js';
import { createToken } from '../../../core/auth/token-store.js';
import type { AccessLevel } from '../../../core/config/access-schema.js';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import type { Logger } from '../../../core/logger.js';
import { ImportJobRunner } from '../../../pipeline/jobs/import-job-runner.js';
import { AccessControl } from '../../../server/access/access-control.js';
import { createAuditRouter } from '../../../server/access/audit-route.js';
import { createAdminRouter } from '../../../server/admin/admin-router.js';
import { createApp } from '../../../server/app.js';
import { createTileCache } from '../../../server/cache/create-tile-cache.js';
import type { CacheObserver } from '../../../server/cache/tile-cache.js';
import { StyleRasterRenderer } from '../../../server/render/style-raster-renderer.js';
import { loadTilesetCatalog, type TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { loadStyleCatalog, STYLES_DIR } from '../../../server/styles/style-catalog.js';
import { listen, type RunningServer } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger, testConfig } from '../../support/test-database.js';

/** The bootstrap admin token of the access tests. */
export const BOOTSTRAP = 'access-tests-bootstrap-0123456789';

/** The callers of the access matrix, each with the token it sends (null: none). */
export const callerNames = ['anonymous', 'invalid', 'expired', 'revoked', 'viewerGranted', 'viewerUngranted', 'editorOwn', 'editorOther', 'admin', 'bootstrap'] as const;
export type CallerName = (typeof callerNames)[number];
export type CallerTokens = Readonly<Record<CallerName, string | null>>;

/** Tilesets the granted tokens may read: those of the landuse style. */
export const GRANTED_TILESETS = ['landuse', 'county'];
export const OWN_COUNTY = '371502';
export const OTHER_COUNTY = '371521';

/**
 * Tokens in the access tests' own database (meta.api_tokens), one per caller of the matrix.
 * The shared sample fixture stays read-only: tiles come from it, tokens and the audit log from `pool`.
 */
export async function makeCallerTokens(pool: Pool): Promise<CallerTokens> {
  const make = async (name: string, role: 'admin' | 'editor' | 'viewer', countyCodes: string[], tilesets: string[]) =>
    (await createToken(pool, { name, role, countyCodes, tilesets, expiresAt: null, createdBy: 'test' })).token;
  const expired = await createToken(pool, { name: 'expired viewer', role: 'viewer', countyCodes: [], tilesets: GRANTED_TILESETS, expiresAt: new Date(Date.now() + 3_600_000), createdBy: 'test' });
  await pool.query(`UPDATE meta.api_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 day' WHERE id = $1`, [expired.record.id]);
  const revoked = await createToken(pool, { name: 'revoked viewer', role: 'viewer', countyCodes: [], tilesets: GRANTED_TILESETS, expiresAt: null, createdBy: 'test' });
  await pool.query(`UPDATE meta.api_tokens SET revoked_at = now() WHERE id = $1`, [revoked.record.id]);
  return {
    anonymous: null,
    invalid: 'pm_aaaaaaaaaaaa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    expired: expired.token,
    revoked: revoked.token,
    viewerGranted: await make('viewer with grant', 'viewer', [], GRANTED_TILESETS),
    viewerUngranted: await make('viewer without grant', 'viewer', [], []),
    editorOwn: await make('东昌府区 editor', 'editor', [OWN_COUNTY], GRANTED_TILESETS),
    editorOther: await make('茌平区 editor', 'editor', [OTHER_COUNTY], []),
    admin: await make('city admin', 'admin', [], []),
    bootstrap: BOOTSTRAP,
  };
}

export interface AccessServerOptions {
  /** Level of every tileset; per-tileset levels in `tilesetLevels` win. */
  readonly level?: AccessLevel;
  readonly tilesetLevels?: Readonly<Record<string, AccessLevel>>;
  readonly styleLevels?: Readonly<Record<string, AccessLevel>>;
  /** Changes to the parsed `access:` section (rate limits, CORS). */
  readonly adjustAccess?: (access: Record<string, unknown>) => void;
  readonly logger?: Logger;
  /** Tile pool (default: the sample fixture's). */
  readonly tilePool?: Pool;
  /** A tile cache in memory (shared tier none), so cached tiles can be checked. */
  readonly memoryCache?: boolean;
  /** With memoryCache: a Redis shared tier at this URL behind the memory tier. */
  readonly redisUrl?: string;
}

export interface AccessServer extends RunningServer {
  readonly config: AppConfig;
  readonly access: AccessControl;
  readonly catalog: TilesetCatalog;
  /** Cache lookups that hit, and tiles computed (with `memoryCache`). */
  readonly cacheCounts: { readonly hits: number; readonly computed: number };
}

/**
 * The whole application (server/app.ts) over the sample fixture's tiles, with the admin API and
 * its audit route, access levels from `options`, and tokens and the audit log in `ownPool`.
 */
export async function startAccessServer(ownPool: Pool, ownDatabaseUrl: string, options: AccessServerOptions = {}): Promise<AccessServer> {
  const logger = options.logger ?? silentLogger;
  const fixture = sampleFixture();
  const config = testConfig(ownDatabaseUrl, (raw) => {
    for (const tileset of raw.tilesets as { id: string; access?: AccessLevel }[]) {
      tileset.access = options.tilesetLevels?.[tileset.id] ?? options.level ?? 'public';
    }
    const access: Record<string, unknown> = { styles: { ...options.styleLevels } };
    options.adjustAccess?.(access);
    raw.access = access;
  });
  const tilePool = options.tilePool ?? fixture.pool;
  const catalog = await loadTilesetCatalog(tilePool, fixture.config, logger);
  const styles = loadStyleCatalog(STYLES_DIR, catalog, logger, config.tilesets);
  const raster = new StyleRasterRenderer({ styles, catalog: () => catalog });
  const authenticator = createAuthenticator({ pool: ownPool, logger, bootstrapToken: BOOTSTRAP });
  const runner = new ImportJobRunner({ pool: ownPool, config, logger });
  const extraRouters: Router[] = [createAuditRouter({ pool: ownPool })];
  const admin = createAdminRouter({ config, pool: ownPool, logger, authenticator, runner, extraRouters });
  const access = new AccessControl({ config, pool: ownPool, logger, authenticator });
  const cacheCounts = { hits: 0, computed: 0 };
  const observer: CacheObserver = { lookup: (tier, outcome) => void (outcome === 'hit' && cacheCounts.hits++), corrupt: () => undefined, computed: () => void cacheCounts.computed++ };
  const cacheConfig = options.redisUrl
    ? { ...config.cache, shared: 'redis' as const, redis: { ...config.cache.redis, url: options.redisUrl, keyPrefix: `planmap-test-${process.pid}:` }, memoryMaxBytes: 0, tierRetrySeconds: 1 }
    : { ...config.cache, shared: 'none' as const };
  const tileCache = options.memoryCache ? createTileCache(cacheConfig, { logger, observer, env: {} }) : undefined;
  const server = await listen(createApp({ config, pool: ownPool, logger, catalog: () => catalog, admin, styles, raster, access, ...(tileCache && { tileCache }) }));
  return {
    baseUrl: server.baseUrl,
    config,
    access,
    catalog,
    cacheCounts,
    close: async () => {
      await server.close();
      await access.close();
      await runner.close();
      await tileCache?.close();
    },
  };
}
