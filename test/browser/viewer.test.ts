import type { StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import type { RequestListener } from 'node:http';
import { UnauthorizedError } from '../../core/auth/auth-errors.js';
import { createAuthenticator } from '../../core/auth/authenticator.js';
import { createToken } from '../../core/auth/token-store.js';
import { createApp } from '../../server/app.js';
import { writeError } from '../../server/http/write-error.js';
import { StyleRasterRenderer } from '../../server/render/style-raster-renderer.js';
import { loadStyleCatalog, STYLES_DIR } from '../../server/styles/style-catalog.js';
import { loadTilesetCatalog } from '../../server/sources/tileset-catalog.js';
import { listen, type RunningServer } from '../support/http-server.js';
import { sampleFixture } from '../support/sample-fixture.js';
import { silentLogger } from '../support/test-database.js';
import { launchBrowser, openPage, saveScreenshot } from './browser.js';
import { classColoursOf, countColours } from './map-pixels.js';

/** The viewer asks for `/styles` when the catalog lists no styles; a server without styles answers 404 (and the viewer builds one). */
const OPTIONAL_ROUTES = [/^\/styles$/];

interface ParcelRow {
  BSM: string;
  DLBM: string;
  DLMC: string;
  lon: number;
  lat: number;
}

/** Waits until the viewer has loaded its style and every tile in view is drawn. */
async function waitForMapIdle(page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as unknown as { planmap?: unknown }).planmap !== undefined);
  await page.evaluate(() => (globalThis as unknown as { planmap: { ready: Promise<void> } }).planmap.ready);
  await page.waitForFunction(() => {
    const { map } = (globalThis as unknown as { planmap: { map: { loaded(): boolean; areTilesLoaded(): boolean; isMoving(): boolean; getStyle(): { layers: unknown[] } | undefined } } }).planmap;
    return (map.getStyle()?.layers.length ?? 0) > 1 && map.loaded() && map.areTilesLoaded() && !map.isMoving();
  }, undefined, { polling: 200, timeout: 45_000 });
}

