import { expect } from 'chai';
import sharp from 'sharp';
import { CGCS2000Quad, tileAtPoint, WebMercatorQuad } from '../../../core/grid/tile-matrix-set.js';
import { rawGet, type RawResponse } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { knownParcels, type KnownParcel } from './known-parcels.js';
import { childElement, childElements, childText, OWS, parseExceptionReport, parseXml, WMTS, XLINK } from './read-xml.js';
import { startWmtsTestServer, type WmtsTestServer } from './wmts-test-server.js';

describe('WMTS over HTTP', () => {
  let server: WmtsTestServer;
  let parcel: KnownParcel;
  /** A CGCS2000Quad z14 tile holding the known parcel: inside every limit of the landuse layer. */
  let row: number;
  let col: number;

  before(async () => {
    server = await startWmtsTestServer();
    parcel = (await knownParcels(sampleFixture().pool, 1, 30))[0]!;
    const tile = tileAtPoint(CGCS2000Quad, 14, parcel.lon, parcel.lat);
    row = tile.y;
    col = tile.x;
  });

  after(() => server.close());

  const get = (path: string, headers: Record<string, string> = {}): Promise<RawResponse> => rawGet(server.baseUrl + path, headers);
  const kvpTile = (overrides: Record<string, string> = {}): string => {
    const parameters = {
      SERVICE: 'WMTS', REQUEST: 'GetTile', VERSION: '1.0.0', LAYER: 'landuse', STYLE: 'default',
      TILEMATRIXSET: 'CGCS2000Quad', TILEMATRIX: '14', TILEROW: String(row), TILECOL: String(col), FORMAT: 'image/png',
      ...overrides,
    };
    return `/wmts?${new URLSearchParams(Object.entries(parameters).filter(([, value]) => value !== '')).toString()}`;
  };

  describe('GET /wmts/1.0.0/WMTSCapabilities.xml and GET /wmts?SERVICE=WMTS&REQUEST=GetCapabilities', () => {
    it('answer the same capabilities document as application/xml, revalidated by ETag', async () => {
      const rest = await get('/wmts/1.0.0/WMTSCapabilities.xml');
      const kvp = await get('/wmts?service=WMTS&request=GetCapabilities');
      for (const response of [rest, kvp]) {
        expect(response.status).to.equal(200);
        expect(response.headers['content-type']).to.equal('application/xml; charset=utf-8');
        expect(response.headers['cache-control']).to.equal('no-cache');
      }
      expect(kvp.body.equals(rest.body)).to.equal(true);
      const again = await get('/wmts/1.0.0/WMTSCapabilities.xml', { 'If-None-Match': String(rest.headers.etag) });
      expect(again.status).to.equal(304);
      expect(again.body.length).to.equal(0);
    });

    it('has one layer per style, with the WGS 84 bounds of the data its tilesets hold', async () => {
      const document = parseXml((await get('/wmts/1.0.0/WMTSCapabilities.xml')).body.toString('utf8'));
      const layers = childElements(childElement(document.documentElement!, WMTS, 'Contents'), WMTS, 'Layer');
      expect(layers.map((layer) => childText(layer, OWS, 'Identifier'))).to.deep.equal(server.styles.list().map((style) => style.id));
      for (const layer of layers) {
        const style = server.styles.get(childText(layer, OWS, 'Identifier'));
        const extent = await dataExtent(style.sourceTilesets);
        if (extent === null) {
          expect(childElements(layer, OWS, 'WGS84BoundingBox'), `${style.id} has no data`).to.have.length(0);
          continue;
        }
        const box = childElement(layer, OWS, 'WGS84BoundingBox');
        const corners = [...childText(box, OWS, 'LowerCorner').split(' '), ...childText(box, OWS, 'UpperCorner').split(' ')].map(Number);
        corners.forEach((value, i) => expect(value, `${style.id} corner ${i}`).to.be.closeTo(extent[i]!, 1e-7));
      }
    });

    it('advertises absolute URLs from the forwarded scheme, host and prefix', async () => {
      const response = await get('/wmts/1.0.0/WMTSCapabilities.xml', {
        'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'maps.example.cn', 'X-Forwarded-Prefix': '/planmap',
      });
      const document = parseXml(response.body.toString('utf8'));
      const layer = childElements(childElement(document.documentElement!, WMTS, 'Contents'), WMTS, 'Layer')[0]!;
      expect(childElements(layer, WMTS, 'ResourceURL')[0]!.getAttribute('template')!.startsWith('https://maps.example.cn/planmap/wmts/1.0.0/')).to.equal(true);
      expect(childElement(document.documentElement!, WMTS, 'ServiceMetadataURL').getAttributeNS(XLINK, 'href')).to.equal(
        'https://maps.example.cn/planmap/wmts/1.0.0/WMTSCapabilities.xml',
      );
    });
  });

  describe('GetTile', () => {
    for (const [format, extension, contentType] of [
      ['image/png', 'png', 'image/png'],
      ['image/webp', 'webp', 'image/webp'],
      ['image/jpeg', 'jpg', 'image/jpeg'],
    ] as const) {
      it(`answers a 256 px ${extension} tile to KVP and the same bytes to REST`, async () => {
        const kvp = await get(kvpTile({ FORMAT: format }));
        expect(kvp.status, kvp.body.toString('utf8').slice(0, 300)).to.equal(200);
        expect(kvp.headers['content-type']).to.equal(contentType);
        expect(kvp.headers['cache-control']).to.equal(server.config.server.tileCacheControl);
        const metadata = await sharp(kvp.body).metadata();
        expect([metadata.format, metadata.width, metadata.height]).to.deep.equal([extension === 'jpg' ? 'jpeg' : extension, 256, 256]);
        const rest = await get(`/wmts/1.0.0/landuse/default/CGCS2000Quad/14/${row}/${col}.${extension}`);
        expect(rest.status).to.equal(200);
        expect(rest.headers['content-type']).to.equal(contentType);
        expect(rest.body.equals(kvp.body)).to.equal(true);
      });
    }

    it('takes KVP parameter names in any case', async () => {
      const lower = await get(kvpTile().replace(/([?&])([A-Z]+)=/g, (_, separator: string, name: string) => `${separator}${name.toLowerCase()}=`));
      const mixed = await get(
        `/wmts?Service=WMTS&Request=GetTile&Version=1.0.0&Layer=landuse&Style=default&TileMatrixSet=CGCS2000Quad&TileMatrix=14&TileRow=${row}&TileCol=${col}&Format=image/png`,
      );
      const upper = await get(kvpTile());
      expect([lower.status, mixed.status, upper.status]).to.deep.equal([200, 200, 200]);
      expect(lower.body.equals(upper.body) && mixed.body.equals(upper.body)).to.equal(true);
    });

    it('draws the known parcel in its class colour where TileRow and TileCol put it (row = y, col = x)', async () => {
      for (const grid of [CGCS2000Quad, WebMercatorQuad]) {
        const [x, y] = grid === CGCS2000Quad ? [parcel.lon, parcel.lat] : [parcel.x3857, parcel.y3857];
        const tile = tileAtPoint(grid, 15, x, y);
        const response = await get(`/wmts/1.0.0/landuse/default/${grid.id}/15/${tile.y}/${tile.x}.png`);
        expect(response.status).to.equal(200);
        const span = grid.tileSpan0 / 2 ** 15;
        const pixelX = Math.floor(((x - (grid.origin[0] + tile.x * span)) / span) * 256);
        const pixelY = Math.floor((((grid.origin[1] - tile.y * span) - y) / span) * 256);
        const { data } = await sharp(response.body).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
        const offset = (pixelY * 256 + pixelX) * 4;
        expect([...data.subarray(offset, offset + 4)], `${grid.id} parcel ${parcel.fid} (${parcel.classCode})`).to.deep.equal([...parcel.rgb, 255]);
      }
    });

    it('answers HEAD with the headers of the tile and no body', async () => {
      const tile = await get(kvpTile());
      const head = await fetch(server.baseUrl + kvpTile(), { method: 'HEAD' });
      expect(head.status).to.equal(200);
      expect(head.headers.get('content-type')).to.equal('image/png');
      expect(head.headers.get('content-length')).to.equal(String(tile.body.length));
      expect((await head.arrayBuffer()).byteLength).to.equal(0);
    });

    it('answers 304 to a matching If-None-Match', async () => {
      const first = await get(kvpTile());
      const second = await get(kvpTile(), { 'If-None-Match': String(first.headers.etag) });
      expect(second.status).to.equal(304);
    });
  });

  describe('exceptions', () => {
    const cases: { name: string; path: () => string; status: number; code: string; locator: string | null }[] = [
      { name: 'no parameters', path: () => '/wmts', status: 400, code: 'MissingParameterValue', locator: 'Service' },
      { name: 'GetTile without LAYER', path: () => kvpTile({ LAYER: '' }), status: 400, code: 'MissingParameterValue', locator: 'Layer' },
      { name: 'GetTile without TILEMATRIX', path: () => kvpTile({ TILEMATRIX: '' }), status: 400, code: 'MissingParameterValue', locator: 'TileMatrix' },
      { name: 'GetTile without FORMAT', path: () => kvpTile({ FORMAT: '' }), status: 400, code: 'MissingParameterValue', locator: 'Format' },
      { name: 'an unknown layer', path: () => kvpTile({ LAYER: 'cadastre' }), status: 400, code: 'InvalidParameterValue', locator: 'Layer' },
      { name: 'an unknown style', path: () => kvpTile({ STYLE: 'dark' }), status: 400, code: 'InvalidParameterValue', locator: 'Style' },
      { name: 'an unknown format', path: () => kvpTile({ FORMAT: 'image/gif' }), status: 400, code: 'InvalidParameterValue', locator: 'Format' },
      { name: 'an unknown tile matrix set', path: () => kvpTile({ TILEMATRIXSET: 'EPSG:4326' }), status: 400, code: 'InvalidParameterValue', locator: 'TileMatrixSet' },
      { name: 'an unknown tile matrix', path: () => kvpTile({ TILEMATRIX: '30' }), status: 400, code: 'InvalidParameterValue', locator: 'TileMatrix' },
      { name: 'a row that is not an integer', path: () => kvpTile({ TILEROW: '1.5' }), status: 400, code: 'InvalidParameterValue', locator: 'TileRow' },
      { name: 'a version other than 1.0.0', path: () => kvpTile({ VERSION: '2.0.0' }), status: 400, code: 'InvalidParameterValue', locator: 'Version' },
      { name: 'a zoom above the layer max zoom', path: () => kvpTile({ TILEMATRIX: '17' }), status: 400, code: 'TileOutOfRange', locator: 'TileMatrix' },
      { name: 'a row outside the layer limits', path: () => kvpTile({ TILEROW: '0' }), status: 400, code: 'TileOutOfRange', locator: 'TileRow' },
      { name: 'a column outside the grid', path: () => kvpTile({ TILECOL: String(2 ** 15) }), status: 400, code: 'TileOutOfRange', locator: 'TileCol' },
      { name: 'GetFeatureInfo', path: () => '/wmts?SERVICE=WMTS&REQUEST=GetFeatureInfo', status: 501, code: 'OperationNotSupported', locator: 'GetFeatureInfo' },
      { name: 'AcceptVersions without 1.0.0', path: () => '/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&ACCEPTVERSIONS=2.0.0', status: 400, code: 'VersionNegotiationFailed', locator: 'AcceptVersions' },
      { name: 'a REST tile of an unknown layer', path: () => `/wmts/1.0.0/cadastre/default/CGCS2000Quad/14/${row}/${col}.png`, status: 400, code: 'InvalidParameterValue', locator: 'Layer' },
      { name: 'a REST tile with an unknown extension', path: () => `/wmts/1.0.0/landuse/default/CGCS2000Quad/14/${row}/${col}.gif`, status: 400, code: 'InvalidParameterValue', locator: 'Format' },
      { name: 'a REST tile with row and column swapped', path: () => `/wmts/1.0.0/landuse/default/CGCS2000Quad/14/${col}/${row}.png`, status: 400, code: 'TileOutOfRange', locator: 'TileRow' },
      { name: 'a REST tile above the max zoom', path: () => `/wmts/1.0.0/landuse/default/WebMercatorQuad/18/0/0.png`, status: 400, code: 'TileOutOfRange', locator: 'TileMatrix' },
      { name: 'a path below /wmts that is no WMTS resource', path: () => '/wmts/2.0.0/WMTSCapabilities.xml', status: 404, code: 'NoApplicableCode', locator: null },
      { name: 'a REST path of the wrong shape', path: () => '/wmts/1.0.0/landuse/default/CGCS2000Quad/14.png', status: 404, code: 'NoApplicableCode', locator: null },
    ];

    for (const { name, path, status, code, locator } of cases) {
      it(`answers ${name} with ${status} and an ExceptionReport ${code}${locator ? ` (locator ${locator})` : ''}`, async () => {
        const response = await get(path());
        expect(response.status, response.body.toString('utf8').slice(0, 400)).to.equal(status);
        expect(response.headers['content-type']).to.equal('application/xml; charset=utf-8');
        const [first] = parseExceptionReport(response.body.toString('utf8'));
        expect([first!.code, first!.locator]).to.deep.equal([code, locator]);
        expect(first!.text).to.not.equal('');
      });
    }

    it('answers POST with 405, Allow: GET, HEAD, as an ExceptionReport', async () => {
      const response = await fetch(`${server.baseUrl}/wmts`, { method: 'POST', body: '<GetCapabilities/>' });
      expect(response.status).to.equal(405);
      expect(response.headers.get('allow')).to.equal('GET, HEAD');
      expect(parseExceptionReport(await response.text())[0]!.code).to.equal('NoApplicableCode');
    });
  });

  describe('given an access token in the capabilities URL (the app passes `token` through)', () => {
    it('carries it into every advertised URL, which the server then answers', async () => {
      const response = await get('/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&TOKEN=s3cr%26t&other=1');
      const document = parseXml(response.body.toString('utf8'));
      const layer = childElements(childElement(document.documentElement!, WMTS, 'Contents'), WMTS, 'Layer')[0]!;
      const template = childElements(layer, WMTS, 'ResourceURL')[0]!.getAttribute('template')!;
      expect(template.endsWith('.png?TOKEN=s3cr%26t')).to.equal(true);
      const url = template
        .replace('{TileMatrixSet}', 'CGCS2000Quad').replace('{TileMatrix}', '14').replace('{TileRow}', String(row)).replace('{TileCol}', String(col));
      expect((await rawGet(url)).status).to.equal(200);
      const getTile = childElements(childElement(document.documentElement!, OWS, 'OperationsMetadata'), OWS, 'Operation')[1]!;
      const kvpHref = childElements(childElement(childElement(getTile, OWS, 'DCP'), OWS, 'HTTP'), OWS, 'Get')[0]!.getAttributeNS(XLINK, 'href');
      expect(kvpHref).to.equal(`${server.baseUrl}/wmts?TOKEN=s3cr%26t&`);
    });
  });
});

/**
 * [west, south, east, north] of the live data of these tilesets, straight from PostGIS; null
 * when none of their datasets is published.
 */
async function dataExtent(tilesetIds: readonly string[]): Promise<number[] | null> {
  const { config, pool } = sampleFixture();
  const datasets = tilesetIds.map((id) => config.tilesets.find((tileset) => tileset.id === id)!.source);
  const { rows: published } = await pool.query<{ dataset: string }>(
    `SELECT dataset FROM unnest($1::text[]) AS dataset WHERE to_regclass(format('live.%I', dataset)) IS NOT NULL`,
    [datasets],
  );
  if (published.length === 0) return null;
  const union = published.map(({ dataset }) => `SELECT geom FROM live."${dataset}"`).join(' UNION ALL ');
  const { rows } = await pool.query<{ w: number; s: number; e: number; n: number }>(
    `SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n FROM (SELECT ST_Extent(geom)::geometry AS e FROM (${union}) AS data) AS extent`,
  );
  return [rows[0]!.w, rows[0]!.s, rows[0]!.e, rows[0]!.n];
}
