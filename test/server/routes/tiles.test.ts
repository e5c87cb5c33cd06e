import { expect } from 'chai';
import type { TilesetConfig } from '../../../core/config/schema.js';
import { CGCS2000Quad, WebMercatorQuad, type TileCoord, type TileMatrixSet } from '../../../core/grid/tile-matrix-set.js';
import { createApp } from '../../../server/app.js';
import { loadTilesetCatalog, type TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { decodeTile, ringArea, type DecodedLayer } from '../../support/decode-tile.js';
import { listen, rawGet, type RunningServer } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger } from '../../support/test-database.js';
import { expectedFeatures, tilesAroundParcels } from '../../support/tile-expectations.js';

/** Grid levels compared with SQL: the same ground resolutions in both grids. */
const CASES: { grid: TileMatrixSet; path: (tile: TileCoord) => string; zooms: number[] }[] = [
  { grid: WebMercatorQuad, path: ({ z, x, y }) => `/tiles/landuse/${z}/${x}/${y}.mvt`, zooms: [10, 12, 14, 16] },
  { grid: CGCS2000Quad, path: ({ z, x, y }) => `/tiles/landuse/CGCS2000Quad/${z}/${x}/${y}.mvt`, zooms: [10, 12, 14, 16] },
];

/**
 * A parcel the tile may miss: one whose part inside the buffered tile is smaller than a
 * tile unit², which ST_AsMVTGeom legitimately drops when it snaps to the tile grid.
 */
const NEGLIGIBLE_AREA_UNITS = 1;