describe('the web viewer (GET /) in Chromium', function () {
  this.timeout(120_000);
  let server: RunningServer;
  let browser: Browser;

  before(async () => {
    const { config, pool } = sampleFixture();
    const catalog = await loadTilesetCatalog(pool, config, silentLogger);
    // The project's own styles (styles/*.json), as the server serves them.
    const styles = loadStyleCatalog(STYLES_DIR, catalog, silentLogger, config.tilesets);
    const raster = new StyleRasterRenderer({ styles, catalog: () => catalog });
    server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog, styles, raster }));
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The biggest parcel of the sample, so it fills the middle of the screen at z15. */
  async function largeParcel(): Promise<ParcelRow> {
    const { rows } = await sampleFixture().pool.query<ParcelRow>(
      `SELECT "BSM", "DLBM", "DLMC", ST_X(p) AS lon, ST_Y(p) AS lat
         FROM (SELECT *, ST_PointOnSurface(geom) AS p FROM live.landuse) parcels
        ORDER BY ST_Area(geom) DESC, "BSM" LIMIT 1`,
    );
    return rows[0]!;
  }

  describe('given an expired token', () => {
    let gated: RunningServer;
    let expiredToken: string;

    before(async () => {
      const { config, pool } = sampleFixture();
      const created = await createToken(pool, { name: 'viewer, expired', role: 'viewer', countyCodes: [], tilesets: [], expiresAt: null, createdBy: 'browser test' });
      await pool.query(`UPDATE meta.api_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 day' WHERE id = $1`, [created.record.id]);
      expiredToken = created.token;
      // The server's token check (core/auth) in front of the app: a request that presents a
      // token must present a valid one; public data needs none.
      const authenticator = createAuthenticator({ pool, logger: silentLogger });
      const catalog = await loadTilesetCatalog(pool, config, silentLogger);
      const app = createApp({ config, pool, logger: silentLogger, catalog: () => catalog });
      const checkToken: RequestListener = (req, res) => {
        if (!req.headers.authorization) return app(req, res);
        authenticator.authenticate(req.headers.authorization).then(
          () => app(req, res),
          (error: unknown) => {
            if (error instanceof UnauthorizedError) res.setHeader('WWW-Authenticate', 'Bearer realm="planmap", error="invalid_token"');
            writeError(res, error, req.url ?? '', silentLogger);
          },
        );
      };
      gated = await listen(checkToken);
    });

    after(() => gated?.close());

    it('says the token is invalid or expired, and still draws the public data instead of a blank map', async () => {
      // Refused: the catalog, and tiles asked for with the token before the refusal was known.
      const { page, pageErrors } = await openPage(browser, [...OPTIONAL_ROUTES, /^\/catalog$/, /^\/tiles\//]);
      const parcel = await largeParcel();
      await page.goto(`${gated.baseUrl}/#12/${parcel.lat}/${parcel.lon}`);
      await waitForMapIdle(page);
      await page.fill('#token-input', expiredToken);
      await page.click('#token-form button[type=submit]');
      const message = page.locator('#message[data-kind="auth"]');
      await message.waitFor();
      await waitForMapIdle(page);
      await saveScreenshot(page, 'viewer-expired-token');
      expect(await message.textContent()).to.contain('访问令牌无效或已过期');
      expect(await page.locator('#token-state').textContent()).to.contain('token refused');
      const parcels = await page.evaluate(() => {
        const { map } = (globalThis as unknown as { planmap: { map: { queryRenderedFeatures(): Array<{ sourceLayer?: string }> } } }).planmap;
        return map.queryRenderedFeatures().filter((feature) => feature.sourceLayer === 'landuse').length;
      });
      expect(parcels).to.be.greaterThan(0);
      expect(pageErrors).to.deep.equal([]);
    });
  });

  describe('given the sample data', () => {
    it('draws the parcels in the land-use class colours of the style it shows', async () => {
      const { page, pageErrors } = await openPage(browser, OPTIONAL_ROUTES);
      const { lon, lat } = await largeParcel();
      const zoom = 12;
      await page.goto(`${server.baseUrl}/#${zoom}/${lat}/${lon}`);
      await waitForMapIdle(page);
      const png = await page.locator('#map').screenshot();
      await saveScreenshot(page, 'viewer-landuse');
      const { style, codes } = await page.evaluate(() => {
        const { map } = (globalThis as unknown as { planmap: { map: { getStyle(): unknown; queryRenderedFeatures(): Array<{ sourceLayer?: string; properties: Record<string, unknown> }> } } }).planmap;
        const rendered = map.queryRenderedFeatures().filter((feature) => feature.sourceLayer === 'landuse');
        return { style: map.getStyle(), codes: [...new Set(rendered.map((feature) => String(feature.properties.DLBM)))] };
      });
      expect(codes.length, 'land-use classes among the rendered parcels').to.be.greaterThan(2);
      const colours = classColoursOf(style as StyleSpecification, 'landuse', codes, zoom);
      const counts = await countColours(png, colours);
      const drawnClasses = [...counts].filter(([, pixels]) => pixels >= 50).map(([code]) => code);
      expect(drawnClasses.length, `classes drawn with at least 50 pixels of their colour: ${JSON.stringify([...counts])}`).to.be.greaterThan(2);
      expect(pageErrors).to.deep.equal([]);
    });

    it('shows the clicked parcel’s attributes with Chinese field names and the class name of its DLBM', async () => {
      const { page, pageErrors } = await openPage(browser, OPTIONAL_ROUTES);
      const parcel = await largeParcel();
      await page.goto(`${server.baseUrl}/#15/${parcel.lat}/${parcel.lon}`);
      await waitForMapIdle(page);
      const box = (await page.locator('#map').boundingBox())!;
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      const popup = page.locator('.maplibregl-popup .feature-popup');
      await popup.waitFor({ state: 'visible', timeout: 15_000 });
      await saveScreenshot(page, 'viewer-popup');
      const bsm = await popup.locator('tr[data-field="BSM"] .field-value').textContent();
      const dlbm = await popup.locator('tr[data-field="DLBM"]').textContent();
      const dlmc = await popup.locator('tr[data-field="DLMC"]').textContent();
      expect(bsm).to.equal(parcel.BSM);
      expect(dlbm).to.contain('地类编码').and.contain(parcel.DLBM).and.contain(parcel.DLMC);
      expect(dlmc).to.contain('地类名称').and.contain(parcel.DLMC);
      expect(pageErrors).to.deep.equal([]);
    });

    it('shows the cursor position in CGCS2000 longitude and latitude, and a scale bar', async () => {
      const { page } = await openPage(browser);
      const parcel = await largeParcel();
      await page.goto(`${server.baseUrl}/#15/${parcel.lat}/${parcel.lon}`);
      await waitForMapIdle(page);
      const box = (await page.locator('#map').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      const text = (await page.locator('#coordinates').textContent()) ?? '';
      const match = /经度 ([\d.]+)°E\s+纬度 ([\d.]+)°N/.exec(text);
      expect(match, text).to.not.equal(null);
      // Half a pixel at z15 is about 2 m: the centre of the map is the parcel's point within 1e-4°.
      expect(Number(match![1])).to.be.closeTo(parcel.lon, 1e-4);
      expect(Number(match![2])).to.be.closeTo(parcel.lat, 1e-4);
      expect(await page.locator('.maplibregl-ctrl-scale').textContent()).to.match(/\d+\s*(m|km)/);
    });

    it('offers the served styles and a toggle per tileset, and hides a tileset when unticked', async () => {
      const { page } = await openPage(browser);
      const parcel = await largeParcel();
      await page.goto(`${server.baseUrl}/#12/${parcel.lat}/${parcel.lon}`);
      await waitForMapIdle(page);
      const styleIds = await page.locator('#style-select option').evaluateAll((options) => options.map((option) => (option as unknown as { value: string }).value));
      expect(styleIds).to.include.members(['landuse', 'planning', '__catalog__']);
      expect(await page.locator('#style-select').inputValue()).to.equal('landuse');
      const toggles = page.locator('#layer-list input[type=checkbox]');
      const landuseToggle = page.locator('#layer-list label', { hasText: '三调地类图斑' }).locator('input');
      expect(await toggles.count()).to.be.greaterThan(1);
      await landuseToggle.uncheck();
      const renderedParcels = () => {
        const { map } = (globalThis as unknown as { planmap: { map: { queryRenderedFeatures(): Array<{ sourceLayer?: string }> } } }).planmap;
        return map.queryRenderedFeatures().filter((feature) => feature.sourceLayer === 'landuse').length;
      };
      // The map hides the layers at its next frame, which a busy machine can delay: wait for it
      // (up to 10 s), then check.
      await page.waitForFunction(`(${renderedParcels.toString()})() === 0`, undefined, { timeout: 10_000 }).catch(() => undefined);
      expect(await page.evaluate(renderedParcels)).to.equal(0);
    });

    it('switches to another served style', async () => {
      // The planning style also draws tilesets the sample has no data for (control lines,
      // zones): their tiles answer 404 and the style draws nothing from them.
      const { config, pool } = sampleFixture();
      const published = new Set((await loadTilesetCatalog(pool, config, silentLogger)).list().map((layer) => layer.id));
      const unpublished = config.tilesets.map((tileset) => tileset.id).filter((id) => !published.has(id));
      const { page, pageErrors } = await openPage(browser, [...OPTIONAL_ROUTES, new RegExp(`^/tiles/(${unpublished.join('|')})/`)]);
      const parcel = await largeParcel();
      await page.goto(`${server.baseUrl}/#12/${parcel.lat}/${parcel.lon}`);
      await waitForMapIdle(page);
      await page.selectOption('#style-select', 'planning');
      await page.waitForFunction(() => {
        const { map } = (globalThis as unknown as { planmap: { map: { getStyle(): { layers: Array<{ id: string }> } | undefined } } }).planmap;
        const layers = map.getStyle()?.layers;
        return layers !== undefined && layers.length > 1 && layers.every((layer) => !layer.id.startsWith('landuse-fill'));
      });
      await waitForMapIdle(page);
      const styleName = await page.evaluate(() => (globalThis as unknown as { planmap: { map: { getStyle(): { name?: string } } } }).planmap.map.getStyle().name);
      const { styles } = (await (await fetch(`${server.baseUrl}/styles`)).json()) as { styles: { id: string; name: string }[] };
      expect(styleName).to.equal(styles.find((style) => style.id === 'planning')!.name);
      await saveScreenshot(page, 'viewer-planning-style');
      expect(pageErrors).to.deep.equal([]);
    });
  });
});
