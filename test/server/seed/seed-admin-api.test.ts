import { expect } from 'chai';
import express from 'express';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createAuthenticator } from '../../../core/auth/authenticator.js';
import { createToken } from '../../../core/auth/token-store.js';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { generateSample } from '../../../pipeline/sample/generate-sample.js';
import { ImportJobRunner } from '../../../pipeline/jobs/import-job-runner.js';
import { createAdminRouter } from '../../../server/admin/admin-router.js';
import { auditedAction } from '../../../server/admin/audited-action.js';
import { EventStreams } from '../../../server/admin/job-events.js';
import { createTileCache } from '../../../server/cache/create-tile-cache.js';
import type { TileCache } from '../../../server/cache/tile-cache.js';
import { VectorTileKeys } from '../../../server/cache/vector-tile-keys.js';
import { createErrorMiddleware, notFoundHandler } from '../../../server/http/error-middleware.js';
import { NO_CACHE_OBSERVER } from '../../../server/cache/tile-cache.js';
import type { ActionRunner } from '../../../server/routes/cache-purge-route.js';
import { createExportRouter } from '../../../server/offline/export-router.js';
import { StyleRasterRenderer } from '../../../server/render/style-raster-renderer.js';
import { createSeedRouter } from '../../../server/seed/seed-router.js';
import { AfterPublishSeeder } from '../../../server/seed/after-publish-seeder.js';
import { qualifiedVersionTable, versionTableDdl } from '../../../core/db/dataset-layout.js';
import { publishVersion, registerVersion, reserveVersion } from '../../../pipeline/publish/dataset-versions.js';
import { SeedRuns } from '../../../server/seed/seed-runs.js';
import { SeedService } from '../../../server/seed/seed-service.js';
import { planTiles } from '../../../server/seed/seed-plan.js';
import { loadTilesetCatalog, type TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { loadStyleCatalog, STYLES_DIR } from '../../../server/styles/style-catalog.js';
import { listen, type RunningServer } from '../../support/http-server.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';
import { openSse } from '../admin/sse-client.js';

const BOOTSTRAP = 'test-bootstrap-admin-token-seed-0123456789';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
  readonly bytes: Buffer;
}

/** Holds every tile computation until `open()`: lets a test watch a run in progress without timing. */
class GatedCache implements TileCache {
  private opened = false;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly inner: TileCache) {}
  open(): void {
    this.opened = true;
    for (const release of this.waiting.splice(0)) release();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  async getOrCompute(...args: Parameters<TileCache['getOrCompute']>): ReturnType<TileCache['getOrCompute']> {
    if (!this.opened) await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.inner.getOrCompute(...args);
  }
  peek(...args: Parameters<TileCache['peek']>): ReturnType<TileCache['peek']> {
    return this.inner.peek(...args);
  }
  get(...args: Parameters<TileCache['get']>): ReturnType<TileCache['get']> {
    return this.inner.get(...args);
  }
  put(...args: Parameters<TileCache['put']>): ReturnType<TileCache['put']> {
    return this.inner.put(...args);
  }
  has(...args: Parameters<TileCache['has']>): ReturnType<TileCache['has']> {
    return this.inner.has(...args);
  }
  purge(...args: Parameters<TileCache['purge']>): ReturnType<TileCache['purge']> {
    return this.inner.purge(...args);
  }
  sweep(...args: Parameters<TileCache['sweep']>): ReturnType<TileCache['sweep']> {
    return this.inner.sweep(...args);
  }
}

