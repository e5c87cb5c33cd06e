import { expect } from 'chai';
import { createApp } from '../../../server/app.js';
import { loadTilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { jsonBody, listen, rawGet, type RunningServer } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger } from '../../support/test-database.js';

/** Each bad request, the status the HTTP contract gives it, and a word its message must contain. */
const CASES: { why: string; path: string; status: 400 | 404; mentions: RegExp }[] = [
  { why: 'z is not an integer', path: '/tiles/landuse/1.5/0/0.mvt', status: 400, mentions: /z "1\.5"/ },
  { why: 'x is a word', path: '/tiles/landuse/12/abc/0.mvt', status: 400, mentions: /x "abc"/ },
  { why: 'y is NaN', path: '/tiles/landuse/12/0/NaN.mvt', status: 400, mentions: /y "NaN"/ },
  { why: 'z is negative', path: '/tiles/landuse/-1/0/0.mvt', status: 400, mentions: /z "-1"/ },
  { why: 'x is negative', path: '/tiles/landuse/12/-5/0.mvt', status: 400, mentions: /x "-5"/ },
  { why: 'x has a leading zero', path: '/tiles/landuse/12/01/0.mvt', status: 400, mentions: /x "01"/ },
  { why: 'x is in exponent notation', path: '/tiles/landuse/12/1e3/0.mvt', status: 400, mentions: /x "1e3"/ },
  { why: 'y is empty', path: '/tiles/landuse/12/0/.mvt', status: 400, mentions: /y ""/ },
  { why: 'the format is not a vector tile', path: '/tiles/landuse/12/0/0.png', status: 400, mentions: /format "png"/ },
  { why: 'there is no extension', path: '/tiles/landuse/12/0/0', status: 400, mentions: /format ""/ },
  { why: 'the tileset id has SQL in it', path: "/tiles/landuse';DROP TABLE meta.datasets;--/12/0/0.mvt", status: 400, mentions: /not a tileset id/ },
  { why: 'the tileset id has upper case', path: '/tiles/LANDUSE/12/0/0.mvt', status: 400, mentions: /not a tileset id/ },
  { why: 'the path is not UTF-8', path: '/tiles/landuse/%FF%FE/0/0.mvt', status: 400, mentions: /UTF-8/ },
  { why: 'a composite repeats a member', path: '/tiles/landuse,county,landuse/12/0/0.mvt', status: 400, mentions: /listed twice/ },
  { why: 'a composite has an empty member', path: '/tiles/landuse,,county/12/0/0.mvt', status: 400, mentions: /not a tileset id/ },
  { why: 'the path is over-long', path: `/tiles/${'a'.repeat(2000)}/12/0/0.mvt`, status: 400, mentions: /longer than/ },
  { why: 'the tileset is unknown', path: '/tiles/roads/12/0/0.mvt', status: 404, mentions: /unknown tileset "roads"/ },
  { why: 'a composite member is unknown', path: '/tiles/landuse,roads/12/0/0.mvt', status: 404, mentions: /"roads"/ },
  { why: 'the tile matrix set is unknown', path: '/tiles/landuse/EPSG4326/12/0/0.mvt', status: 404, mentions: /tile matrix set "EPSG4326"/ },
  { why: 'x is beyond the grid at that zoom', path: '/tiles/landuse/12/4096/0.mvt', status: 404, mentions: /outside the WebMercatorQuad grid/ },
  { why: 'y is beyond the grid at that zoom', path: '/tiles/landuse/12/0/4096.mvt', status: 404, mentions: /outside/ },
  { why: 'CGCS2000Quad y is beyond its 2:1 grid', path: '/tiles/landuse/CGCS2000Quad/12/8191/4096.mvt', status: 404, mentions: /outside the CGCS2000Quad grid/ },
  { why: 'a huge number', path: '/tiles/landuse/12/99999999999999999999999/0.mvt', status: 404, mentions: /outside/ },
  { why: 'z is beyond every grid', path: '/tiles/landuse/99/0/0.mvt', status: 404, mentions: /outside/ },
  { why: 'z is above the tileset max zoom', path: '/tiles/landuse/17/0/0.mvt', status: 404, mentions: /zoom 17 is outside tileset "landuse"/ },
  { why: 'z is below the tileset min zoom', path: '/tiles/landuse/9/0/0.mvt', status: 404, mentions: /zoom 9/ },
  { why: 'the path has too many parts', path: '/tiles/landuse/CGCS2000Quad/extra/12/0/0.mvt', status: 404, mentions: /no such resource/ },
  { why: 'the TileJSON tileset is unknown', path: '/tiles/roads.json', status: 404, mentions: /unknown tileset/ },
  { why: 'the TileJSON name has a quote', path: '/tiles/land"use.json', status: 400, mentions: /not a tileset id/ },
  { why: 'the route does not exist', path: '/nothing/here', status: 404, mentions: /no such resource/ },
];

describe('bad requests', () => {
  let server: RunningServer;

  before(async () => {
    const { config, pool } = sampleFixture();
    const catalog = await loadTilesetCatalog(pool, config, silentLogger);
    server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog }));
  });

  after(() => server.close());

  for (const { why, path, status, mentions } of CASES) {
    describe(`given a request where ${why}`, () => {
      it(`answers ${status} with a short JSON error that says what is wrong`, async () => {
        const response = await rawGet(server.baseUrl + path);
        expect(response.status, path).to.equal(status);
        expect(response.headers['content-type']).to.match(/^application\/json/);
        const body = jsonBody<{ error: string; message: string }>(response);
        expect(body.error).to.equal(status === 400 ? 'bad_request' : 'not_found');
        expect(body.message).to.match(mentions);
        expect(body.message.length, 'short message').to.be.below(200);
      });
    });
  }

  describe('given SQL in the tileset id', () => {
    it('leaves the metadata untouched', async () => {
      await rawGet(`${server.baseUrl}/tiles/landuse';DROP TABLE meta.datasets;--/12/0/0.mvt`);
      const { rows } = await sampleFixture().pool.query<{ count: string }>('SELECT count(*) FROM meta.datasets');
      expect(Number(rows[0]!.count)).to.equal(2);
    });
  });
});
