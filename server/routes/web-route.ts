import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ServerResponse } from 'node:http';
import express, { Router } from 'express';
import { projectRoot } from '../../core/project-root.js';

/** The viewer, the admin page and their scripts (plain ES modules: no build step). */
export const WEB_ROOT = join(projectRoot, 'web');

/** MapLibre GL JS from the project's own dependency, never a CDN: the viewer works offline and inside a closed network. */
export const MAPLIBRE_DIST = join(dirname(createRequire(import.meta.url).resolve('maplibre-gl/package.json')), 'dist');

/** Where pages load MapLibre from (relative to the page, so the server can sit behind a path prefix). */
export const MAPLIBRE_PATH = '/vendor/maplibre-gl';

/**
 * Pages and their scripts are revalidated on every load (ETag / Last-Modified make that a 304),
 * so a deployment takes effect at once; MapLibre changes only with an upgrade of the package.
 */
const WEB_CACHE_CONTROL = 'no-cache';
const VENDOR_CACHE_CONTROL = 'public, max-age=86400';

/**
 * The viewer's and admin page's own policy: scripts, styles, tiles and workers from this server
 * only (MapLibre's worker is a module loaded from /vendor; `blob:` for browsers that wrap it).
 * `style-src 'unsafe-inline'`: MapLibre positions its controls and popups with inline styles.
 */
const PAGE_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self' blob:",
  "child-src 'self' blob:",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "frame-ancestors 'self'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

const OWN_PAGES = new Set(['index.html', 'admin.html', 'statistics.html']);

/**
 * `GET /` (the map viewer), `GET /admin.html` and the files of `web/`, and MapLibre GL JS
 * and its CSS under `/vendor/maplibre-gl/`. Static files go through Express's serve-static
 * (content types, ETag, Last-Modified, ranges, HEAD); paths outside the folders, dotfiles and
 * unknown files fall through to the 404 handler.
 */
export function createWebRouter({ webRoot = WEB_ROOT, maplibreDist = MAPLIBRE_DIST } = {}): Router {
  if (!existsSync(join(webRoot, 'index.html'))) throw new Error(`the web viewer is missing: no index.html in ${webRoot}`);
  if (!existsSync(join(maplibreDist, 'maplibre-gl.mjs'))) throw new Error(`MapLibre GL JS is missing: no maplibre-gl.mjs in ${maplibreDist} (run npm ci)`);
  const router = Router();
  router.use(
    MAPLIBRE_PATH,
    express.static(maplibreDist, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      setHeaders: (res) => setCommonHeaders(res, VENDOR_CACHE_CONTROL),
    }),
  );
  router.use(
    express.static(webRoot, {
      index: ['index.html'],
      redirect: false,
      dotfiles: 'ignore',
      setHeaders: (res, path) => {
        setCommonHeaders(res, WEB_CACHE_CONTROL);
        const name = path.slice(path.lastIndexOf('/') + 1);
        if (OWN_PAGES.has(name)) {
          res.setHeader('Content-Security-Policy', PAGE_SECURITY_POLICY);
          res.setHeader('Referrer-Policy', 'same-origin');
        }
      },
    }),
  );
  return router;
}

function setCommonHeaders(res: ServerResponse, cacheControl: string): void {
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('X-Content-Type-Options', 'nosniff');
}
