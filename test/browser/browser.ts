import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { projectRoot } from '../../core/project-root.js';

/**
 * Debian's Chromium (`apt-get install -y chromium`), driven by playwright-core: no browser
 * download. WebGL runs on SwiftShader (software), so the map draws without a GPU.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Screenshots of every browser test, kept by CI as artefacts (gitignored). */
export const ARTIFACTS_DIR = join(projectRoot, 'test-artifacts', 'browser');

/** Starts Chromium, or fails the test with what to install: a browser test never skips. */
export async function launchBrowser(): Promise<Browser> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
  } catch (error) {
    throw new Error(
      `the browser tests need Chromium at ${CHROMIUM_PATH} (Debian: apt-get install -y chromium; or set CHROMIUM_PATH), ` +
        `and it did not start: ${(error as Error).message.split('\n')[0]}`,
      { cause: error },
    );
  }
}

/**
 * A fresh page (own storage) that records script errors, console errors and failed responses
 * (status 400 or above, with their URL). `expectedFailures` are paths the page is allowed to
 * find missing or refused (a probe for an optional route, a refused token).
 */
export async function openPage(browser: Browser, expectedFailures: readonly RegExp[] = []): Promise<{ page: Page; pageErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // Failed loads are reported below with their URL.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
  });
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (response.status() >= 400 && !expectedFailures.some((pattern) => pattern.test(path))) pageErrors.push(`${response.status()} ${path}`);
  });
  return { page, pageErrors };
}

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}
