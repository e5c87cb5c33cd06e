import { expect } from 'chai';
import { request } from 'node:http';
import sharp from 'sharp';
import { createApp } from '../../../server/app.js';
import { jsonBody, listen, rawGet, type RunningServer } from '../../support/http-server.js';
import { silentLogger } from '../../support/test-database.js';
import { createRasterFixture, type RasterFixture } from '../render/raster-fixture.js';

interface StyleListBody {
  styles: { id: string; name: string; revision: string; url: string; tiles: Record<string, string>; tilesets: string[]; bounds: number[] | null }[];
}

interface StyleBody {
  version: number;
  sources: Record<string, { type: string; tiles?: string[]; url?: string; minzoom: number; maxzoom: number; bounds?: number[] }>;
  layers: { id: string }[];
  center?: number[];
  metadata: Record<string, unknown>;
}

describe('/styles', () => {
  let fixture: RasterFixture;
  let server: RunningServer;

  before(async () => {
    fixture = await createRasterFixture('styles_route');
    const { config, pool, catalog, styles, renderer } = fixture;
    server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog, styles, raster: renderer }));
  });
  after(async () => {
    await server?.close();
    await fixture?.close();
  });

  describe('GET /styles', () => {
    it('lists every style with absolute URLs of its style.json and raster tiles in both grids', async () => {
      const response = await rawGet(`${server.baseUrl}/styles`);
      expect(response.status).to.equal(200);
      const { styles } = jsonBody<StyleListBody>(response);
      const landuse = styles.find((style) => style.id === 'landuse')!;
      expect(landuse.url).to.equal(`${server.baseUrl}/styles/landuse/style.json`);
      expect(landuse.tiles).to.deep.equal({
        WebMercatorQuad: `${server.baseUrl}/styles/landuse/{z}/{x}/{y}.png`,
        CGCS2000Quad: `${server.baseUrl}/styles/landuse/CGCS2000Quad/{z}/{x}/{y}.png`,
      });
      expect(landuse.revision).to.equal(fixture.styles.get('landuse').revision);
      expect(styles.map((style) => style.id)).to.include('planning');
    });
  });

  describe('GET /styles/{style}/style.json', () => {
    it('rewrites every source to this server\'s absolute vector tile URLs, with zoom range and bounds', async () => {
      const response = await rawGet(`${server.baseUrl}/styles/planning/style.json`);
      expect(response.status).to.equal(200);
      const style = jsonBody<StyleBody>(response);
      expect(style.version).to.equal(8);
      for (const [id, source] of Object.entries(style.sources)) {
        expect(source.url, id).to.equal(undefined);
        expect(source.tiles, id).to.deep.equal([`${server.baseUrl}/tiles/${id}/{z}/{x}/{y}.mvt`]);
        // A tileset without published data yet (conflicts, in this fixture) has its configured range and no bounds.
        const info = fixture.catalog.list().find((layer) => layer.id === id)?.info;
        const configured = fixture.config.tilesets.find((tileset) => tileset.id === id)!;
        expect([source.minzoom, source.maxzoom, source.bounds], id)
          .to.deep.equal(info ? [info.minzoom, info.maxzoom, info.bounds] : [configured.minzoom, configured.maxzoom, undefined]);
      }
      expect(style.layers.map((layer) => layer.id)).to.include.members(['stbhhx-line', 'yjjbnt-line', 'czkfbj-line']);
      expect(style.metadata['planmap:revision']).to.equal(fixture.styles.get('planning').revision);
      expect(style.center).to.have.length(2);
    });

    it('uses the forwarded host and prefix behind a proxy', async () => {
      const response = await rawGet(`${server.baseUrl}/styles/landuse/style.json`, {
        'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'maps.example.cn', 'X-Forwarded-Prefix': '/planmap',
      });
      expect(jsonBody<StyleBody>(response).sources.landuse!.tiles).to.deep.equal(['https://maps.example.cn/planmap/tiles/landuse/{z}/{x}/{y}.mvt']);
    });

    it('answers 404 JSON for an unknown style', async () => {
      const response = await rawGet(`${server.baseUrl}/styles/nonesuch/style.json`);
      expect(response.status).to.equal(404);
      expect(jsonBody(response).message).to.include('unknown style "nonesuch"');
    });
  });

  describe('GET /styles/{style}/[{tileMatrixSet}/]{z}/{x}/{y}[@2x].{format}', () => {
    // The z14 tile holding the fixture, in each grid.
    const mercatorTile = '14/13470/6407';
    const cgcsTile = 'CGCS2000Quad/14/26941/4873';

    for (const [path, format, size] of [
      [`${mercatorTile}.png`, 'png', 256], [`${mercatorTile}@2x.png`, 'png', 512], [`${mercatorTile}.webp`, 'webp', 256],
      [`${mercatorTile}.jpg`, 'jpeg', 256], [`${cgcsTile}.png`, 'png', 256], [`${cgcsTile}@2x.jpg`, 'jpeg', 512],
    ] as const) {
      it(`answers ${path} as a ${size} px ${format} with ETag, Cache-Control and Server-Timing`, async () => {
        const response = await rawGet(`${server.baseUrl}/styles/landuse/${path}`);
        expect(response.status).to.equal(200);
        expect(response.headers['content-type']).to.equal(`image/${format}`);
        expect(response.headers.etag).to.match(/^"[A-Za-z0-9_-]+"$/);
        // The shortest max-age of the style's tilesets: landuse's default 300 s, not county's 3600 s.
        expect(response.headers['cache-control']).to.equal(fixture.config.server.tileCacheControl);
        expect(response.headers['server-timing']).to.match(/^vector;dur=[\d.]+, decode;dur=[\d.]+, draw;dur=[\d.]+, encode;dur=[\d.]+$/);
        const metadata = await sharp(response.body).metadata();
        expect([metadata.format, metadata.width, metadata.height]).to.deep.equal([format, size, size]);
      });
    }

    it('answers 304 to a matching If-None-Match', async () => {
      const first = await rawGet(`${server.baseUrl}/styles/landuse/${mercatorTile}.png`);
      const second = await rawGet(`${server.baseUrl}/styles/landuse/${mercatorTile}.png`, { 'If-None-Match': first.headers.etag! });
      expect(second.status).to.equal(304);
      expect(second.body.length).to.equal(0);
    });

    // Raster tiles skip Express (createRasterTileRoute); these are what its middleware did for them.
    it('sends the security headers and CORS of the style, with the same image whatever the query', async () => {
      const plain = await rawGet(`${server.baseUrl}/styles/landuse/${mercatorTile}.png`, { Origin: 'https://map.example' });
      expect(plain.headers['x-content-type-options']).to.equal('nosniff');
      expect(plain.headers['content-security-policy']).to.equal("frame-ancestors 'self'");
      expect(plain.headers['access-control-allow-origin']).to.equal('*');
      const withQuery = await rawGet(`${server.baseUrl}/styles/landuse/${mercatorTile}.png?v=2`);
      expect(withQuery.status).to.equal(200);
      expect(withQuery.body.equals(plain.body)).to.equal(true);
    });

    it('answers HEAD with the headers of GET and no body', async () => {
      const got = await rawGet(`${server.baseUrl}/styles/landuse/${mercatorTile}.png`);
      const head = await headRequest(`${server.baseUrl}/styles/landuse/${mercatorTile}.png`);
      expect(head.status).to.equal(200);
      expect(head.headers['content-length']).to.equal(String(got.body.length));
      expect(head.headers.etag).to.equal(got.headers.etag);
      expect(head.bodyLength).to.equal(0);
    });

    describe('given bad input, answers before any I/O', () => {
      const cases: [string, number, string][] = [
        ['nonesuch/14/13470/6407.png', 404, 'unknown style "nonesuch"'],
        ['landuse/14/13470/6407.gif', 404, 'unsupported raster format "gif" (available: png, webp, jpg)'],
        ['landuse/14/13470/6407@3x.png', 404, 'is not {y}[@2x].{format}'],
        ['landuse/17/0/0.png', 404, 'zoom 17 is outside style "landuse" (zoom 0 to 16)'],
        ['landuse/3/8/0.png', 404, 'tile 3/8/0 is outside the WebMercatorQuad grid'],
        ['landuse/CGCS2000Quad/3/16/0.png', 404, 'tile 3/16/0 is outside the CGCS2000Quad grid'],
        ['landuse/WorldCRS84Quad/3/0/0.png', 404, 'unknown tile matrix set "WorldCRS84Quad"'],
        ['landuse/14/x/6407.png', 400, 'tile x "x" is not a non-negative integer'],
        ['landuse/14/013470/6407.png', 400, 'tile x "013470" is not a non-negative integer'],
        ['landuse/14/13470.png', 404, 'no such resource'],
        ['Bad/14/13470/6407.png', 404, 'unknown style "Bad"'],
      ];
      for (const [path, status, message] of cases) {
        it(`answers ${status} for /styles/${path}`, async () => {
          const response = await rawGet(`${server.baseUrl}/styles/${path}`);
          expect(response.status).to.equal(status);
          expect(response.headers['content-type']).to.match(/^application\/json/);
          expect(jsonBody(response).message).to.include(message);
        });
      }
    });
  });
});

function headRequest(url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; bodyLength: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'HEAD' }, (response) => {
      let bodyLength = 0;
      response.on('data', (chunk: Buffer) => (bodyLength += chunk.length));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, bodyLength }));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
