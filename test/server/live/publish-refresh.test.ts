import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { readConfigFile, resolveConfigFile, type AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { WebMercatorQuad, tileAtPoint, type TileCoord } from '../../../core/grid/tile-matrix-set.js';
import { projectRoot } from '../../../core/project-root.js';
import { importDataset } from '../../../pipeline/import/import-dataset.js';
import { rollbackDataset } from '../../../pipeline/publish/dataset-versions.js';
import { createApp } from '../../../server/app.js';
import { startLiveCatalog, type LiveCatalogHandle } from '../../../server/live/start-live-catalog.js';
import { loadTilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { decodeTile } from '../../support/decode-tile.js';
import { jsonBody, listen, rawGet, type RunningServer } from '../../support/http-server.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';
import { parcelRow, prjOf, writeParcelShapefile } from '../../pipeline/import/delivery-fixture.js';
import { awaitSessionsGone } from '../../pipeline/schedule/lock-holder.js';

/**
 * A running server learns of publishes and rollbacks made by another process (the CLI) through
 * LISTEN/NOTIFY, and serves the new version without a restart.
 */
describe('tile server refresh on publish (server/live)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let dir: string;
  let configFile: string;
  let config: AppConfig;
  let live: LiveCatalogHandle;
  let server: RunningServer;
  let tile: TileCoord;

  function adjust(raw: Record<string, unknown>): void {
    raw.pipeline = { importRoots: [join(dir, 'inbox')] };
    (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!.source = { path: 'dltb' };
    // The test delivery (delivery-fixture.ts) has these attributes of the 三调 table, not all.
    (raw.tilesets as Record<string, unknown>[]).find((tileset) => tileset.id === 'landuse')!.properties = ['BSM', 'DLBM', 'DLMC'];
  }

  before(async () => {
    database = await createTestDatabase('live');
    dir = await mkdtemp(join(tmpdir(), 'planmap-live-'));
    config = testConfig(database.url, adjust);
    const raw = readConfigFile(resolveConfigFile(undefined)) as Record<string, unknown>;
    adjust(raw);
    configFile = join(dir, 'planmap.yaml');
    await writeFile(configFile, JSON.stringify(raw));
    pool = await openMigratedPool(config);
    await deliver(parcelRow(10, { dlbm: '0101', dlmc: '水田' }));
    expect((await importDataset(pool, config, 'landuse', { trigger: 'cli', startedBy: 'test' }, silentLogger)).version).to.equal(1);
    const { rows } = await pool.query<{ x: number; y: number }>(`SELECT ST_X(c) AS x, ST_Y(c) AS y FROM (SELECT ST_Centroid(ST_Extent(geom_3857)) AS c FROM live.landuse) centre`);
    // z10 (the tileset's minzoom, ~30 km across here) holds the whole 1.2 km row of test parcels.
    tile = tileAtPoint(WebMercatorQuad, 10, rows[0]!.x, rows[0]!.y);
    live = await startLiveCatalog({ config, logger: silentLogger, build: () => loadTilesetCatalog(pool, config, silentLogger), catalog: { debounceMs: 10 } });
    server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => live.catalog.current() }));
  });

  after(async () => {
    await server?.close();
    await live?.stop();
    await pool.end();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  async function deliver(parcels: ReturnType<typeof parcelRow>): Promise<void> {
    await rm(join(dir, 'inbox', 'dltb'), { recursive: true, force: true });
    await writeParcelShapefile(join(dir, 'inbox', 'dltb', 'DLTB'), parcels, { prj: await prjOf(pool, 4527) });
  }

  function cli(...args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'pipeline', 'cli', 'planmap-cli.ts'), ...args], {
        cwd: projectRoot,
        env: { ...process.env, CONFIG_FILE: configFile, DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
  }

  /** What the server serves now: the TileJSON version and the land-use names in the tile. */
  async function served(): Promise<{ version: string; names: string[]; features: number }> {
    const tileJson = await rawGet(`${server.baseUrl}/tiles/landuse.json`);
    expect(tileJson.status).to.equal(200);
    const response = await rawGet(`${server.baseUrl}/tiles/landuse/${tile.z}/${tile.x}/${tile.y}.mvt`);
    expect(response.status).to.equal(200);
    const features = decodeTile(response.body).get('landuse')!.features;
    return {
      version: jsonBody<{ version: string }>(tileJson).version,
      names: [...new Set(features.map((feature) => String(feature.properties.DLMC)))],
      features: features.length,
    };
  }

  it('serves version 1 at start', async () => {
    expect(await served()).to.deep.equal({ version: '1.0.1', names: ['水田'], features: 10 });
  });

  it('serves the new version once the CLI publishes one, without a restart', async () => {
    await deliver(parcelRow(12, { dlbm: '0103', dlmc: '旱地' }));
    const refreshed = live.catalog.whenRefreshed();
    const run = await cli('import', 'landuse');
    expect(run.code, run.stderr).to.equal(0);
    expect((await refreshed).error).to.equal(null);
    expect(await served()).to.deep.equal({ version: '1.0.2', names: ['旱地'], features: 12 });
  });

  it('serves the earlier version again once the CLI rolls back', async () => {
    const refreshed = live.catalog.whenRefreshed();
    const run = await cli('rollback', 'landuse');
    expect(run.code, run.stderr).to.equal(0);
    await refreshed;
    expect(await served()).to.deep.equal({ version: '1.0.1', names: ['水田'], features: 10 });
  });

  it('ignores publishes of datasets no tileset serves', async () => {
    const requests = live.catalog.requests;
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      // A notice of a dataset no tileset reads: nothing to rebuild. Then one of landuse: notices
      // arrive in order on the one connection, so once it is handled the first one was too.
      await client.query(`SELECT pg_notify('planmap_publish', json_build_object('dataset', 'stbhhx_371502', 'version', 1)::text)`);
      const refreshed = live.catalog.whenRefreshed();
      await client.query(`SELECT pg_notify('planmap_publish', json_build_object('dataset', 'landuse', 'version', 1)::text)`);
      await refreshed;
    } finally {
      await client.end();
    }
    expect(live.catalog.requests).to.equal(requests + 1);
  });

  describe('when its listening connection is cut', () => {
    let proxy: TcpProxy;
    let proxied: LiveCatalogHandle;

    before(async () => {
      const target = new URL(database.url);
      proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
      await proxy.start();
      const viaProxy = new URL(database.url);
      viaProxy.port = String(proxy.port);
      const proxiedConfig = testConfig(viaProxy.toString(), adjust);
      proxied = await startLiveCatalog({
        config: proxiedConfig,
        logger: silentLogger,
        build: () => loadTilesetCatalog(pool, config, silentLogger),
        catalog: { debounceMs: 10 },
        listener: { reconnectDelayMs: 20, maxReconnectDelayMs: 200 },
      });
      expect(proxied.listener.listening).to.equal(true);
    });

    after(async () => {
      await proxied.stop();
      await proxy.stop();
    });

    it('reconnects, and rebuilds once for the publishes it missed meanwhile', async () => {
      await proxy.stop();
      const client = await pool.connect();
      try {
        expect(await rollbackDataset(client, 'landuse', 2)).to.equal(2);
      } finally {
        client.release();
      }
      expect(proxied.catalog.current().list()[0]!.info.dataVersion).to.equal(1);
      const refreshed = proxied.catalog.whenRefreshed();
      await proxy.start();
      await refreshed;
      expect(proxied.listener.listening).to.equal(true);
      expect(proxied.catalog.current().list()[0]!.info.dataVersion).to.equal(2);
    });

    it('and hears publishes again after reconnecting', async () => {
      const refreshed = proxied.catalog.whenRefreshed();
      const run = await cli('rollback', 'landuse', '1');
      expect(run.code, run.stderr).to.equal(0);
      await refreshed;
      expect(proxied.catalog.current().list()[0]!.info.dataVersion).to.equal(1);
    });
  });

  describe('on shutdown', () => {
    it('closes its listening connection', async () => {
      const { rows: before } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'planmap-publish-listener'`);
      expect(before[0]!.n).to.equal(1);
      await live.stop();
      expect(live.listener.listening).to.equal(false);
      await awaitSessionsGone(database.url, 'planmap-publish-listener');
    });
  });
});
