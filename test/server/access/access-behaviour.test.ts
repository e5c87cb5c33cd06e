import { expect } from 'chai';
import http from 'node:http';
import { Writable } from 'node:stream';
import { createLogger } from '../../../core/logger.js';
import type { Pool } from '../../../core/db/pool.js';
import { WebMercatorQuad, type TileCoord } from '../../../core/grid/tile-matrix-set.js';
import { jsonBody, rawGet, type RawResponse } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { createTestDatabase, openMigratedPool, testConfig, type TestDatabase } from '../../support/test-database.js';
import { tilesAroundParcels } from '../../support/tile-expectations.js';
import { BOOTSTRAP, makeCallerTokens, startAccessServer, type AccessServer, type CallerTokens } from './access-test-server.js';

/** Access control beyond the matrix: cache, ?token= in URLs and logs, audit trail, rate limits, CORS, headers. */
describe('access control behaviour (server/access)', function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let pool: Pool;
  let tokens: CallerTokens;
  let tile: TileCoord;
  let server: AccessServer;
  const logLines: string[] = [];

  before(async () => {
    database = await createTestDatabase('access-behaviour');
    pool = await openMigratedPool(testConfig(database.url));
    tokens = await makeCallerTokens(pool);
    [tile] = (await tilesAroundParcels(sampleFixture().pool, WebMercatorQuad, 14, 1)) as [TileCoord];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => { logLines.push(chunk.toString('utf8')); done(); } });
    server = await startAccessServer(pool, database.url, {
      tilesetLevels: { landuse: 'restricted', county: 'internal' },
      memoryCache: true,
      logger: createLogger('access-test', 'debug', sink),
      adjustAccess: (access) => {
        access.cors = { origins: ['https://gis.example.org'] };
        access.auditWindowSeconds = 3600; // flushed by the test
      },
    });
  });

  after(async () => {
    await server?.close();
    await pool?.end();
    await database?.drop();
  });

  const tilePath = () => `/tiles/landuse/14/${tile.x}/${tile.y}.mvt`;
  const bearer = (token: string | null): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {});

  it('never serves a cached restricted tile without permission', async () => {
    const first = await rawGet(`${server.baseUrl}${tilePath()}`, bearer(tokens.viewerGranted));
    expect(first.status).to.equal(200);
    const computed = server.cacheCounts.computed;
    expect((await rawGet(`${server.baseUrl}${tilePath()}`)).status).to.equal(401);
    expect((await rawGet(`${server.baseUrl}${tilePath()}`, bearer(tokens.viewerUngranted))).status).to.equal(403);
    const again = await rawGet(`${server.baseUrl}${tilePath()}`, bearer(tokens.admin));
    expect(again.status).to.equal(200);
    expect(again.body.equals(first.body)).to.equal(true);
    expect(server.cacheCounts.computed, 'the tile is in the cache; refusals did not compute it').to.equal(computed);
    expect(again.headers['cache-control']).to.match(/^private/);
  });

  it('puts ?token= into TileJSON tile URLs only when the request used ?token=', async () => {
    const viaQuery = jsonBody<{ tiles: string[]; tile_matrix_sets: Record<string, string> }>(
      await rawGet(`${server.baseUrl}/tiles/landuse.json?token=${encodeURIComponent(tokens.viewerGranted!)}`),
    );
    expect(viaQuery.tiles[0]).to.match(/\/tiles\/landuse\/\{z\}\/\{x\}\/\{y\}\.mvt\?token=pm_/);
    expect(Object.values(viaQuery.tile_matrix_sets).every((url) => url.includes(`token=${encodeURIComponent(tokens.viewerGranted!)}`))).to.equal(true);
    const viaHeader = jsonBody<{ tiles: string[] }>(await rawGet(`${server.baseUrl}/tiles/landuse.json`, bearer(tokens.viewerGranted)));
    expect(viaHeader.tiles[0]).not.to.include('token=');
    // The URL from TileJSON works as it is (what QGIS does with an XYZ connection).
    const url = viaQuery.tiles[0]!.replace('{z}', '14').replace('{x}', String(tile.x)).replace('{y}', String(tile.y));
    expect((await rawGet(url)).status).to.equal(200);
  });

  it('carries ?token= in style.json tile URLs and WMTS capabilities ResourceURLs', async () => {
    const token = encodeURIComponent(tokens.viewerGranted!);
    const style = jsonBody<{ sources: Record<string, { tiles?: string[] }> }>(await rawGet(`${server.baseUrl}/styles/landuse/style.json?token=${token}`));
    const urls = Object.values(style.sources).flatMap((source) => source.tiles ?? []);
    expect(urls.length).to.be.greaterThan(0);
    expect(urls.every((url) => url.endsWith(`?token=${token}`))).to.equal(true);
    const capabilities = (await rawGet(`${server.baseUrl}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&token=${token}`)).body.toString();
    const templates = [...capabilities.matchAll(/template="([^"]+)"/g)].map((m) => m[1]!);
    expect(templates.length).to.be.greaterThan(0);
    expect(templates.every((template) => template.includes(`token=${token}`))).to.equal(true);
  });

  it('never writes a token to the log, in ?token= or Authorization', async () => {
    const secret = tokens.viewerGranted!;
    await rawGet(`${server.baseUrl}/tiles/landuse/14/${tile.x}/${tile.y}.mvt?token=${encodeURIComponent(secret)}`);
    await rawGet(`${server.baseUrl}/tiles/landuse/99/0/0.mvt?token=${encodeURIComponent(secret)}`);
    await rawGet(`${server.baseUrl}/tiles/landuse/14/${tile.x}/${tile.y}.mvt?token=pm_zzzzzzzzzzzz_bad`);
    await rawGet(`${server.baseUrl}/tiles/landuse.json`, bearer(secret));
    await rawGet(`${server.baseUrl}/nowhere?token=${encodeURIComponent(secret)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const all = logLines.join('');
    expect(logLines.length, 'requests were logged at debug').to.be.greaterThan(3);
    const secretPart = secret.split('_').pop()!;
    expect(all).not.to.include(secretPart);
    expect(all).not.to.include('pm_zzzzzzzzzzzz_bad');
  });

  it('audits reads of protected data aggregated per token, tileset, address and window; the trail is queryable', async () => {
    await server.access.audit.flush();
    const before = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM meta.audit_log WHERE action = 'tiles.read'`);
    for (let i = 0; i < 25; i++) await rawGet(`${server.baseUrl}${tilePath()}`, bearer(tokens.editorOwn));
    for (let i = 0; i < 3; i++) await rawGet(`${server.baseUrl}${tilePath()}`, bearer(tokens.viewerUngranted));
    await server.access.audit.flush();
    const { rows } = await pool.query<{ actor: string; outcome: string; details: { count: number; status?: number }; target: string; address: string }>(
      `SELECT actor, outcome, details, target, address FROM meta.audit_log WHERE action = 'tiles.read' ORDER BY id DESC LIMIT 2`,
    );
    const after = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM meta.audit_log WHERE action = 'tiles.read'`);
    expect(Number(after.rows[0]!.n) - Number(before.rows[0]!.n), 'two rows for 28 tiles').to.equal(2);
    const ok = rows.find((row) => row.outcome === 'ok')!;
    expect(ok).to.deep.include({ target: 'tileset:landuse', address: '127.0.0.1' });
    expect(ok.actor).to.match(/^东昌府区 editor \[[a-z0-9]{12}\]$/);
    expect(ok.details.count).to.equal(25);
    const denied = rows.find((row) => row.outcome === 'denied')!;
    expect(denied.details).to.deep.include({ count: 3, status: 403 });

    const api = jsonBody<{ entries: { actor: string; action: string; outcome: string; details: { count: number } }[] }>(
      await rawGet(`${server.baseUrl}/admin/audit?action=tiles.*&who=${encodeURIComponent('东昌府区')}&outcome=ok&limit=10`, bearer(BOOTSTRAP)),
    );
    expect(api.entries.length).to.be.greaterThan(0);
    expect(api.entries.every((entry) => entry.actor.startsWith('东昌府区') && entry.action === 'tiles.read' && entry.outcome === 'ok')).to.equal(true);
    const future = jsonBody<{ entries: unknown[] }>(await rawGet(`${server.baseUrl}/admin/audit?from=2999-01-01`, bearer(BOOTSTRAP)));
    expect(future.entries).to.deep.equal([]);
  });

  for (const [query, message] of [
    ['limit=0', /limit "0" must be a whole number from 1 to 1000/],
    ['limit=abc', /limit "abc"/],
    ['from=yesterday', /from "yesterday" is not an ISO 8601 date/],
    ['from=2026-02-01&to=2026-01-01', /is after to/],
    ['outcome=maybe', /outcome "maybe" is not one of/],
    ['before=-1', /before "-1" is not a positive whole number/],
    ['sort=at', /unknown query parameter "sort"/],
    ['who=a&who=b', /query parameter "who" must be given once/],
  ] as const) {
    it(`GET /admin/audit?${query} is 400 naming the parameter`, async () => {
      const response = await rawGet(`${server.baseUrl}/admin/audit?${query}`, bearer(BOOTSTRAP));
      expect(response.status).to.equal(400);
      expect(jsonBody<{ message: string }>(response).message).to.match(message);
    });
  }

  it('keeps meta.audit_log append-only for the application: UPDATE, DELETE and TRUNCATE fail', async () => {
    await server.access.audit.flush();
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM meta.audit_log');
    expect(Number(rows[0]!.n)).to.be.greaterThan(0);
    for (const statement of ["UPDATE meta.audit_log SET outcome = 'ok'", 'DELETE FROM meta.audit_log', 'TRUNCATE meta.audit_log']) {
      const error = await pool.query(statement).then(() => null, (e: unknown) => e as { code?: string; message: string });
      expect(error, statement).not.to.equal(null);
      expect(error!.code, statement).to.equal('42501');
      expect(error!.message).to.match(/append-only/);
    }
    const after = await pool.query<{ n: string }>('SELECT count(*) AS n FROM meta.audit_log');
    expect(after.rows[0]!.n).to.equal(rows[0]!.n);
  });

  it('keeps every reason a protected tile varies in Vary: Origin, Authorization and Accept-Encoding together', async () => {
    const response = await rawGet(`${server.baseUrl}${tilePath()}`, { ...bearer(tokens.viewerGranted), Origin: 'https://gis.example.org', 'Accept-Encoding': 'gzip' });
    expect(response.status).to.equal(200);
    const vary = String(response.headers.vary).split(',').map((name) => name.trim().toLowerCase());
    expect(vary).to.include.members(['origin', 'authorization', 'accept-encoding']);
  });

  it('answers CORS preflights: any origin for public tiles, configured origins for protected ones and the admin API', async () => {
    const preflight = (path: string, origin: string) => send('OPTIONS', `${server.baseUrl}${path}`, { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' });
    const publicTile = await preflight(`/tiles/ghfq/10/850/410.mvt`, 'https://anywhere.example.com');
    expect(publicTile.status).to.equal(204);
    expect(publicTile.headers['access-control-allow-origin']).to.equal('*');
    expect(publicTile.headers['access-control-allow-headers']).to.match(/Authorization/);
    const allowed = await preflight(tilePath(), 'https://gis.example.org');
    expect(allowed.headers['access-control-allow-origin']).to.equal('https://gis.example.org');
    expect(allowed.headers.vary).to.match(/Origin/);
    expect(allowed.headers['access-control-max-age']).to.equal('600');
    const stranger = await preflight(tilePath(), 'https://evil.example.com');
    expect(stranger.status).to.equal(204);
    expect(stranger.headers['access-control-allow-origin']).to.equal(undefined);
    const admin = await preflight('/admin/datasets', 'https://evil.example.com');
    expect(admin.headers['access-control-allow-origin']).to.equal(undefined);
    const adminAllowed = await preflight('/admin/datasets', 'https://gis.example.org');
    expect(adminAllowed.headers['access-control-allow-methods']).to.match(/POST/);
    // Actual responses: a restricted tile is shared with the configured origin only.
    const fromAllowed = await rawGet(`${server.baseUrl}${tilePath()}`, { ...bearer(tokens.admin), Origin: 'https://gis.example.org' });
    expect(fromAllowed.headers['access-control-allow-origin']).to.equal('https://gis.example.org');
    const fromStranger = await rawGet(`${server.baseUrl}${tilePath()}`, { ...bearer(tokens.admin), Origin: 'https://evil.example.com' });
    expect(fromStranger.headers['access-control-allow-origin']).to.equal(undefined);
    const catalogAnonymous = await rawGet(`${server.baseUrl}/catalog`, { Origin: 'https://evil.example.com' });
    expect(catalogAnonymous.headers['access-control-allow-origin']).to.equal('*');
  });

  it('sends security headers on tiles, JSON and pages, and no server banner', async () => {
    const responses: Record<string, RawResponse> = {
      tile: await rawGet(`${server.baseUrl}${tilePath()}`, bearer(tokens.admin)),
      refusedTile: await rawGet(`${server.baseUrl}${tilePath()}`),
      json: await rawGet(`${server.baseUrl}/catalog`),
      page: await rawGet(`${server.baseUrl}/`),
      wmts: await rawGet(`${server.baseUrl}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities`),
      notFound: await rawGet(`${server.baseUrl}/no/such/thing`),
    };
    for (const [name, response] of Object.entries(responses)) {
      expect(response.headers['x-content-type-options'], name).to.equal('nosniff');
      expect(response.headers['referrer-policy'], name).to.be.a('string');
      expect(response.headers['x-frame-options'], name).to.equal('SAMEORIGIN');
      expect(response.headers['content-security-policy'], name).to.match(/frame-ancestors/);
      expect(response.headers.server, name).to.equal(undefined);
      expect(response.headers['x-powered-by'], name).to.equal(undefined);
    }
    expect(responses.page!.headers['content-security-policy']).to.match(/script-src 'self'/);
    expect(responses.tile!.headers['content-security-policy']).to.match(/default-src 'none'/);
  });
});

describe('rate limits (server/access)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let pool: Pool;
  let server: AccessServer;
  let tokens: CallerTokens;

  before(async () => {
    database = await createTestDatabase('access-rate');
    pool = await openMigratedPool(testConfig(database.url));
    tokens = await makeCallerTokens(pool);
    server = await startAccessServer(pool, database.url, {
      adjustAccess: (access) => {
        access.rateLimits = {
          tiles: { perToken: { ratePerSecond: 0.001, burst: 3 }, perAddress: { ratePerSecond: 0.001, burst: 8 } },
          admin: { perToken: { ratePerSecond: 0.001, burst: 2 }, perAddress: { ratePerSecond: 0.001, burst: 4 } },
        };
      },
    });
  });

  after(async () => {
    await server?.close();
    await pool?.end();
    await database?.drop();
  });

  it('answers 429 with Retry-After when a token or an address has used its burst; tiles and admin have separate buckets', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await rawGet(`${server.baseUrl}/catalog`, { Authorization: `Bearer ${tokens.viewerGranted}` })).status);
    expect(statuses, 'per token: 3').to.deep.equal([200, 200, 200, 429, 429]);
    const limited = await rawGet(`${server.baseUrl}/tiles/county/10/850/410.mvt`, { Authorization: `Bearer ${tokens.viewerGranted}` });
    expect(limited.status).to.equal(429);
    expect(Number(limited.headers['retry-after'])).to.be.greaterThan(0);
    expect(jsonBody<{ error: string; message: string }>(limited)).to.deep.include({ error: 'rate_limited' });
    // Another token from the same address still has the address's remaining burst (8 - 6 = 2).
    const other = [];
    for (let i = 0; i < 3; i++) other.push((await rawGet(`${server.baseUrl}/catalog`, { Authorization: `Bearer ${tokens.admin}` })).status);
    expect(other, 'per address: 8').to.deep.equal([200, 200, 429]);
    // The admin API has its own buckets.
    const admin = [];
    for (let i = 0; i < 3; i++) admin.push((await rawGet(`${server.baseUrl}/admin/datasets`, { Authorization: `Bearer ${BOOTSTRAP}` })).status);
    expect(admin).to.deep.equal([200, 200, 429]);
  });
});

function send(method: string, url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
