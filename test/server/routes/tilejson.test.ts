import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import { createApp } from '../../../server/app.js';
import { loadTilesetCatalog, type TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { jsonBody, listen, rawGet, type RunningServer } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger, testConfig } from '../../support/test-database.js';

interface TileJsonBody {
  tilejson: string;
  tiles: string[];
  minzoom: number;
  maxzoom: number;
  bounds: number[];
  center: number[];
  vector_layers: { id: string; fields: Record<string, string>; minzoom: number; maxzoom: number }[];
  tile_matrix_sets: Record<string, string>;
}

describe('GET /tiles/{tileset}.json', () => {
  let server: RunningServer;
  let catalog: TilesetCatalog;

  async function serve(config: AppConfig): Promise<RunningServer> {
    return listen(createApp({ config, pool: sampleFixture().pool, logger: silentLogger, catalog: () => catalog }));
  }

  before(async () => {
    const { config, pool } = sampleFixture();
    catalog = await loadTilesetCatalog(pool, config, silentLogger);
    server = await serve(config);
  });

  after(() => server.close());

  describe('given a single tileset', () => {
    it('answers TileJSON 3.0.0 with the layer, its fields and types, and absolute tile URLs', async () => {
      const response = await rawGet(`${server.baseUrl}/tiles/landuse.json`);
      expect(response.status).to.equal(200);
      const body = jsonBody<TileJsonBody>(response);
      expect(body.tilejson).to.equal('3.0.0');
      expect(body.tiles).to.deep.equal([`${server.baseUrl}/tiles/landuse/{z}/{x}/{y}.mvt`]);
      expect(body.tile_matrix_sets.CGCS2000Quad).to.equal(`${server.baseUrl}/tiles/landuse/CGCS2000Quad/{z}/{x}/{y}.mvt`);
      expect([body.minzoom, body.maxzoom]).to.deep.equal([10, 16]);
      expect(body.vector_layers).to.have.length(1);
      const [layer] = body.vector_layers;
      expect(layer!.id).to.equal('landuse');
      expect(Object.keys(layer!.fields)).to.deep.equal(['BSM', 'DLBM', 'DLMC', 'QSXZ', 'QSDWDM', 'QSDWMC', 'ZLDWDM', 'ZLDWMC', 'TBMJ', 'XZQDM']);
      expect(layer!.fields.DLBM).to.equal('String');
      expect(layer!.fields.TBMJ).to.equal('Number');
    });

    it('gives the bounds of the live data, in degrees', async () => {
      const body = jsonBody<TileJsonBody>(await rawGet(`${server.baseUrl}/tiles/landuse.json`));
      const { rows } = await sampleFixture().pool.query<{ w: number; s: number; e: number; n: number }>(
        'SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n FROM (SELECT ST_Extent(geom) AS e FROM live.landuse) x',
      );
      const { w, s, e, n } = rows[0]!;
      expect(body.bounds).to.deep.equal([w, s, e, n]);
      // Liaocheng: about 115.3-116.6 E, 35.8-37.0 N.
      expect(body.bounds[0]).to.be.within(115.2, 115.4);
      expect(body.bounds[3]).to.be.within(36.9, 37.1);
      expect(body.center[0]).to.be.within(w, e);
      expect(body.center[1]).to.be.within(s, n);
    });
  });

  describe('given a composite tileset', () => {
    it('lists each member layer and spans their zoom ranges', async () => {
      const body = jsonBody<TileJsonBody>(await rawGet(`${server.baseUrl}/tiles/landuse,county.json`));
      expect(body.vector_layers.map((layer) => layer.id)).to.deep.equal(['landuse', 'county']);
      expect([body.minzoom, body.maxzoom]).to.deep.equal([0, 16]);
      expect(body.tiles).to.deep.equal([`${server.baseUrl}/tiles/landuse,county/{z}/{x}/{y}.mvt`]);
    });
  });

  describe('given a request through a reverse proxy', () => {
    it('builds tile URLs from X-Forwarded-Proto, -Host and -Prefix', async () => {
      const response = await rawGet(`${server.baseUrl}/tiles/county.json`, {
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'maps.liaocheng.example.cn',
        'X-Forwarded-Prefix': '/planmap/',
      });
      const body = jsonBody<TileJsonBody>(response);
      expect(body.tiles).to.deep.equal(['https://maps.liaocheng.example.cn/planmap/tiles/county/{z}/{x}/{y}.mvt']);
    });

    it('refuses a forged prefix that would inject into URLs', async () => {
      const response = await rawGet(`${server.baseUrl}/tiles/county.json`, { 'X-Forwarded-Prefix': '/"><script>' });
      expect(response.status).to.equal(400);
    });
  });

  describe('given a configured public URL', () => {
    it('uses it and ignores the forwarded headers', async () => {
      const config = testConfig(sampleFixture().config.databaseUrl, (raw) => {
        (raw.server as Record<string, unknown>).publicUrl = 'https://gis.example.cn/yzt/';
      });
      const configured = await serve(config);
      try {
        const body = jsonBody<TileJsonBody>(await rawGet(`${configured.baseUrl}/tiles/county.json`, { 'X-Forwarded-Host': 'evil.example' }));
        expect(body.tiles).to.deep.equal(['https://gis.example.cn/yzt/tiles/county/{z}/{x}/{y}.mvt']);
      } finally {
        await configured.close();
      }
    });
  });
});

describe('GET /catalog', () => {
  it('lists every served tileset with its TileJSON and tile URL templates, and both grids', async () => {
    const { config, pool } = sampleFixture();
    const catalog = await loadTilesetCatalog(pool, config, silentLogger);
    const server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog }));
    try {
      const body = jsonBody<{
        tilesets: { id: string; tilejson: string; tiles: Record<string, string>; dataVersion: number }[];
        tileMatrixSets: { id: string; crs: string; levels: { matrixWidth: number; matrixHeight: number }[] }[];
      }>(await rawGet(`${server.baseUrl}/catalog`));
      expect(body.tilesets.map((tileset) => tileset.id)).to.deep.equal(['landuse', 'county']);
      expect(body.tilesets[0]!.tilejson).to.equal(`${server.baseUrl}/tiles/landuse.json`);
      expect(body.tilesets[0]!.tiles.WebMercatorQuad).to.equal(`${server.baseUrl}/tiles/landuse/{z}/{x}/{y}.mvt`);
      expect(body.tilesets[0]!.dataVersion).to.equal(1);
      const cgcs = body.tileMatrixSets.find((set) => set.id === 'CGCS2000Quad')!;
      expect(cgcs.crs).to.equal('http://www.opengis.net/def/crs/EPSG/0/4490');
      expect([cgcs.levels[0]!.matrixWidth, cgcs.levels[0]!.matrixHeight]).to.deep.equal([2, 1]);
    } finally {
      await server.close();
    }
  });
});
