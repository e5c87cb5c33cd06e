import { Router, type Request, type Response } from 'express';
import type { ServerConfig } from '../../core/config/schema.js';
import { NotFoundError } from '../../core/errors.js';
import { publicBaseUrl } from '../http/public-url.js';
import { parseTilePath } from '../http/tile-path.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import { buildTileJson } from './tilejson.js';
import { withQueryToken, type AccessControl } from '../access/access-control.js';

export interface TileJsonRouteDeps {
  readonly server: ServerConfig;
  /** Read on every request, so a catalog rebuilt after a publish takes effect at once. */
  readonly catalog: () => TilesetCatalog;
  /** Access control: TileJSON of a tileset the caller may not read is 401/403. */
  readonly access?: AccessControl;
}

/**
 * The Express side of `/tiles/...`: `GET /tiles/{tileset}.json`. Tiles themselves are served by
 * the vector tile route before Express; what reaches this router and is not TileJSON is a
 * request that route refused to take (e.g. a POST), answered 404 here.
 */
export function createTileJsonRouter({ server, catalog, access }: TileJsonRouteDeps): Router {
  const router = Router();
  router.get(/.*/, async (req: Request, res: Response) => {
    const path = parseTilePath(req.path.replace(/^\//, ''));
    if (path.kind !== 'tilejson') throw new NotFoundError('no such resource');
    const resource = access?.policy.tileset(path.tilesetId);
    // Tile URLs carry the caller's ?token= only when it came that way; a header is never echoed.
    const caller = access && resource ? await access.authorize(req, res, resource, { action: 'tilejson.read', target: `tileset:${path.tilesetId}` }) : null;
    const { layers } = catalog().resolve(path.tilesetId);
    res.setHeader('Cache-Control', resource && resource.level !== 'public' ? 'private, no-cache' : 'no-cache');
    const tileJson = buildTileJson(publicBaseUrl(req, server), path.tilesetId, layers.map((layer) => layer.info));
    if (caller?.queryToken) {
      tileJson.tiles = tileJson.tiles.map((url) => withQueryToken(url, caller));
      tileJson.tile_matrix_sets = Object.fromEntries(Object.entries(tileJson.tile_matrix_sets).map(([grid, url]) => [grid, withQueryToken(url, caller)]));
    }
    res.json(tileJson);
  });
  return router;
}
