import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { createAuthenticator } from '../../core/auth/authenticator.js';
import { createToken } from '../../core/auth/token-store.js';
import type { AppConfig } from '../../core/config/load-config.js';
import type { Pool } from '../../core/db/pool.js';
import { ImportJobRunner } from '../../pipeline/jobs/import-job-runner.js';
import { createAdminRouter } from '../../server/admin/admin-router.js';
import { EventStreams } from '../../server/admin/job-events.js';
import { createApp } from '../../server/app.js';
import { loadTilesetCatalog } from '../../server/sources/tileset-catalog.js';
import { parcelRow, prjOf, writeParcelShapefile } from '../pipeline/import/delivery-fixture.js';
import { listen, type RunningServer } from '../support/http-server.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../support/test-database.js';
import { launchBrowser, openPage, saveScreenshot } from './browser.js';

/** The server's bootstrap admin token, as operators pass it in ADMIN_TOKEN. */
const ADMIN_TOKEN = 'browser-test-admin-token-0123456789abcdef';

describe('the admin page (/admin.html) in Chromium', function () {
  this.timeout(180_000);
  let database: TestDatabase;
  let pool: Pool;
  let inbox: string;
  let config: AppConfig;
  let runner: ImportJobRunner;
  let streams: EventStreams;
  let server: RunningServer;
  let browser: Browser;
  let expiredToken: string;

  before(async () => {
    database = await createTestDatabase('admin_page');
    inbox = await mkdtemp(join(tmpdir(), 'planmap-admin-page-'));
    config = testConfig(database.url, (raw) => {
      raw.pipeline = { importRoots: [inbox] };
      (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!.source = { path: 'dltb' };
      // The tileset shows what the small delivery has.
      (raw.tilesets as Record<string, unknown>[]).find((tileset) => tileset.id === 'landuse')!.properties = ['BSM', 'DLBM', 'DLMC', 'QSDWMC', 'TBMJ'];
    });
    pool = await openMigratedPool(config);
    await writeParcelShapefile(join(inbox, 'dltb', 'DLTB'), parcelRow(40, { perRow: 8 }), { prj: await prjOf(pool, 4527) });
    runner = new ImportJobRunner({ pool, config, logger: silentLogger });
    streams = new EventStreams();
    const authenticator = createAuthenticator({ pool, logger: silentLogger, bootstrapToken: ADMIN_TOKEN });
    const admin = createAdminRouter({ config, pool, logger: silentLogger, authenticator, runner, eventStreams: streams, eventPollMs: 200 });
    const catalog = await loadTilesetCatalog(pool, config, silentLogger);
    server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog, admin }));
    const expired = await createToken(pool, { name: 'last year', role: 'admin', countyCodes: [], tilesets: [], expiresAt: null, createdBy: 'test' });
    await pool.query(`UPDATE meta.api_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 day' WHERE id = $1`, [expired.record.id]);
    expiredToken = expired.token;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    streams?.closeAll();
    await runner?.close();
    await server?.close();
    await pool?.end();
    await database?.drop();
    await rm(inbox, { recursive: true, force: true });
  });

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto(`${server.baseUrl}/admin.html`);
    await page.fill('#token-input', token);
    await page.click('#token-form button[type=submit]');
  }

  async function importAndWait(page: Page): Promise<string> {
    const importButton = page.locator('tr[data-dataset="landuse"] button[data-action="import"]');
    await importButton.waitFor({ state: 'visible' });
    const jobsBefore = await page.locator('#jobs tr[data-job-id]').count();
    await importButton.click();
    const newRow = page.locator('#jobs tr[data-job-id]').first();
    await page.waitForFunction(
      (before) => (globalThis as unknown as { document: { querySelectorAll(selector: string): { length: number } } }).document.querySelectorAll('#jobs tr[data-job-id]').length > before,
      jobsBefore,
    );
    const jobId = (await newRow.getAttribute('data-job-id'))!;
    // Progress arrives over the job's event stream; the row ends as succeeded.
    await page.locator(`#jobs tr[data-job-id="${jobId}"] td.job-status .status[data-status="succeeded"]`).waitFor({ timeout: 120_000 });
    return jobId;
  }

  describe('given ADMIN_TOKEN and a delivery in the inbox', () => {
    it('starts an import, follows it live to its end, and shows the new live version', async () => {
      const { page, pageErrors } = await openPage(browser);
      await signIn(page, ADMIN_TOKEN);
      const jobId = await importAndWait(page);
      await saveScreenshot(page, 'admin-import-finished');
      const row = page.locator(`#jobs tr[data-job-id="${jobId}"]`);
      expect(await row.locator('td.features').textContent()).to.equal('40');
      expect(await row.textContent()).to.contain('→ v1');
      const events = await page.evaluate(() => Object.fromEntries((globalThis as unknown as { planmapAdmin: { eventCounts: Map<string, number> } }).planmapAdmin.eventCounts));
      expect(events[`${jobId}:progress`], JSON.stringify(events)).to.be.greaterThan(0);
      expect(events[`${jobId}:end`], JSON.stringify(events)).to.equal(1);
      await page.locator('tr[data-dataset="landuse"] .live-version', { hasText: 'v1' }).waitFor();
      const { rows } = await pool.query<{ live_version: number }>(`SELECT live_version FROM meta.datasets WHERE id = 'landuse'`);
      expect(rows[0]!.live_version).to.equal(1);
      expect(pageErrors).to.deep.equal([]);
    });

    it('shows the QA report of a finished job', async () => {
      const { page } = await openPage(browser);
      await signIn(page, ADMIN_TOKEN);
      const firstJob = page.locator('#jobs tr[data-job-id]').last();
      await firstJob.locator('button[data-action="report"]').click();
      await page.locator('#qa-report:not([hidden])').waitFor();
      const report = (await page.locator('#qa-text').textContent()) ?? '';
      expect(report).to.contain(`Import job ${await firstJob.getAttribute('data-job-id')}, dataset landuse: succeeded`);
      await saveScreenshot(page, 'admin-qa-report');
    });

    it('rolls back to the earlier version after a second import', async () => {
      const { page, pageErrors } = await openPage(browser);
      await signIn(page, ADMIN_TOKEN);
      await importAndWait(page);
      await page.locator('tr[data-dataset="landuse"] .live-version', { hasText: 'v2' }).waitFor();
      page.once('dialog', (dialog) => void dialog.accept());
      await page.locator('tr[data-dataset="landuse"] select').selectOption('1');
      await page.locator('tr[data-dataset="landuse"] button[data-action="rollback"]').click();
      await page.locator('tr[data-dataset="landuse"] .live-version', { hasText: 'v1' }).waitFor();
      await saveScreenshot(page, 'admin-rolled-back');
      const { rows } = await pool.query<{ live_version: number }>(`SELECT live_version FROM meta.datasets WHERE id = 'landuse'`);
      expect(rows[0]!.live_version).to.equal(1);
      expect(pageErrors).to.deep.equal([]);
    });
  });

  describe('given an expired token', () => {
    it('says the token is invalid or expired, and shows no data', async () => {
      // The refused API calls are what the page is about.
      const { page, pageErrors } = await openPage(browser, [/^\/admin\//]);
      await signIn(page, expiredToken);
      const banner = page.locator('#banner[data-kind="auth"]');
      await banner.waitFor();
      expect(await banner.textContent()).to.contain('访问令牌无效或已过期');
      expect(await page.locator('#datasets tr[data-dataset]').count()).to.equal(0);
      await saveScreenshot(page, 'admin-expired-token');
      expect(pageErrors).to.deep.equal([]);
    });
  });

  describe('given no token', () => {
    it('asks for one', async () => {
      const { page } = await openPage(browser);
      await page.goto(`${server.baseUrl}/admin.html`);
      expect(await page.locator('#banner').textContent()).to.contain('请输入管理令牌');
    });
  });
});
