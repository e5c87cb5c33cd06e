import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { WebMercatorQuad, type TileCoord } from '../../../core/grid/tile-matrix-set.js';
import { createApp } from '../../../server/app.js';
import { createTileCache } from '../../../server/cache/create-tile-cache.js';
import type { TileCache } from '../../../server/cache/tile-cache.js';
import { VectorTileKeys } from '../../../server/cache/vector-tile-keys.js';
import { createServerMetrics, type ServerMetrics } from '../../../server/metrics/server-metrics.js';
import { CachedRasterTiles } from '../../../server/render/cached-raster-tiles.js';
import { StyleRasterRenderer } from '../../../server/render/style-raster-renderer.js';
import { loadStyleCatalog, STYLES_DIR } from '../../../server/styles/style-catalog.js';
import { runSeed } from '../../../server/seed/run-seed.js';
import { planTiles, TooManyTilesError } from '../../../server/seed/seed-plan.js';
import { SeedService, type PreparedSeed } from '../../../server/seed/seed-service.js';
import { loadTilesetCatalog, type TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { listen, rawGet } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger } from '../../support/test-database.js';
import { metricValue } from '../metrics/prometheus-text.js';

/** Slippy-map tile numbers, written out independently of core/grid (OSM wiki formulas). */
function slippyTile(longitude: number, latitude: number, z: number): { x: number; y: number } {
  const n = 2 ** z;
  const radians = (latitude * Math.PI) / 180;
  return {
    x: Math.floor(((longitude + 180) / 360) * n),
    y: Math.floor(((1 - Math.log(Math.tan(radians) + 1 / Math.cos(radians)) / Math.PI) / 2) * n),
  };
}

function cacheOver(config: AppConfig, directory: string, metrics: ServerMetrics): TileCache {
  return createTileCache({ ...config.cache, shared: 'disk', disk: { directory } }, { logger: silentLogger, observer: metrics });
}

function newMetrics(config: AppConfig): ServerMetrics {
  return createServerMetrics({ tilesetIds: config.tilesets.map((tileset) => tileset.id), processMetrics: false });
}

