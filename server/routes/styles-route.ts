import { hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type Request, type Response } from 'express';
import type { AppConfig } from '../../core/config/load-config.js';
import { BadRequestError, NotFoundError } from '../../core/errors.js';
import { tileMatrixSets, WebMercatorQuad } from '../../core/grid/tile-matrix-set.js';
import { publicBaseUrl } from '../http/public-url.js';
import { parseRasterTilePath, type RasterTilePath } from '../http/raster-tile-path.js';
import { writeError } from '../http/write-error.js';
import type { Logger } from '../../core/logger.js';
import { RASTER_CONTENT_TYPES, type RasterTileService, type RenderTimings } from '../render/raster-tile-service.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import { STYLE_ID_PATTERN, type StyleCatalog, type StyleInfo } from '../styles/style-catalog.js';
import { publicStyle, type TilesetLookup } from '../styles/public-style.js';
import { shortestCacheControl } from './cache-control.js';
import { withQueryToken, type AccessControl, type Caller } from '../access/access-control.js';
import { admitRequest, styleAccessLevel } from '../access/access-middleware.js';
import { authorizeStyle } from '../access/wmts-access.js';
import { setPageSecurityHeaders } from '../access/security-headers.js';
import type { RouteHandler } from './vector-tiles.js';

export interface StylesRouteDeps {
  readonly config: AppConfig;
  readonly styles: StyleCatalog;
  readonly raster: RasterTileService;
  /** Read on every request, so a catalog rebuilt after a publish takes effect at once. */
  readonly catalog: () => TilesetCatalog;
  /** Access control: the list shows what the caller may read; style.json and tiles of others are 401/403. */
  readonly access?: AccessControl;
}

/**
 * `GET /styles` (the list), `GET /styles/{style}/style.json` (URLs absolute to this server) and
 * raster tiles `GET /styles/{style}/[{tileMatrixSet}/]{z}/{x}/{y}[@2x].{png|webp|jpg}`.
 * Mounted at `/styles`.
 */
