import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { createApp } from '../../../server/app.js';
import { createTileCache } from '../../../server/cache/create-tile-cache.js';
import type { TileCache } from '../../../server/cache/tile-cache.js';
import { VectorTileKeys } from '../../../server/cache/vector-tile-keys.js';
import { createServerMetrics } from '../../../server/metrics/server-metrics.js';
import { exportMbtiles } from '../../../server/offline/export-mbtiles.js';
import { StyleRasterRenderer } from '../../../server/render/style-raster-renderer.js';
import { planTiles } from '../../../server/seed/seed-plan.js';
import { SeedService } from '../../../server/seed/seed-service.js';
import { loadTilesetCatalog, type TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { loadStyleCatalog, STYLES_DIR, type StyleCatalog } from '../../../server/styles/style-catalog.js';
import { decodeTile } from '../../support/decode-tile.js';
import { listen, rawGet, type RunningServer } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger } from '../../support/test-database.js';

const run = promisify(execFile);

interface TileRow {
  zoom_level: number;
  tile_column: number;
  tile_row: number;
  tile_data: Buffer;
}

describe('MBTiles offline packages (server/offline)', () => {
  let config: AppConfig;
  let pool: Pool;
  let catalog: TilesetCatalog;
  let styles: StyleCatalog;
  let directory: string;
  let cache: TileCache;
  let service: SeedService;
  let server: RunningServer;
  let bbox: [number, number, number, number];

  before(async () => {
    ({ config, pool } = sampleFixture());
    catalog = await loadTilesetCatalog(pool, config, silentLogger);
    styles = loadStyleCatalog(STYLES_DIR, catalog, silentLogger, config.tilesets);
    const raster = new StyleRasterRenderer({ styles, catalog: () => catalog });
    directory = await mkdtemp(join(tmpdir(), 'planmap-mbtiles-'));
    const metrics = createServerMetrics({ tilesetIds: config.tilesets.map((tileset) => tileset.id), processMetrics: false });
    cache = createTileCache({ ...config.cache, shared: 'disk', disk: { directory: join(directory, 'cache') } }, { logger: silentLogger, observer: metrics });
    service = new SeedService({ config, pool, tileCache: cache, catalog: () => catalog, tileKeys: new VectorTileKeys(config), styles, raster });
    // The app without the cache: tiles computed afresh, to compare with the packaged ones.
    server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog, styles, raster }));
    const { rows } = await pool.query<{ x: number; y: number }>(
      'SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(geom) AS p FROM live.landuse ORDER BY fid LIMIT 1) s',
    );
    bbox = [rows[0]!.x - 0.02, rows[0]!.y - 0.015, rows[0]!.x + 0.02, rows[0]!.y + 0.015];
  });

  after(async () => {
    await server.close();
    await cache.close();
    await rm(directory, { recursive: true, force: true });
  });

  describe('a vector package (tileset landuse)', () => {
    let file: string;
    let expectedTiles: number;
    let empty: number;
    let total: number;

    before(async () => {
      const prepared = await service.prepare({ tileset: 'landuse', bbox, zooms: [12, 14] });
      file = join(directory, 'landuse.mbtiles');
      const result = await exportMbtiles(prepared, file, { cache, concurrency: 3, attribution: 'test attribution' });
      total = prepared.plan.total;
      empty = result.emptyTiles;
      expectedTiles = total - empty;
      expect(result.tiles).to.equal(expectedTiles);
      expect([...planTiles(prepared.plan)]).to.have.length(total);
    });

    it('holds every enumerated tile with data, and the MBTiles 1.3 metadata', async () => {
      const db = new Database(file, { readonly: true });
      try {
        const count = db.prepare('SELECT count(*) AS n FROM tiles').get() as { n: number };
        expect(count.n).to.equal(expectedTiles);
        expect(expectedTiles).to.be.greaterThan(0);
        const metadata = Object.fromEntries((db.prepare('SELECT name, value FROM metadata').all() as { name: string; value: string }[]).map((row) => [row.name, row.value]));
        expect(metadata).to.include({ format: 'pbf', minzoom: '12', maxzoom: '14', type: 'overlay', attribution: 'test attribution' });
        expect(metadata.name).to.be.a('string').and.not.equal('');
        expect(metadata.bounds!.split(',').map(Number)).to.deep.equal(bbox.map((value) => Math.round(value * 1e7) / 1e7));
        const [lon, lat, zoom] = metadata.center!.split(',').map(Number);
        expect(lon).to.be.within(bbox[0], bbox[2]);
        expect(lat).to.be.within(bbox[1], bbox[3]);
        expect(zoom).to.be.within(12, 14);
        expect(Number(metadata.version)).to.equal(catalog.resolve('landuse').layers[0]!.info.dataVersion);
        const json = JSON.parse(metadata.json!) as { vector_layers: { id: string; fields: Record<string, string>; minzoom: number; maxzoom: number }[] };
        expect(json.vector_layers.map((layer) => layer.id)).to.deep.equal(['landuse']);
        expect(json.vector_layers[0]!.fields).to.include.keys('DLBM');
        expect(json.vector_layers[0]).to.include({ minzoom: 12, maxzoom: 14 });
        const indexes = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tiles'").all() as { sql: string }[];
        expect(indexes.some((index) => /UNIQUE INDEX .* ON tiles \(zoom_level, tile_column, tile_row\)/.test(index.sql))).to.equal(true);
      } finally {
        db.close();
      }
    });

    it('stores rows in TMS order, gzip-compressed: each tile equals the server\'s tile of the same z/x/y', async () => {
      const db = new Database(file, { readonly: true });
      try {
        const rows = db.prepare('SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles ORDER BY length(tile_data) DESC LIMIT 3').all() as TileRow[];
        for (const row of rows) {
          const y = 2 ** row.zoom_level - 1 - row.tile_row;
          expect(row.tile_data.subarray(0, 2).toString('hex'), 'gzip magic').to.equal('1f8b');
          const packaged = gunzipSync(row.tile_data);
          const served = await rawGet(`${server.baseUrl}/tiles/landuse/${row.zoom_level}/${row.tile_column}/${y}.mvt`);
          expect(served.status).to.equal(200);
          expect(packaged.equals(served.body), `${row.zoom_level}/${row.tile_column}/${y}`).to.equal(true);
          expect(decodeTile(packaged).get('landuse')!.features.length).to.be.greaterThan(0);
          // The unflipped row is another tile (or none): the flip is not a no-op here.
          expect(row.tile_row).to.not.equal(y);
        }
      } finally {
        db.close();
      }
    });

    it('is read by GDAL\'s MBTiles driver: ogrinfo lists the layer and its features', async () => {
      const { stdout } = await run('ogrinfo', ['-ro', '-so', '-oo', 'ZOOM_LEVEL=14', file, 'landuse']);
      expect(stdout).to.match(/using driver `MBTiles'/);
      expect(stdout).to.match(/Layer name: landuse/);
      const features = Number(/Feature Count: (\d+)/.exec(stdout)?.[1]);
      // GDAL reads each tile's features as they are (no merging across tiles): the count is the package's.
      const db = new Database(file, { readonly: true });
      let packaged = 0;
      try {
        for (const row of db.prepare('SELECT tile_data FROM tiles WHERE zoom_level = 14').all() as TileRow[]) {
          packaged += decodeTile(gunzipSync(row.tile_data)).get('landuse')?.features.length ?? 0;
        }
      } finally {
        db.close();
      }
      expect(features).to.equal(packaged).and.be.greaterThan(0);
      const { stdout: layers } = await run('ogrinfo', ['-ro', '-q', file]);
      expect(layers).to.match(/1: landuse/);
    });
  });

  describe('a raster package (style landuse, png)', () => {
    let file: string;
    let plan: Awaited<ReturnType<SeedService['prepare']>>['plan'];

    before(async () => {
      const prepared = await service.prepare({ style: 'landuse', bbox, zooms: [12, 13], format: 'png' });
      plan = prepared.plan;
      file = join(directory, 'landuse-style.mbtiles');
      const result = await exportMbtiles(prepared, file, { cache, concurrency: 2, attribution: 'test' });
      expect(result.tiles).to.equal(plan.total);
      expect((await stat(file)).size).to.be.greaterThan(0);
    });

    it('is read by GDAL\'s MBTiles driver with the size and bounds of its tiles', async () => {
      const { stdout } = await run('gdalinfo', ['-json', file]);
      const info = JSON.parse(stdout) as { driverShortName: string; size: [number, number]; geoTransform: number[]; metadata: Record<string, Record<string, string>> };
      expect(info.driverShortName).to.equal('MBTiles');
      const level = plan.levels.at(-1)!;
      const span = (2 * Math.PI * 6378137) / 2 ** level.z / 256;
      // GDAL clips the full-resolution level to the bounds in the metadata.
      const west = Number(info.geoTransform[0]);
      const north = Number(info.geoTransform[3]);
      expect(info.geoTransform[1]).to.be.closeTo(span, span * 1e-6);
      const [x0] = mercator(bbox[0], bbox[3]);
      const [x1, y1] = mercator(bbox[2], bbox[1]);
      const [, y0] = mercator(bbox[0], bbox[3]);
      expect(west).to.be.closeTo(x0, span);
      expect(north).to.be.closeTo(y0, span);
      expect(info.size[0]).to.be.closeTo((x1 - x0) / span, 2);
      expect(info.size[1]).to.be.closeTo((y0 - y1) / span, 2);
    });

    it('stores images that equal the server\'s raster tile of the same z/x/y', async () => {
      const db = new Database(file, { readonly: true });
      try {
        const row = db.prepare('SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles ORDER BY length(tile_data) DESC LIMIT 1').get() as TileRow;
        const y = 2 ** row.zoom_level - 1 - row.tile_row;
        const served = await rawGet(`${server.baseUrl}/styles/landuse/${row.zoom_level}/${row.tile_column}/${y}.png`);
        expect(served.status).to.equal(200);
        expect(row.tile_data.equals(served.body)).to.equal(true);
        const meta = await sharp(row.tile_data).metadata();
        expect(meta).to.include({ format: 'png', width: 256, height: 256 });
        const format = (db.prepare("SELECT value FROM metadata WHERE name = 'format'").get() as { value: string }).value;
        expect(format).to.equal('png');
        expect(db.prepare("SELECT value FROM metadata WHERE name = 'json'").get()).to.equal(undefined);
      } finally {
        db.close();
      }
    });
  });

  it('refuses a CGCS2000Quad package: MBTiles is Web Mercator only (400 naming grid)', async () => {
    const prepared = await service.prepare({ tileset: 'landuse', bbox, zooms: [12, 12], grid: 'CGCS2000Quad' });
    const error = await exportMbtiles(prepared, join(directory, 'cgcs.mbtiles'), { cache, concurrency: 1, attribution: '' }).then(() => null, (caught: unknown) => caught as Error & { status: number });
    expect(error?.status).to.equal(400);
    expect(error?.message).to.match(/^grid: MBTiles packages are WebMercatorQuad/);
  });
});

function mercator(longitude: number, latitude: number): [number, number] {
  const x = (6378137 * Math.PI * longitude) / 180;
  const y = 6378137 * Math.log(Math.tan(Math.PI / 4 + (latitude * Math.PI) / 360));
  return [x, y];
}
