import { Router } from 'express';
import type { ServerConfig } from '../../core/config/schema.js';
import { cellSize, matrixHeight, matrixWidth, scaleDenominator, tileMatrixSets } from '../../core/grid/tile-matrix-set.js';
import { publicBaseUrl } from '../http/public-url.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import { withQueryToken, type AccessControl, type Caller } from '../access/access-control.js';
import { buildTileJson } from './tilejson.js';

/**
 * `GET /catalog`: every tileset served now that the caller may read (with its TileJSON and tile
 * URL templates, carrying the caller's `?token=` when it came that way) and the grids.
 */
export function createCatalogRouter({ server, catalog, access }: { server: ServerConfig; catalog: () => TilesetCatalog; access?: AccessControl }): Router {
  const router = Router();
  router.get('/catalog', async (req, res) => {
    const baseUrl = publicBaseUrl(req, server);
    const caller: Caller | null = access ? await access.caller(req, res) : null;
    const readable = (id: string) => !access || !caller || access.mayRead(caller, access.policy.tileset(id));
    const tokenized = (url: string) => (caller ? withQueryToken(url, caller) : url);
    res.setHeader('Cache-Control', 'no-cache');
    res.json({
      tilesets: catalog()
        .list()
        .filter(({ info }) => readable(info.id))
        .map(({ info }) => {
          const tileJson = buildTileJson(baseUrl, info.id, [info]);
          return {
            id: info.id,
            title: info.title,
            description: info.description,
            minzoom: info.minzoom,
            maxzoom: info.maxzoom,
            bounds: tileJson.bounds,
            fields: info.fields,
            dataVersion: info.dataVersion,
            access: access?.policy.tilesetLevel(info.id) ?? 'public',
            tilejson: tokenized(`${baseUrl}/tiles/${info.id}.json`),
            tiles: Object.fromEntries(Object.entries(tileJson.tile_matrix_sets).map(([grid, url]) => [grid, tokenized(url)])),
          };
        }),
      styles: [],
      tileMatrixSets: [...tileMatrixSets.values()].map((grid) => ({
        id: grid.id,
        title: grid.title,
        crs: grid.crsUri,
        tileSize: 256,
        levels: Array.from({ length: grid.maxZoom + 1 }, (_, z) => ({
          z,
          matrixWidth: matrixWidth(grid, z),
          matrixHeight: matrixHeight(grid, z),
          cellSize: cellSize(grid, z),
          scaleDenominator: scaleDenominator(grid, z),
        })),
      })),
    });
  });
  return router;
}
