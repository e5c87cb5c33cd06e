import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import type { ServerConfig } from '../../core/config/schema.js';
import type { Logger } from '../../core/logger.js';
import { publicBaseUrl } from '../http/public-url.js';
import { RASTER_CONTENT_TYPES, type RasterTileService } from '../render/raster-tile-service.js';
import type { StyleCatalog, StyleInfo } from '../styles/style-catalog.js';
import { buildCapabilitiesDocument, DEFAULT_SERVICE_DESCRIPTION, type WmtsServiceDescription, type WmtsUrls } from './capabilities-document.js';
import { parseKvpRequest } from './kvp-request.js';
import { resolveTileRequest } from './resolve-tile-request.js';
import { parseRestRequest } from './rest-request.js';
import { sendWmtsBody } from './send-wmts-response.js';
import { WmtsError, writeExceptionReport } from './wmts-exception.js';
import { WMTS_VERSION, type GetTileRequest, type WmtsRequest } from './wmts-request.js';

export interface WmtsRouterDeps {
  readonly server: ServerConfig;
  /** Read on every request, so a catalog rebuilt at run time takes effect at once. */
  readonly styles: () => StyleCatalog;
  readonly raster: RasterTileService;
  readonly logger: Logger;
  /**
   * Query parameters (names case-insensitive) copied from a capabilities request into every
   * URL the document advertises, e.g. `['token']` so that a client given a capabilities URL
   * with an access token sends it with each tile. None by default.
   */
  readonly passThroughParameters?: readonly string[];
  readonly service?: WmtsServiceDescription;
  /** Access control (server/access/wmts-access.ts): the layers the caller may see in capabilities; all of them when absent. */
  readonly visibleStyles?: (req: Request, res: Response, styles: readonly StyleInfo[]) => Promise<readonly StyleInfo[]>;
  /**
   * Access control of a GetTile, after the request is checked and before rendering: throws 401/403,
   * or returns the Cache-Control to send (given the configured one).
   */
  readonly authorizeLayer?: (req: Request, res: Response, layerId: string, cacheControl: string) => Promise<string>;
}

const CAPABILITIES_CONTENT_TYPE = 'application/xml; charset=utf-8';
/** Capabilities change with the styles and data: clients revalidate (ETag) every time. */
const CAPABILITIES_CACHE_CONTROL = 'no-cache';
const REST_PREFIX = `/${WMTS_VERSION}/`;

/**
 * WMTS 1.0.0 (OGC 07-057r7), mounted at `/wmts`: KVP requests at `/wmts?...` and RESTful ones
 * below `/wmts/1.0.0/`. Every failure, including unknown paths below `/wmts`, is answered with
 * an OGC ExceptionReport by this router's own error handler.
 */
export function createWmtsRouter(deps: WmtsRouterDeps): Router {
  const router = Router({ strict: false, caseSensitive: true });
  router.get('/', (req, res, next) => {
    const queryStart = req.originalUrl.indexOf('?');
    const query = queryStart < 0 ? '' : req.originalUrl.slice(queryStart + 1);
    answer(parseKvpRequest(query), req, res, deps).catch(next);
  });
  router.get(/^\/1\.0\.0\/.*/, (req, res, next) => {
    answer(parseRestRequest(req.path.slice(REST_PREFIX.length)), req, res, deps).catch(next);
  });
  router.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      next(new WmtsError([{ code: 'NoApplicableCode', text: `WMTS requests are HTTP GET (KVP or RESTful), not ${req.method}` }], { status: 405 }));
      return;
    }
    next(
      new WmtsError([{ code: 'NoApplicableCode', text: `no such WMTS resource; use /wmts?SERVICE=WMTS&REQUEST=GetCapabilities or /wmts/${WMTS_VERSION}/WMTSCapabilities.xml` }], {
        status: 404,
      }),
    );
  });
  router.use(createWmtsErrorHandler(deps.logger));
  return router;
}

async function answer(request: WmtsRequest, req: Request, res: Response, deps: WmtsRouterDeps): Promise<void> {
  if (request.operation === 'GetCapabilities') await sendCapabilities(req, res, deps);
  else await sendTile(request, req, res, deps);
}

async function sendCapabilities(req: Request, res: Response, deps: WmtsRouterDeps): Promise<void> {
  const urls: WmtsUrls = { baseUrl: publicBaseUrl(req, deps.server), query: passThroughQuery(req, deps.passThroughParameters ?? []) };
  const all = deps.styles().list();
  const layers = deps.visibleStyles ? await deps.visibleStyles(req, res, all) : all;
  const document = buildCapabilitiesDocument(layers, urls, deps.service ?? DEFAULT_SERVICE_DESCRIPTION);
  sendWmtsBody(req, res, Buffer.from(document, 'utf8'), CAPABILITIES_CONTENT_TYPE, CAPABILITIES_CACHE_CONTROL);
}

async function sendTile(request: GetTileRequest, req: Request, res: Response, deps: WmtsRouterDeps): Promise<void> {
  const { layer, grid, tile, format } = resolveTileRequest(request, deps.styles().list());
  const cacheControl = deps.authorizeLayer ? await deps.authorizeLayer(req, res, layer.id, deps.server.tileCacheControl) : deps.server.tileCacheControl;
  // A client that goes away stops the rendering (and its vector tile statements).
  const clientGone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) clientGone.abort();
  });
  let image: Buffer;
  try {
    image = await deps.raster.render(layer.id, tile, grid, { scale: 1, format }, clientGone.signal);
  } catch (error) {
    if (clientGone.signal.aborted) return; // nobody is left to answer
    throw error;
  }
  if (clientGone.signal.aborted) return;
  sendWmtsBody(req, res, image, RASTER_CONTENT_TYPES[format], cacheControl);
}

/** The pass-through parameters of the request, encoded for appending to URLs ('' when none). */
function passThroughQuery(req: Request, names: readonly string[]): string {
  if (names.length === 0) return '';
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  const queryStart = req.originalUrl.indexOf('?');
  const kept = new URLSearchParams();
  for (const [name, value] of new URLSearchParams(queryStart < 0 ? '' : req.originalUrl.slice(queryStart + 1))) {
    if (wanted.has(name.toLowerCase())) kept.append(name, value);
  }
  return kept.toString();
}

function createWmtsErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent || res.destroyed) {
      next(error);
      return;
    }
    writeExceptionReport(res, error, req.originalUrl, logger);
  };
}