export function createStylesRouter({ config, styles, raster, catalog, access }: StylesRouteDeps): Router {
  const router = Router();
  const lookup = (): TilesetLookup => {
    const served = new Map(catalog().list().map((layer) => [layer.id, layer.info]));
    return (id) => served.get(id) ?? config.tilesets.find((tileset) => tileset.id === id) ?? { minzoom: 0, maxzoom: 0 };
  };

  router.get('/', async (req: Request, res: Response) => {
    const baseUrl = publicBaseUrl(req, config.server);
    const caller = access ? await access.caller(req, res) : null;
    const readable = styles.list().filter((style) => !access || !caller || access.mayRead(caller, access.policy.style(style.id, style.sourceTilesets)));
    res.setHeader('Cache-Control', 'no-cache');
    res.json({ styles: readable.map((style) => describeStyle(style, baseUrl, caller)) });
  });

  router.get(/.*/, async (req: Request, res: Response) => {
    const segments = req.path.replace(/^\//, '').split('/').map(decodeSegment);
    if (segments.length === 2 && segments[1] === 'style.json') {
      if (!STYLE_ID_PATTERN.test(segments[0]!)) throw new NotFoundError(`unknown style "${segments[0]!.slice(0, 40)}"`);
      const style = styles.get(segments[0]!);
      const resource = access?.policy.style(style.id, style.sourceTilesets);
      const caller = access && resource ? await access.authorize(req, res, resource, { action: 'style.read', target: `style:${style.id}` }) : null;
      res.setHeader('Cache-Control', resource && resource.level !== 'public' ? 'private, no-cache' : 'no-cache');
      const json = publicStyle(style, publicBaseUrl(req, config.server), lookup());
      // Tile URLs carry the caller's ?token= only when it came that way; a header is never echoed.
      if (caller?.queryToken) {
        for (const source of Object.values(json.sources)) {
          if (source.type === 'vector' && source.tiles) source.tiles = source.tiles.map((url) => withQueryToken(url, caller));
        }
      }
      res.json(json);
      return;
    }
    await sendRasterTile(req, res, parseRasterTilePath(segments), { config, styles, raster, catalog, access });
  });
  return router;
}

/**
 * Raster tile requests that need no more than the path: `/styles/{style}/[{tileMatrixSet}/]{z}/{x}/{y}[@2x].{png|webp|jpg}`
 * with plain digits (any query). Anything else under /styles, including malformed tile paths and
 * their error answers, is left to Express.
 */
const RASTER_TILE_URL = /^\/styles\/([^/?]+)\/(?:[^/?]+\/)?\d+\/\d+\/\d+(?:@2x)?\.(?:png|webp|jpg)(?:\?|$)/;

export interface RasterTileRouteDeps extends Omit<StylesRouteDeps, 'access'> {
  readonly access: AccessControl;
  readonly logger: Logger;
}

/**
 * Raster tiles on Node's own request and response, as the vector tiles are (vector-tiles.ts):
 * Express's per-request set-up and routing through the routers mounted before /styles cost about
 * 0.1 ms of CPU, a tenth of a z16 raster tile's (bench/README.md, "npm run bench:raster"). It does
 * what the access middleware and the styles router do for such a request, in the same order:
 * security headers, rate limit, Vary and CORS by the style's level, then sendRasterTile. Returns
 * false for any other request.
 */
export function createRasterTileRoute({ logger, ...deps }: RasterTileRouteDeps): RouteHandler {
  const { styles, access } = deps;
  return (req, res) => {
    const url = req.url ?? '';
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const match = RASTER_TILE_URL.exec(url);
    if (!match) return false;
    const queryStart = url.indexOf('?');
    const pathname = queryStart < 0 ? url : url.slice(0, queryStart);
    const clientGone = abortOnClose(res);
    const serve = async () => {
      setPageSecurityHeaders(res);
      const styleId = decodeSegment(match[1]!);
      const level = styleAccessLevel(access, styleId, styles.list().find((style) => style.id === styleId)?.sourceTilesets);
      admitRequest(access, req, res, level, url);
      const segments = pathname.slice('/styles/'.length).split('/').map(decodeSegment);
      await sendRasterTile(req, res, parseRasterTilePath(segments), deps, clientGone);
    };
    serve().catch((error: unknown) => {
      if (clientGone.signal.aborted) return;
      if (res.headersSent) res.destroy();
      else writeError(res, error, pathname, logger);
    });
    return true;
  };
}

/**
 * One raster tile: access (a style of protected tilesets is 401/403 without permission, and
 * `private` to shared caches), the image, its ETag, 304 for a matching If-None-Match.
 */
async function sendRasterTile(
  req: IncomingMessage,
  res: ServerResponse,
  path: RasterTilePath,
  { config, styles, raster, catalog, access }: StylesRouteDeps,
  clientGone = abortOnClose(res),
): Promise<void> {
  const style = styles.get(path.styleId);
  const baseCacheControl = cacheControlOf(style, catalog(), config.server.tileCacheControl);
  const cacheControl = access ? await authorizeStyle(access, req, res, style.id, style.sourceTilesets, 'raster.read', baseCacheControl) : baseCacheControl;
  const timings: RenderTimings = { vectorMs: 0, decodeMs: 0, drawMs: 0, encodeMs: 0 };
  let image: Buffer;
  try {
    image = await raster.render(path.styleId, path.tile, path.grid, { scale: path.scale, format: path.format, timings }, clientGone.signal);
  } catch (error) {
    // A client that went away cancelled its vector tile statements; there is nobody to answer.
    if (clientGone.signal.aborted) return;
    throw error;
  }
  const etag = `"${hash('sha1', image, 'base64url')}"`;
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('ETag', etag);
  res.setHeader('Server-Timing', formatServerTiming(timings));
  if (matchesIfNoneMatch(req.headers['if-none-match'], etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader('Content-Type', RASTER_CONTENT_TYPES[path.format]);
  res.setHeader('Content-Length', image.length);
  res.statusCode = 200;
  res.end(image);
}

/** Aborted when the client goes away before the answer is written. */
function abortOnClose(res: ServerResponse): AbortController {
  const clientGone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) clientGone.abort();
  });
  return clientGone;
}

/** One entry of `GET /styles`. */
function describeStyle(style: StyleInfo, baseUrl: string, caller: Caller | null) {
  const root = `${baseUrl}/styles/${style.id}`;
  const tokenized = (url: string) => (caller ? withQueryToken(url, caller) : url);
  return {
    id: style.id,
    name: style.name,
    revision: style.revision,
    minzoom: style.minzoom,
    maxzoom: style.maxzoom,
    bounds: style.bounds,
    tilesets: style.sourceTilesets,
    url: tokenized(`${root}/style.json`),
    tiles: Object.fromEntries(
      [...tileMatrixSets.keys()].map((id) => [id, tokenized(id === WebMercatorQuad.id ? `${root}/{z}/{x}/{y}.png` : `${root}/${id}/{z}/{x}/{y}.png`)]),
    ),
  };
}

/** A raster tile is as fresh as its least cacheable source tileset. */
function cacheControlOf(style: StyleInfo, catalog: TilesetCatalog, fallback: string): string {
  const served = new Map(catalog.list().map((layer) => [layer.id, layer.info.cacheControl]));
  const members = style.sourceTilesets.flatMap((id) => served.get(id) ?? []);
  return members.length === 0 ? fallback : members.reduce(shortestCacheControl);
}

function formatServerTiming(timings: RenderTimings): string {
  const entry = (name: string, ms: number) => `${name};dur=${ms.toFixed(1)}`;
  return [entry('vector', timings.vectorMs), entry('decode', timings.decodeMs), entry('draw', timings.drawMs), entry('encode', timings.encodeMs)].join(', ');
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequestError('the path is not valid percent-encoded UTF-8');
  }
}

/** If-None-Match uses weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored. */
function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value.replace(/^W\//, '') === etag;
  });
}
