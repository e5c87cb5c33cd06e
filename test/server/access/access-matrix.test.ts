import { expect } from 'chai';
import type { AccessLevel } from '../../../core/config/access-schema.js';
import { CGCS2000Quad, WebMercatorQuad, type TileCoord } from '../../../core/grid/tile-matrix-set.js';
import { rawGet, type RawResponse } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { createTestDatabase, openMigratedPool, testConfig, type TestDatabase } from '../../support/test-database.js';
import { tilesAroundParcels } from '../../support/tile-expectations.js';
import { callerNames, makeCallerTokens, startAccessServer, type AccessServer, type CallerName, type CallerTokens } from './access-test-server.js';
import type { Pool } from '../../../core/db/pool.js';
import http from 'node:http';

/**
 * The access matrix: every route x every caller x every access level gives the expected status,
 * with the token in `Authorization: Bearer` and (for reading routes) in `?token=`. Each level runs
 * on its own server where every tileset has that level; the landuse style draws landuse and county.
 */

const levels: readonly AccessLevel[] = ['public', 'internal', 'restricted'];
const VALID: ReadonlySet<CallerName> = new Set(['viewerGranted', 'viewerUngranted', 'editorOwn', 'editorOther', 'admin', 'bootstrap']);
const GRANTED: ReadonlySet<CallerName> = new Set(['viewerGranted', 'editorOwn', 'admin', 'bootstrap']);

/** The expected status of a read of landuse data at `level` by `caller`. */
function expectedReadStatus(level: AccessLevel, caller: CallerName): number {
  if (level === 'public') return 200; // public data is served without looking at credentials
  if (!VALID.has(caller)) return 401;
  if (level === 'internal') return 200;
  return GRANTED.has(caller) ? 200 : 403;
}

/** Whether a listing shows landuse (listings verify a token that is sent: a bad one is 401). */
function listingStatus(caller: CallerName): number {
  return caller === 'anonymous' || VALID.has(caller) ? 200 : 401;
}

function mayRead(level: AccessLevel, caller: CallerName): boolean {
  return expectedReadStatus(level, caller) === 200 && (level === 'public' || VALID.has(caller));
}

interface ReadRoute {
  readonly name: string;
  readonly path: () => string;
  readonly contentType: RegExp;
}

interface ListingRoute {
  readonly name: string;
  readonly path: string;
  readonly shows: (response: RawResponse) => boolean;
}

interface AdminRoute {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly expected: Readonly<Record<CallerName, number>>;
}

const adminDenied = { anonymous: 401, invalid: 401, expired: 401, revoked: 401, viewerGranted: 403, viewerUngranted: 403 } as const;

const adminRoutes: readonly AdminRoute[] = [
  { name: 'GET /admin/datasets', method: 'GET', path: '/admin/datasets', expected: { ...adminDenied, editorOwn: 200, editorOther: 200, admin: 200, bootstrap: 200 } },
  { name: 'GET /admin/jobs', method: 'GET', path: '/admin/jobs', expected: { ...adminDenied, editorOwn: 200, editorOther: 200, admin: 200, bootstrap: 200 } },
  { name: 'GET /admin/audit', method: 'GET', path: '/admin/audit?limit=5', expected: { ...adminDenied, editorOwn: 403, editorOther: 403, admin: 200, bootstrap: 200 } },
  // Nothing to roll back in the access tests' empty database: 409 once the caller may act on the dataset.
  { name: 'POST rollback of an own-county dataset', method: 'POST', path: '/admin/datasets/stbhhx_371502/rollback', expected: { ...adminDenied, editorOwn: 409, editorOther: 403, admin: 409, bootstrap: 409 } },
  { name: 'POST rollback of a city-wide dataset', method: 'POST', path: '/admin/datasets/landuse/rollback', expected: { ...adminDenied, editorOwn: 403, editorOther: 403, admin: 409, bootstrap: 409 } },
];

