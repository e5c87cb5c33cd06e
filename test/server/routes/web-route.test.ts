import { expect } from 'chai';
import { createApp } from '../../../server/app.js';
import { loadTilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { jsonBody, listen, rawGet, type RunningServer } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger } from '../../support/test-database.js';

describe('the web viewer and admin page (server/routes/web-route.ts)', () => {
  let server: RunningServer;

  before(async () => {
    const { config, pool } = sampleFixture();
    const catalog = await loadTilesetCatalog(pool, config, silentLogger);
    server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog }));
  });

  after(() => server.close());

  describe('GET /', () => {
    it('answers the viewer page as HTML with a content security policy that keeps everything on this server', async () => {
      const response = await rawGet(`${server.baseUrl}/`);
      expect(response.status).to.equal(200);
      expect(response.headers['content-type']).to.equal('text/html; charset=utf-8');
      expect(response.headers['cache-control']).to.equal('no-cache');
      expect(response.headers['x-content-type-options']).to.equal('nosniff');
      expect(response.headers['content-security-policy']).to.contain("default-src 'self'").and.contain("connect-src 'self'");
      const html = response.body.toString('utf8');
      expect(html).to.contain('<script type="module" src="viewer.js">');
      expect(html).to.contain('href="vendor/maplibre-gl/maplibre-gl.css"');
      // No CDN: every script and stylesheet is a relative URL (works behind a path prefix too).
      expect(html).to.not.match(/(src|href)="(https?:)?\/\//);
    });

    it('revalidates with ETag: an unchanged page is a 304', async () => {
      const first = await rawGet(`${server.baseUrl}/`);
      const etag = first.headers.etag!;
      expect(etag).to.be.a('string');
      const second = await rawGet(`${server.baseUrl}/`, { 'If-None-Match': etag });
      expect(second.status).to.equal(304);
    });
  });

  describe('GET /admin.html', () => {
    it('answers the admin page', async () => {
      const response = await rawGet(`${server.baseUrl}/admin.html`);
      expect(response.status).to.equal(200);
      expect(response.body.toString('utf8')).to.contain('<script type="module" src="admin.js">');
    });
  });

  describe('GET /vendor/maplibre-gl/{file}', () => {
    it('serves MapLibre GL JS, its worker and CSS from the installed package, with long-lived caching', async () => {
      for (const [file, type] of [['maplibre-gl.mjs', 'text/javascript; charset=utf-8'], ['maplibre-gl-worker.mjs', 'text/javascript; charset=utf-8'], ['maplibre-gl.css', 'text/css; charset=utf-8']] as const) {
        const response = await rawGet(`${server.baseUrl}/vendor/maplibre-gl/${file}`);
        expect(response.status, file).to.equal(200);
        expect(response.headers['content-type'], file).to.equal(type);
        expect(response.headers['cache-control'], file).to.equal('public, max-age=86400');
        expect(response.body.length, file).to.be.greaterThan(10_000);
      }
    });

    it('answers 404 for a file the package does not have, and for a path that climbs out of it', async () => {
      expect((await rawGet(`${server.baseUrl}/vendor/maplibre-gl/nothing.js`)).status).to.equal(404);
      expect((await rawGet(`${server.baseUrl}/vendor/maplibre-gl/..%2f..%2fpackage.json`)).status).to.be.oneOf([400, 403, 404]);
      expect((await rawGet(`${server.baseUrl}/vendor/maplibre-gl/../../package.json`)).status).to.equal(404);
    });
  });

  describe('given a path outside web/', () => {
    it('answers 404 as JSON, and never serves dotfiles', async () => {
      for (const path of ['/no-such-page.html', '/.env', '/%2e%2e/package.json', '/web/index.html']) {
        const response = await rawGet(`${server.baseUrl}${path}`);
        expect(response.status, path).to.be.oneOf([400, 403, 404]);
        expect(response.body.toString('utf8'), path).to.not.contain('"dependencies"');
      }
    });
  });

  describe('GET /classes.json', () => {
    it('names every 三调 class code, with its level-1 class and colour', async () => {
      const response = await rawGet(`${server.baseUrl}/classes.json`);
      expect(response.status).to.equal(200);
      expect(response.headers['content-type']).to.equal('application/json; charset=utf-8');
      const { classes } = jsonBody<{ classes: { code: string; name: string; level1Name: string; color: string | null }[] }>(response);
      const byCode = new Map(classes.map((entry) => [entry.code, entry]));
      expect(byCode.get('0101')).to.deep.include({ name: '水田', level1Name: '耕地' });
      expect(byCode.get('0702')).to.deep.include({ name: '农村宅基地', level1Name: '住宅用地' });
      expect(byCode.get('0101')!.color).to.match(/^#[0-9a-f]{6}$/);
      expect(byCode.get('0603')!.color).to.equal(null);
      const again = await rawGet(`${server.baseUrl}/classes.json`, { 'If-None-Match': response.headers.etag! });
      expect(again.status).to.equal(304);
    });
  });
});