describe('seeding the tile cache (server/seed)', () => {
  let config: AppConfig;
  let pool: Pool;
  let catalog: TilesetCatalog;
  let directory: string;
  /** A 0.06° box around a sample parcel (the sample is spread over the city's counties). */
  let bbox: [number, number, number, number];

  const service = (cache: TileCache, adjust: Partial<AppConfig> = {}) =>
    new SeedService({ config: { ...config, ...adjust }, pool, tileCache: cache, catalog: () => catalog, tileKeys: new VectorTileKeys(config) });

  before(async () => {
    ({ config, pool } = sampleFixture());
    catalog = await loadTilesetCatalog(pool, config, silentLogger);
    directory = await mkdtemp(join(tmpdir(), 'planmap-seed-'));
    const { rows } = await pool.query<{ x: number; y: number }>(
      'SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(geom) AS p FROM live.landuse ORDER BY fid LIMIT 1) s',
    );
    const { x, y } = rows[0]!;
    bbox = [x - 0.03, y - 0.03, x + 0.03, y + 0.03];
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('counts the tiles of a bbox before computing any, as the slippy-map formulas give them', async () => {
    const metrics = newMetrics(config);
    const cache = cacheOver(config, join(directory, 'count'), metrics);
    const { plan } = await service(cache).prepare({ tileset: 'landuse', bbox, zooms: [10, 14] });
    let expected = 0;
    for (let z = 10; z <= 14; z++) {
      const topLeft = slippyTile(bbox[0], bbox[3], z);
      const bottomRight = slippyTile(bbox[2], bbox[1], z);
      expected += (bottomRight.x - topLeft.x + 1) * (bottomRight.y - topLeft.y + 1);
    }
    expect(plan.total).to.equal(expected);
    expect([...planTiles(plan)]).to.have.length(expected);
    expect(metricValue(await metrics.registry.metrics(), 'planmap_tiles_computed_total')).to.equal(0);
    await cache.close();
  });

  it('lists only the tiles touching a county outline, fewer than its bounding box holds', async () => {
    const cache = cacheOver(config, join(directory, 'county'), newMetrics(config));
    const { plan } = await service(cache).prepare({ tileset: 'county', county: '371502', zooms: [8, 11] });
    expect(plan.county).to.deep.include({ code: '371502' });
    const boxCount = plan.levels.reduce((sum, level) => sum + (level.range.maxX - level.range.minX + 1) * (level.range.maxY - level.range.minY + 1), 0);
    expect(plan.total).to.be.greaterThan(0).and.lessThan(boxCount);
    // The tile holding a point inside the county is listed; tiles are checked against the outline by PostGIS.
    const { rows } = await pool.query<{ x: number; y: number }>(
      `SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(ST_Union(geom)) AS p FROM live.county WHERE "XZQDM" = '371502') s`,
    );
    const inside = slippyTile(rows[0]!.x, rows[0]!.y, 11);
    expect([...planTiles(plan)].some((tile) => tile.z === 11 && tile.x === inside.x && tile.y === inside.y)).to.equal(true);
    for (const tile of [...planTiles(plan)].filter((t) => t.z === 11)) {
      const check = await pool.query<{ touches: boolean }>(
        `SELECT ST_Intersects(ST_Transform(ST_Union(geom), 3857), ST_TileEnvelope($1, $2, $3)) AS touches FROM live.county WHERE "XZQDM" = '371502'`,
        [tile.z, tile.x, tile.y],
      );
      expect(check.rows[0]!.touches, `${tile.z}/${tile.x}/${tile.y}`).to.equal(true);
    }
    await cache.close();
  });

  it('refuses an area with more tiles than seed.maxTiles, naming the count and the limit, before computing any', async () => {
    const metrics = newMetrics(config);
    const cache = cacheOver(config, join(directory, 'limit'), metrics);
    const limited = service(cache, { seed: { ...config.seed, maxTiles: 50 } });
    const error = await limited.prepare({ tileset: 'landuse', bbox, zooms: [10, 16] }).then(() => null, (caught: unknown) => caught);
    expect(error).to.be.instanceOf(TooManyTilesError);
    const tooMany = error as TooManyTilesError;
    expect(tooMany.status).to.equal(422);
    expect(tooMany.limit).to.equal(50);
    expect(tooMany.message).to.match(new RegExp(`is ${tooMany.tiles.toLocaleString('en')} tiles, more than the limit of 50 \\(seed\\.maxTiles\\)`));
    expect(tooMany.tiles).to.be.greaterThan(50);
    const countyError = await limited.prepare({ tileset: 'county', county: '371502', zooms: [8, 14] }).then(() => null, (caught: unknown) => caught);
    expect(countyError).to.be.instanceOf(TooManyTilesError);
    expect(metricValue(await metrics.registry.metrics(), 'planmap_tiles_computed_total')).to.equal(0);
    await cache.close();
  });

  it('fills the cache so that the server then answers every seeded tile from it (metrics: hits, nothing computed)', async () => {
    const metrics = newMetrics(config);
    const cache = cacheOver(config, join(directory, 'hits'), metrics);
    const prepared = await service(cache).prepare({ tileset: 'landuse', bbox, zooms: [12, 14] });
    const result = await runSeed(prepared.plan, prepared.target, cache, { concurrency: 3 });
    expect(result).to.include({ total: prepared.plan.total, done: prepared.plan.total, computed: prepared.plan.total, cached: 0 });
    const server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog, tileCache: cache, metrics }));
    try {
      const before = await metrics.registry.metrics();
      let withData = 0;
      for (const tile of planTiles(prepared.plan)) {
        const response = await rawGet(`${server.baseUrl}/tiles/landuse/${tile.z}/${tile.x}/${tile.y}.mvt`);
        expect(response.status).to.be.oneOf([200, 204]);
        if (response.status === 200) withData++;
      }
      const after = await metrics.registry.metrics();
      expect(withData).to.be.greaterThan(0);
      expect(metricValue(after, 'planmap_tiles_computed_total')).to.equal(metricValue(before, 'planmap_tiles_computed_total'));
      const hits = metricValue(after, 'planmap_tile_cache_lookups_total', { tier: 'memory', result: 'hit' }) -
        metricValue(before, 'planmap_tile_cache_lookups_total', { tier: 'memory', result: 'hit' });
      expect(hits).to.equal(prepared.plan.total);
      // Seeding again finds everything cached and computes nothing.
      const again = await runSeed(prepared.plan, prepared.target, cache, { concurrency: 3 });
      expect(again).to.include({ computed: 0, cached: prepared.plan.total });
    } finally {
      await server.close();
      await cache.close();
    }
  });

  it('seeds a style\'s raster tiles under the raster route\'s keys: the cached raster service then computes none', async () => {
    const metrics = newMetrics(config);
    const cache = cacheOver(config, join(directory, 'raster'), metrics);
    const styles = loadStyleCatalog(STYLES_DIR, catalog, silentLogger, config.tilesets);
    const renderer = new StyleRasterRenderer({ styles, catalog: () => catalog });
    const tileKeys = new VectorTileKeys(config);
    const seeding = new SeedService({ config, pool, tileCache: cache, catalog: () => catalog, tileKeys, styles, raster: renderer });
    const prepared = await seeding.prepare({ style: 'landuse', bbox, zooms: [12, 13], format: 'webp' });
    const result = await runSeed(prepared.plan, prepared.target, cache, { concurrency: 2 });
    expect(result.computed).to.equal(prepared.plan.total);
    const route = new CachedRasterTiles({ renderer, tileCache: cache, tileKeys, styles, catalog: () => catalog });
    const before = metricValue(await metrics.registry.metrics(), 'planmap_tiles_computed_total');
    for (const tile of planTiles(prepared.plan)) {
      const image = await route.render('landuse', tile, WebMercatorQuad, { format: 'webp', scale: 1 });
      expect(image.subarray(8, 12).toString('latin1')).to.equal('WEBP');
    }
    expect(metricValue(await metrics.registry.metrics(), 'planmap_tiles_computed_total')).to.equal(before);
    await cache.close();
  });

  it('resumes an interrupted run: a second run (another process, same disk tier) computes only the missing tiles', async () => {
    const folder = join(directory, 'resume');
    const firstCache = cacheOver(config, folder, newMetrics(config));
    const first = await service(firstCache).prepare({ tileset: 'landuse', bbox, zooms: [12, 15] });
    const computedFirst: string[] = [];
    const counting = (prepared: PreparedSeed, into: string[]): PreparedSeed => ({
      ...prepared,
      target: {
        ...prepared.target,
        keyFor: prepared.target.keyFor,
        compute: (tile: TileCoord, grid, signal) => {
          into.push(`${tile.z}/${tile.x}/${tile.y}`);
          return prepared.target.compute(tile, grid, signal);
        },
      },
    });
    const stop = new AbortController();
    const half = Math.floor(first.plan.total / 2);
    const interrupted = await runSeed(first.plan, counting(first, computedFirst).target, firstCache, {
      concurrency: 2,
      signal: stop.signal,
      onProgress: (progress) => {
        if (progress.done >= half) stop.abort(new Error('interrupted'));
      },
    }).then(() => null, (error: unknown) => error as Error);
    expect(interrupted?.message).to.equal('interrupted');
    await firstCache.close();

    // A new process: an empty memory tier over the same disk folder.
    const secondCache = cacheOver(config, folder, newMetrics(config));
    const second = await service(secondCache).prepare({ tileset: 'landuse', bbox, zooms: [12, 15] });
    const missing: string[] = [];
    for (const tile of planTiles(second.plan)) {
      if (!(await secondCache.has(second.target.keyFor(tile, WebMercatorQuad)))) missing.push(`${tile.z}/${tile.x}/${tile.y}`);
    }
    expect(missing.length).to.be.greaterThan(0).and.lessThan(second.plan.total - half + 3);
    const computedSecond: string[] = [];
    const resumed = await runSeed(second.plan, counting(second, computedSecond).target, secondCache, { concurrency: 2 });
    expect(computedSecond.sort()).to.deep.equal(missing.sort());
    expect(resumed).to.include({ done: second.plan.total, computed: missing.length, cached: second.plan.total - missing.length });
    // Recomputed from the first run: at most the tiles in flight when it was interrupted (cancelled, never stored).
    expect(computedSecond.filter((tile) => computedFirst.includes(tile)).length).to.be.at.most(2);
    await secondCache.close();
  });
});