describe('seeding and exports over the admin API (POST /admin/seed, /admin/exports)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let config: AppConfig;
  let directory: string;
  let catalog: TilesetCatalog;
  let cache: GatedCache;
  let service: SeedService;
  let runs: SeedRuns;
  let streams: EventStreams;
  let runner: ImportJobRunner;
  let server: RunningServer;
  let bbox: number[];
  const tokens: Record<'editor' | 'viewer', string> = {} as never;

  before(async () => {
    database = await createTestDatabase('seed-admin');
    directory = await mkdtemp(join(tmpdir(), 'planmap-seed-admin-'));
    config = testConfig(database.url, (raw) => {
      raw.seed = { maxTiles: 400, concurrency: 2, afterPublishMaxZoom: 5 };
    });
    pool = await openMigratedPool(config);
    await generateSample(pool, config, { parcels: 300, seed: 'seed-admin' }, silentLogger);
    catalog = await loadTilesetCatalog(pool, config, silentLogger);
    const styles = loadStyleCatalog(STYLES_DIR, catalog, silentLogger, config.tilesets);
    const raster = new StyleRasterRenderer({ styles, catalog: () => catalog });
    cache = new GatedCache(createTileCache({ ...config.cache, shared: 'disk', disk: { directory: join(directory, 'cache') } }, { logger: silentLogger, observer: NO_CACHE_OBSERVER }));
    cache.open();
    service = new SeedService({ config, pool, tileCache: cache, catalog: () => catalog, tileKeys: new VectorTileKeys(config), styles, raster });
    runs = new SeedRuns({ tileCache: cache, concurrency: 2, logger: silentLogger });
    streams = new EventStreams();
    runner = new ImportJobRunner({ pool, config, logger: silentLogger });
    const runAction: ActionRunner = (req, res, action) => auditedAction(pool, silentLogger, req, res, action);
    const extraRouters = [
      createSeedRouter({ service, runs, logger: silentLogger, streams, runAction, keepAliveMs: 60_000 }),
      createExportRouter({ service, tileCache: cache, concurrency: 2, logger: silentLogger, attribution: 'test', runAction }),
    ];
    const authenticator = createAuthenticator({ pool, logger: silentLogger, bootstrapToken: BOOTSTRAP });
    const app = express();
    app.use('/admin', createAdminRouter({ config, pool, logger: silentLogger, authenticator, runner, eventStreams: streams, extraRouters }));
    app.use(notFoundHandler);
    app.use(createErrorMiddleware(silentLogger));
    server = await listen(app);
    tokens.editor = (await createToken(pool, { name: '东昌府区 editor', role: 'editor', countyCodes: ['371502'], tilesets: [], expiresAt: null, createdBy: 'test' })).token;
    tokens.viewer = (await createToken(pool, { name: 'viewer', role: 'viewer', countyCodes: [], tilesets: [], expiresAt: null, createdBy: 'test' })).token;
    const { rows } = await pool.query<{ x: number; y: number }>(
      'SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(geom) AS p FROM live.landuse ORDER BY fid LIMIT 1) s',
    );
    bbox = [rows[0]!.x - 0.02, rows[0]!.y - 0.02, rows[0]!.x + 0.02, rows[0]!.y + 0.02];
  });

  after(async () => {
    cache.open();
    await runs.close();
    streams.closeAll();
    await server.close();
    await runner.close();
    await cache.close();
    await pool.end();
    await database.drop();
    await rm(directory, { recursive: true, force: true });
  });

  async function call(method: string, path: string, token: string | null, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${server.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const bytes = Buffer.from(await response.arrayBuffer());
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    } catch {
      parsed = {};
    }
    return { status: response.status, headers: response.headers, body: parsed, bytes };
  }

  const errorOf = (answer: Answer) => String(answer.body.message ?? JSON.stringify(answer.body));

  it('starts a run (202 + Location), streams its progress as server-sent events to the end, and audits it', async () => {
    // A closed gate holds every tile until the stream is open: progress is observable without timing.
    const closedGate = new GatedCache(cache);
    const gatedRuns = new SeedRuns({ tileCache: closedGate, concurrency: 2, logger: silentLogger });
    const gatedService = new SeedService({ ...service.deps, tileCache: closedGate });
    // The same router over a closed gate, mounted on a second app sharing the authenticator path.
    const app = express();
    const authenticator = createAuthenticator({ pool, logger: silentLogger, bootstrapToken: BOOTSTRAP });
    const runAction: ActionRunner = (req, res, action) => auditedAction(pool, silentLogger, req, res, action);
    app.use('/admin', createAdminRouter({
      config, pool, logger: silentLogger, authenticator, runner, eventStreams: streams,
      extraRouters: [createSeedRouter({ service: gatedService, runs: gatedRuns, logger: silentLogger, streams, runAction })],
    }));
    app.use(createErrorMiddleware(silentLogger));
    const gatedServer = await listen(app);
    try {
      const response = await fetch(`${gatedServer.baseUrl}/admin/seed`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${BOOTSTRAP}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ tileset: 'landuse', bbox, zooms: [12, 14] }),
      });
      const started = (await response.json()) as { run: { id: string; status: string; progress: { total: number; done: number } } };
      expect(response.status).to.equal(202);
      expect(response.headers.get('location')).to.equal(`/admin/seed/${started.run.id}`);
      expect(started.run.status).to.equal('running');
      const total = started.run.progress.total;
      expect(total).to.be.greaterThan(2);
      const stream = await openSse(`${gatedServer.baseUrl}/admin/seed/${started.run.id}/events`, { Authorization: `Bearer ${BOOTSTRAP}` });
      expect(stream.status).to.equal(200);
      expect(stream.headers['content-type']).to.match(/^text\/event-stream/);
      const first = await stream.waitFor((event) => event.event === 'progress');
      expect(first.data).to.include({ status: 'running', done: 0, total });
      closedGate.open();
      const end = await stream.waitFor((event) => event.event === 'end');
      await stream.ended;
      expect(end.data).to.include({ status: 'done', done: total, total, computed: total, cached: 0 });
      const progress = stream.events.filter((event) => event.event === 'progress').map((event) => event.data.done as number);
      expect(progress.length).to.be.greaterThan(1);
      expect([...progress].sort((a, b) => a - b)).to.deep.equal(progress);
      // Runs are behind the admin token like everything else.
      const anonymous = await call('GET', `/admin/seed/${started.run.id}`, null);
      expect(anonymous.status).to.equal(401);
      const audit = await pool.query<{ action: string; target: string; outcome: string }>(
        "SELECT action, target, outcome FROM meta.audit_log WHERE action = 'seed.start' ORDER BY id DESC LIMIT 1",
      );
      expect(audit.rows[0]).to.deep.equal({ action: 'seed.start', target: 'tileset:landuse', outcome: 'ok' });
    } finally {
      closedGate.open();
      await gatedRuns.close();
      await gatedServer.close();
    }
  });

  it('lets GET /admin/seed/{id} show a finished run, and answers 404 for an unknown one', async () => {
    const started = await call('POST', '/admin/seed', BOOTSTRAP, { tileset: 'county', bbox, zooms: [8, 10] });
    expect(started.status).to.equal(202);
    const id = (started.body.run as { id: string }).id;
    await runs.finished(id);
    const view = await call('GET', `/admin/seed/${id}`, BOOTSTRAP);
    expect(view.status).to.equal(200);
    expect(view.body.run).to.deep.include({ id, status: 'done', county: null, grid: 'WebMercatorQuad', zooms: [8, 10] });
    const unknown = await call('GET', '/admin/seed/no-such-run', BOOTSTRAP);
    expect(unknown.status).to.equal(404);
  });

  const malformed: [string, unknown, number, RegExp][] = [
    ['a bbox of three numbers', { tileset: 'landuse', bbox: [115, 36, 116], zooms: [12, 14] }, 400, /^bbox: must be \[west, south, east, north\]/],
    ['a bbox with west beyond east', { tileset: 'landuse', bbox: [116, 36, 115, 37], zooms: [12, 14] }, 400, /^bbox: west \(116\) must be less than east \(115\)/],
    ['a bbox in metres', { tileset: 'landuse', bbox: [12900000, 4300000, 13000000, 4400000], zooms: [12, 14] }, 400, /^bbox: west and east must lie in \[-180, 180\]/],
    ['no zooms', { tileset: 'landuse', bbox: [115, 36, 116, 37] }, 400, /^zooms: is required/],
    ['zooms reversed', { tileset: 'landuse', bbox: [115, 36, 116, 37], zooms: [14, 10] }, 400, /^zooms: min zoom must not exceed max zoom/],
    ['a zoom of 25', { tileset: 'landuse', bbox: [115, 36, 116, 37], zooms: [10, 25] }, 400, /^zooms\[1\]: must be an integer 0 to 24/],
    ['a fractional zoom', { tileset: 'landuse', bbox: [115, 36, 116, 37], zooms: [10.5, 12] }, 400, /^zooms\[0\]: must be an integer 0 to 24/],
    ['zooms outside the tileset', { tileset: 'landuse', bbox: [115, 36, 116, 37], zooms: [2, 5] }, 400, /^zooms: \[2, 5\] is outside tileset "landuse" \(zoom 10 to 16\)/],
    ['a county that is not six digits', { tileset: 'landuse', county: '3715', zooms: [12, 14] }, 400, /^county: must be a six-digit county code/],
    ['both bbox and county', { tileset: 'landuse', county: '371502', bbox: [115, 36, 116, 37], zooms: [12, 14] }, 400, /^bbox, county: give exactly one/],
    ['neither tileset nor style', { bbox: [115, 36, 116, 37], zooms: [12, 14] }, 400, /^tileset, style: give exactly one/],
    ['an unknown field', { tileset: 'landuse', bbox: [115, 36, 116, 37], zooms: [12, 14], zoom: 3 }, 400, /^unknown field "zoom"/],
    ['an unknown grid', { tileset: 'landuse', bbox: [115, 36, 116, 37], zooms: [12, 14], grid: 'EPSG:3857' }, 400, /^grid: must be one of WebMercatorQuad, CGCS2000Quad/],
    ['an unknown tileset', { tileset: 'roads', bbox: [115, 36, 116, 37], zooms: [12, 14] }, 404, /unknown tileset "roads"/],
    ['an unknown style', { style: 'nope', bbox: [115, 36, 116, 37], zooms: [12, 14] }, 404, /unknown style "nope"/],
    ['an unknown county', { tileset: 'landuse', county: '379999', zooms: [12, 14] }, 404, /^county: unknown county "379999" \(counties of "county": 371502, /],
  ];
  for (const [what, body, status, message] of malformed) {
    it(`answers ${status} naming the field for ${what} (seed and export)`, async () => {
      const seeded = await call('POST', '/admin/seed', BOOTSTRAP, body);
      expect(seeded.status, JSON.stringify(seeded.body)).to.equal(status);
      expect(errorOf(seeded)).to.match(message);
      const exported = await call('POST', '/admin/exports', BOOTSTRAP, body);
      expect(exported.status).to.equal(status);
      expect(errorOf(exported)).to.match(message);
    });
  }

  it('refuses an area with more tiles than seed.maxTiles (422), naming the count and the limit', async () => {
    const answer = await call('POST', '/admin/seed', BOOTSTRAP, { tileset: 'landuse', bbox: [115.5, 36, 116.5, 37], zooms: [10, 16] });
    expect(answer.status).to.equal(422);
    expect(errorOf(answer)).to.match(/^tileset "landuse" at zoom 10 to 16 over bbox \[115\.5, 36, 116\.5, 37\] is [\d,]+ tiles, more than the limit of 400 \(seed\.maxTiles\)/);
    const exported = await call('GET', `/admin/exports/mbtiles?tileset=county&county=371502&zooms=0,16`, BOOTSTRAP);
    expect(exported.status).to.equal(422);
    expect(errorOf(exported)).to.match(/is [\d,]+ tiles, more than the limit of 400/);
  });

  it('lets an editor seed and export its own county only (403 for another county, a bbox, or a viewer)', async () => {
    const other = await call('POST', '/admin/seed', tokens.editor, { tileset: 'county', county: '371521', zooms: [8, 9] });
    expect(other.status).to.equal(403);
    expect(errorOf(other)).to.match(/may act on counties 371502, not 371521/);
    const byBox = await call('POST', '/admin/seed', tokens.editor, { tileset: 'county', bbox, zooms: [8, 9] });
    expect(byBox.status).to.equal(403);
    expect(errorOf(byBox)).to.match(/give "county" instead of a bbox/);
    const exportOther = await call('GET', '/admin/exports/mbtiles?tileset=county&county=371521&zooms=8,9', tokens.editor);
    expect(exportOther.status).to.equal(403);
    const viewer = await call('POST', '/admin/seed', tokens.viewer, { tileset: 'county', county: '371502', zooms: [8, 9] });
    expect(viewer.status).to.equal(403);
    const own = await call('POST', '/admin/seed', tokens.editor, { tileset: 'county', county: '371502', zooms: [8, 9] });
    expect(own.status, JSON.stringify(own.body)).to.equal(202);
    await runs.finished((own.body.run as { id: string }).id);
    const denied = await pool.query<{ outcome: string; target: string }>(
      "SELECT outcome, target FROM meta.audit_log WHERE action = 'seed.start' AND outcome = 'denied' ORDER BY id DESC LIMIT 1",
    );
    expect(denied.rows[0]).to.deep.equal({ outcome: 'denied', target: 'tileset:county' });
  });

  it('answers an MBTiles file for POST /admin/exports and GET /admin/exports/mbtiles', async () => {
    const posted = await call('POST', '/admin/exports', BOOTSTRAP, { tileset: 'landuse', bbox, zooms: [12, 13] });
    expect(posted.status, posted.bytes.toString('utf8').slice(0, 200)).to.equal(200);
    expect(posted.headers.get('content-type')).to.equal('application/vnd.sqlite3');
    expect(posted.headers.get('content-disposition')).to.equal('attachment; filename="landuse-bbox-z12-13.mbtiles"');
    expect(posted.bytes.subarray(0, 16).toString('latin1')).to.equal('SQLite format 3\0');
    const file = join(directory, 'posted.mbtiles');
    await writeFile(file, posted.bytes);
    const db = new Database(file, { readonly: true });
    try {
      const count = (db.prepare('SELECT count(*) AS n FROM tiles').get() as { n: number }).n;
      expect(count).to.equal(Number(posted.headers.get('x-tile-count'))).and.be.greaterThan(0);
      const { plan } = await service.prepare({ tileset: 'landuse', bbox, zooms: [12, 13] });
      expect(count).to.be.at.most([...planTiles(plan)].length);
    } finally {
      db.close();
    }
    const got = await call('GET', '/admin/exports/mbtiles?tileset=county&county=371502&zooms=8,9', tokens.editor);
    expect(got.status, got.bytes.toString('utf8').slice(0, 200)).to.equal(200);
    expect(got.headers.get('content-disposition')).to.equal('attachment; filename="county-371502-z8-9.mbtiles"');
    const bad = await call('GET', '/admin/exports/mbtiles?tileset=county&county=371502&zooms=8,x', BOOTSTRAP);
    expect(bad.status).to.equal(400);
    expect(errorOf(bad)).to.match(/^zooms\[1\]: must be an integer 0 to 24/);
  });

  it('aborts a run on DELETE /admin/seed/{id} (an editor only its own): it ends aborted', async () => {
    const closedGate = new GatedCache(cache);
    const gatedRuns = new SeedRuns({ tileCache: closedGate, concurrency: 2, logger: silentLogger });
    const gatedService = new SeedService({ ...service.deps, tileCache: closedGate });
    const app = express();
    const authenticator = createAuthenticator({ pool, logger: silentLogger, bootstrapToken: BOOTSTRAP });
    app.use('/admin', createAdminRouter({
      config, pool, logger: silentLogger, authenticator, runner, eventStreams: streams,
      extraRouters: [createSeedRouter({ service: gatedService, runs: gatedRuns, logger: silentLogger, streams })],
    }));
    app.use(createErrorMiddleware(silentLogger));
    const gatedServer = await listen(app);
    const send = (method: string, path: string, token: string, body?: unknown) =>
      fetch(`${gatedServer.baseUrl}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    try {
      // A style nothing has cached yet: every tile waits at the gate.
      const started = (await (await send('POST', '/admin/seed', BOOTSTRAP, { style: 'landuse', bbox, zooms: [12, 13], format: 'jpg' })).json()) as { run: { id: string } };
      const byEditor = await send('DELETE', `/admin/seed/${started.run.id}`, tokens.editor);
      expect(byEditor.status).to.equal(403);
      const aborted = await send('DELETE', `/admin/seed/${started.run.id}`, BOOTSTRAP);
      expect(aborted.status).to.equal(202);
      closedGate.open();
      const run = await gatedRuns.finished(started.run.id);
      expect(run).to.deep.include({ status: 'aborted', error: 'aborted by request' });
      expect(run!.progress.done).to.be.lessThan(run!.progress.total);
      expect((await send('DELETE', '/admin/seed/no-such-run', BOOTSTRAP)).status).to.equal(404);
    } finally {
      closedGate.open();
      await gatedRuns.close();
      await gatedServer.close();
    }
  });

  it('seeds the low zooms of a tileset whose data was published (seed.afterPublishMaxZoom), and only of that one', async () => {
    const seeder = new AfterPublishSeeder({ config, catalog: () => catalog, service, runs, logger: silentLogger });
    expect(await seeder.check()).to.deep.equal([]);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const version = await reserveVersion(client, 'county');
      await client.query(versionTableDdl('county', version, [{ name: 'XZQDM', type: 'text' }, { name: 'XZQMC', type: 'text' }]));
      await client.query(`INSERT INTO ${qualifiedVersionTable('county', version)} ("XZQDM", "XZQMC", geom) SELECT "XZQDM", "XZQMC" || ' (new)', geom FROM live.county ORDER BY fid`);
      await registerVersion(client, { datasetId: 'county', version, importJobId: null });
      await publishVersion(client, 'county', version);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    catalog = await loadTilesetCatalog(pool, config, silentLogger);
    const started = await seeder.check();
    expect(started).to.have.length(1);
    const run = await runs.finished(started[0]!);
    expect(run).to.deep.include({ status: 'done', target: { kind: 'tileset', id: 'county' }, zooms: [0, 5], startedBy: 'after-publish' });
    // Every tile of the new version's keys is cached now.
    const { target, plan } = await service.prepare({ tileset: 'county', bbox: catalog.resolve('county').layers[0]!.info.bounds, zooms: [0, 5] });
    expect(plan.total).to.equal(run!.progress.total);
    for (const tile of planTiles(plan)) expect(await cache.has(target.keyFor(tile, plan.grid)), `${tile.z}/${tile.x}/${tile.y}`).to.equal(true);
    expect(await seeder.check()).to.deep.equal([]);
  });
});
