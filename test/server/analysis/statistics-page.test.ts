import { expect } from 'chai';
import express from 'express';
import type { Browser } from 'playwright-core';
import type { Pool } from '../../../core/db/pool.js';
import { refreshAnalysis } from '../../../pipeline/analysis/refresh-analysis.js';
import { createChangesRouter } from '../../../server/analysis/changes-router.js';
import { createStatisticsRouter } from '../../../server/analysis/statistics-router.js';
import { createErrorMiddleware, notFoundHandler } from '../../../server/http/error-middleware.js';
import { createWebRouter } from '../../../server/routes/web-route.js';
import { launchBrowser, openPage, saveScreenshot } from '../../browser/browser.js';
import { listen, type RunningServer } from '../../support/http-server.js';
import { createTestDatabase, openMigratedPool, silentLogger, type TestDatabase } from '../../support/test-database.js';
import { publishConflictFixture } from '../../pipeline/analysis/conflict-fixture.js';
import { analysisTestConfig } from '../../pipeline/analysis/rectangle-fixtures.js';

/**
 * web/statistics.html in Chromium, against the statistics routers mounted under /admin (the
 * admin auth is the application's; here any token passes) and the web files.
 */
describe('the statistics page (web/statistics.html) in Chromium', function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let pool: Pool;
  let server: RunningServer;
  let browser: Browser;

  before(async () => {
    database = await createTestDatabase('analysis_page');
    const config = analysisTestConfig(database.url);
    pool = await openMigratedPool(config);
    await publishConflictFixture(pool, config);
    await refreshAnalysis(pool, config, silentLogger);
    const app = express();
    app.use('/admin', createStatisticsRouter({ pool, config }), createChangesRouter({ pool, config, logger: silentLogger }));
    app.use(createWebRouter());
    app.use(notFoundHandler);
    app.use(createErrorMiddleware(silentLogger));
    server = await listen(app);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await pool?.end();
    await database?.drop();
  });

  it('asks for a token, then lists the land-use, control-line, conflict and sliver tables in Chinese', async () => {
    // landuse has a single version: the changes section reports that (404) in place.
    const { page, pageErrors } = await openPage(browser, [/\/admin\/datasets\/landuse\/changes$/]);
    await page.goto(`${server.baseUrl}/statistics.html`);
    await page.locator('#banner[data-kind="auth"]').waitFor();
    await page.fill('#token-input', 'test-token');
    await page.click('#token-form button[type="submit"]');
    await page.locator('#conflicts-table table').waitFor();
    const cells = async (id: string) => page.locator(`#${id} tbody tr`).evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => cell.textContent ?? '')));
    const landuse = await cells('landuse-table');
    expect(landuse).to.deep.include(['东昌府区 371502', '0201', '果园', '1', '30,000.00', '3.00', '45.00']);
    const conflicts = await cells('conflicts-table');
    expect(conflicts.map((row) => row[1])).to.include('生态保护红线与永久基本农田重叠');
    expect(await cells('slivers-table')).to.have.length(1);
    expect(await page.locator('#run-info').textContent()).to.match(/landuse v1/);
    expect(await page.locator('#changes-info').textContent()).to.match(/no version before 1/);
    await page.selectOption('#group-select', 'level1');
    await page.locator('#landuse-table th', { hasText: '一级类名称' }).waitFor();
    await page.selectOption('#county-select', '371521');
    // A function, not a string: the page's CSP (script-src 'self') forbids evaluating strings.
    await page.waitForFunction(
      (selector) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll(selector).length === 1,
      '#landuse-table tbody tr',
    );
    await saveScreenshot(page, 'statistics-page');
    expect(pageErrors).to.deep.equal([]);
  });
});