describe('GET /tiles/{tileset}/{z}/{x}/{y}.mvt', () => {
  let server: RunningServer;
  let catalog: TilesetCatalog;
  let landuse: TilesetConfig;

  before(async () => {
    const { config, pool } = sampleFixture();
    catalog = await loadTilesetCatalog(pool, config, silentLogger);
    landuse = config.tilesets.find((tileset) => tileset.id === 'landuse')!;
    server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog }));
  });

  after(() => server.close());

  for (const { grid, path, zooms } of CASES) {
    for (const z of zooms) {
      describe(`given ${grid.id} tiles at zoom ${z} over the sample parcels`, () => {
        it('holds exactly the parcels whose geometry meets the tile and its buffer, with the configured properties', async () => {
          const { pool } = sampleFixture();
          const tiles = await tilesAroundParcels(pool, grid, z, 3);
          expect(tiles).to.have.length(3);
          for (const tile of tiles) {
            const response = await rawGet(server.baseUrl + path(tile));
            expect(response.status, path(tile)).to.equal(200);
            const layer = decodeTile(response.body).get('landuse');
            expect(layer, `layer landuse in ${path(tile)}`).to.not.equal(undefined);
            await expectLayerMatchesSql(layer!, grid, tile);
          }
        });
      });
    }
  }

  async function expectLayerMatchesSql(layer: DecodedLayer, grid: TileMatrixSet, tile: TileCoord): Promise<void> {
    const label = `${grid.id} ${tile.z}/${tile.x}/${tile.y}`;
    const expected = await expectedFeatures(sampleFixture().pool, landuse, grid, tile);
    expect(layer.extent).to.equal(landuse.extent);
    const seen = new Set<number>();
    for (const feature of layer.features) {
      expect(feature.id, `${label}: feature id`).to.be.a('number');
      const row = expected.get(feature.id!);
      expect(row, `${label}: parcel ${feature.id} is in the tile but does not meet it`).to.not.equal(undefined);
      expect(seen.has(feature.id!), `${label}: parcel ${feature.id} appears twice`).to.equal(false);
      seen.add(feature.id!);
      expect(feature.type, 'polygon').to.equal(3);
      expect(Object.keys(feature.properties).sort()).to.deep.equal(landuse.properties.filter((name) => row!.properties[name] !== null).sort());
      for (const [name, value] of Object.entries(row!.properties)) {
        if (value !== null) expect(feature.properties[name], `${label}: parcel ${feature.id} ${name}`).to.equal(value);
      }
      const limit = landuse.extent + landuse.buffer;
      for (const ring of feature.geometry) {
        for (const point of ring) {
          expect(point.x, `${label}: x inside extent + buffer`).to.be.within(-landuse.buffer, limit);
          expect(point.y, `${label}: y inside extent + buffer`).to.be.within(-landuse.buffer, limit);
        }
      }
      if (row!.isInsideTile && row!.area > 1000) {
        // A parcel wholly inside the tile keeps its area (within rounding to whole tile units).
        const area = feature.geometry.reduce((sum, ring) => sum + ringArea(ring), 0);
        expect(area / row!.area, `${label}: area of parcel ${feature.id}`).to.be.closeTo(1, 0.02);
      }
    }
    const missing = [...expected.values()].filter((row) => !seen.has(row.id) && row.clippedArea >= NEGLIGIBLE_AREA_UNITS);
    expect(missing.map((row) => row.id), `${label}: parcels that meet the tile but are missing`).to.deep.equal([]);
    expect(seen.size, `${label}: the tile has features`).to.be.greaterThan(0);
  }

  describe('given a composite tileset "landuse,county"', () => {
    it('holds each member as its own layer, equal to the member tile', async () => {
      const [tile] = await tilesAroundParcels(sampleFixture().pool, WebMercatorQuad, 12, 1);
      const { z, x, y } = tile!;
      const composite = decodeTile((await rawGet(`${server.baseUrl}/tiles/landuse,county/${z}/${x}/${y}.mvt`)).body);
      expect([...composite.keys()]).to.deep.equal(['landuse', 'county']);
      for (const member of ['landuse', 'county']) {
        const alone = decodeTile((await rawGet(`${server.baseUrl}/tiles/${member}/${z}/${x}/${y}.mvt`)).body).get(member);
        expect(composite.get(member)).to.deep.equal(alone);
      }
      expect(composite.get('county')!.features[0]!.properties).to.have.keys(['XZQDM', 'XZQMC']);
    });

    it('holds only the members whose zoom range contains the zoom', async () => {
      // landuse starts at zoom 10, county at 0.
      const response = await rawGet(`${server.baseUrl}/tiles/landuse,county/6/52/25.mvt`);
      expect(response.status).to.equal(200);
      expect([...decodeTile(response.body).keys()]).to.deep.equal(['county']);
    });

    it('gets the shortest Cache-Control of its members', async () => {
      const response = await rawGet(`${server.baseUrl}/tiles/county,landuse/10/842/396.mvt`);
      expect(response.headers['cache-control']).to.equal('public, max-age=300');
    });
  });

  describe('given a tile with data', () => {
    const path = '/tiles/county/8/210/99.mvt';

    it('answers the MVT media type, gzip-encoded when the client accepts gzip', async () => {
      const response = await rawGet(server.baseUrl + path, { 'Accept-Encoding': 'gzip, deflate' });
      expect(response.status).to.equal(200);
      expect(response.headers['content-type']).to.equal('application/vnd.mapbox-vector-tile');
      expect(response.headers['content-encoding']).to.equal('gzip');
      expect(response.headers.vary).to.match(/Accept-Encoding/i);
      expect(response.body.subarray(0, 2)).to.deep.equal(Buffer.from([0x1f, 0x8b]));
      expect(decodeTile(response.body).get('county')!.features.length).to.be.greaterThan(0);
    });

    it('answers the plain tile when the client does not accept gzip', async () => {
      const response = await rawGet(server.baseUrl + path);
      expect(response.headers['content-encoding']).to.equal(undefined);
      expect(Number(response.headers['content-length'])).to.equal(response.body.length);
      expect(decodeTile(response.body).get('county')!.features.length).to.be.greaterThan(0);
    });

    it('carries the configured Cache-Control and an ETag that differs per encoding', async () => {
      const plain = await rawGet(server.baseUrl + path);
      const gzipped = await rawGet(server.baseUrl + path, { 'Accept-Encoding': 'gzip' });
      expect(plain.headers['cache-control']).to.equal('public, max-age=3600');
      expect(plain.headers.etag).to.match(/^"[A-Za-z0-9_-]+"$/);
      expect(gzipped.headers.etag).to.not.equal(plain.headers.etag);
    });

    it('answers 304 without a body to a matching If-None-Match', async () => {
      const first = await rawGet(server.baseUrl + path, { 'Accept-Encoding': 'gzip' });
      const again = await rawGet(server.baseUrl + path, { 'Accept-Encoding': 'gzip', 'If-None-Match': `"other", W/${first.headers.etag}` });
      expect(again.status).to.equal(304);
      expect(again.body.length).to.equal(0);
      const changed = await rawGet(server.baseUrl + path, { 'Accept-Encoding': 'gzip', 'If-None-Match': '"other"' });
      expect(changed.status).to.equal(200);
    });

    it('is also served under .pbf', async () => {
      const mvt = await rawGet(server.baseUrl + path);
      const pbf = await rawGet(server.baseUrl + path.replace('.mvt', '.pbf'));
      expect(pbf.status).to.equal(200);
      expect(pbf.body).to.deep.equal(mvt.body);
    });
  });

  describe('given a tile inside the grid where there is no data', () => {
    it('answers 204 No Content with cache headers', async () => {
      const response = await rawGet(`${server.baseUrl}/tiles/landuse/12/0/0.mvt`);
      expect(response.status).to.equal(204);
      expect(response.body.length).to.equal(0);
      expect(response.headers['cache-control']).to.equal('public, max-age=300');
    });
  });
});