describe('access matrix (server/access)', function () {
  this.timeout(300_000);
  let database: TestDatabase;
  let pool: Pool;
  let tokens: CallerTokens;
  let mercatorTile: TileCoord;
  let cgcsTile: TileCoord;
  const servers = new Map<AccessLevel, AccessServer>();

  before(async () => {
    database = await createTestDatabase('access-matrix');
    pool = await openMigratedPool(testConfig(database.url));
    tokens = await makeCallerTokens(pool);
    [mercatorTile] = await tilesAroundParcels(sampleFixture().pool, WebMercatorQuad, 14, 1) as [TileCoord];
    [cgcsTile] = await tilesAroundParcels(sampleFixture().pool, CGCS2000Quad, 14, 1) as [TileCoord];
    for (const level of levels) servers.set(level, await startAccessServer(pool, database.url, { level }));
  });

  after(async () => {
    for (const server of servers.values()) await server.close();
    await pool?.end();
    await database?.drop();
  });

  const readRoutes: readonly ReadRoute[] = [
    { name: 'XYZ tile (WebMercatorQuad)', path: () => `/tiles/landuse/14/${mercatorTile.x}/${mercatorTile.y}.mvt`, contentType: /vnd\.mapbox-vector-tile/ },
    { name: 'XYZ tile (CGCS2000Quad)', path: () => `/tiles/landuse/CGCS2000Quad/14/${cgcsTile.x}/${cgcsTile.y}.mvt`, contentType: /vnd\.mapbox-vector-tile/ },
    { name: 'composite XYZ tile', path: () => `/tiles/county,landuse/14/${mercatorTile.x}/${mercatorTile.y}.mvt`, contentType: /vnd\.mapbox-vector-tile/ },
    { name: 'TileJSON', path: () => '/tiles/landuse.json', contentType: /json/ },
    { name: 'style.json', path: () => '/styles/landuse/style.json', contentType: /json/ },
    { name: 'raster tile', path: () => `/styles/landuse/14/${mercatorTile.x}/${mercatorTile.y}.png`, contentType: /image\/png/ },
    {
      name: 'WMTS GetTile (KVP)',
      path: () => `/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=landuse&STYLE=default&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=14&TILEROW=${mercatorTile.y}&TILECOL=${mercatorTile.x}&FORMAT=image/png`,
      contentType: /image\/png/,
    },
    { name: 'WMTS GetTile (RESTful)', path: () => `/wmts/1.0.0/landuse/default/WebMercatorQuad/14/${mercatorTile.y}/${mercatorTile.x}.png`, contentType: /image\/png/ },
  ];

  const listingRoutes: readonly ListingRoute[] = [
    { name: 'GET /catalog', path: '/catalog', shows: (r) => (JSON.parse(r.body.toString()) as { tilesets: { id: string }[] }).tilesets.some((t) => t.id === 'landuse') },
    { name: 'GET /styles', path: '/styles', shows: (r) => (JSON.parse(r.body.toString()) as { styles: { id: string }[] }).styles.some((s) => s.id === 'landuse') },
    { name: 'WMTS GetCapabilities', path: '/wmts?SERVICE=WMTS&REQUEST=GetCapabilities', shows: (r) => r.body.toString().includes('<ows:Identifier>landuse</ows:Identifier>') },
  ];

  for (const level of levels) {
    describe(`tilesets ${level}`, () => {
      for (const route of readRoutes) {
        for (const carrier of ['header', 'query'] as const) {
          it(`${route.name}, token in ${carrier === 'header' ? 'Authorization' : '?token='}: ${callerNames.length} callers`, async () => {
            const server = servers.get(level)!;
            const table = [];
            for (const caller of callerNames) {
              const response = await request(server, route.path(), tokens[caller], carrier);
              table.push({ caller, status: response.status, expected: expectedReadStatus(level, caller), response });
            }
            expect(table.map(({ caller, status }) => `${caller} ${status}`)).to.deep.equal(table.map(({ caller, expected }) => `${caller} ${expected}`));
            for (const { status, response } of table) {
              if (status === 200) expect(response.headers['content-type'], route.name).to.match(route.contentType);
              if (status === 401) expect(response.headers['www-authenticate'], route.name).to.match(/^Bearer realm="planmap"/);
              // Protected data is never stored by shared caches.
              if (status === 200 && level !== 'public' && /tile/i.test(route.name)) expect(response.headers['cache-control']).to.match(/^private/);
            }
          });
        }
      }
      for (const route of listingRoutes) {
        it(`${route.name} lists landuse only to callers who may read it`, async () => {
          const server = servers.get(level)!;
          const table = [];
          for (const caller of callerNames) {
            const response = await request(server, route.path, tokens[caller], 'header');
            table.push({ caller, got: `${response.status} ${response.status === 200 ? route.shows(response) : '-'}` });
          }
          expect(table.map(({ caller, got }) => `${caller} ${got}`)).to.deep.equal(
            callerNames.map((caller) => `${caller} ${listingStatus(caller)} ${listingStatus(caller) === 200 ? mayRead(level, caller) : '-'}`),
          );
        });
      }
      for (const route of adminRoutes) {
        it(`${route.name}: the same for every level`, async () => {
          const server = servers.get(level)!;
          const got = [];
          for (const caller of callerNames) got.push(`${caller} ${(await adminRequest(server, route, tokens[caller])).status}`);
          expect(got).to.deep.equal(callerNames.map((caller) => `${caller} ${route.expected[caller]}`));
        });
      }
    });
  }

  it('the admin API never takes ?token= (tokens for writes travel in the header only)', async () => {
    const server = servers.get('public')!;
    const response = await rawGet(`${server.baseUrl}/admin/datasets?token=${encodeURIComponent(tokens.admin!)}`);
    expect(response.status).to.equal(401);
  });
});

function request(server: AccessServer, path: string, token: string | null, carrier: 'header' | 'query'): Promise<RawResponse> {
  if (token === null) return rawGet(`${server.baseUrl}${path}`);
  if (carrier === 'header') return rawGet(`${server.baseUrl}${path}`, { Authorization: `Bearer ${token}` });
  return rawGet(`${server.baseUrl}${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`);
}

function adminRequest(server: AccessServer, route: AdminRoute, token: string | null): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    const req = http.request(`${server.baseUrl}${route.path}`, { method: route.method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(route.method === 'POST' ? '{}' : undefined);
  });
}
