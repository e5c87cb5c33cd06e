import { Router } from 'express';
import type { ServerConfig } from '../../core/config/schema.js';
import { cellSize, matrixHeight, matrixWidth, scaleDenominator, tileMatrixSets } from '../../core/grid/tile-matrix-set.js';
import { publicBaseUrl } from '../http/public-url.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import { buildTileJson } from './tilejson.js';

/** `GET /catalog`: every tileset served now (with its TileJSON and tile URL templates) and the grids. */
export function createCatalogRouter({ server, catalog }: { server: ServerConfig; catalog: () => TilesetCatalog }): Router {
  const router = Router();
  router.get('/catalog', (req, res) => {
    const baseUrl = publicBaseUrl(req, server);
    res.setHeader('Cache-Control', 'no-cache');
    res.json({
      tilesets: catalog()
        .list()
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
            tilejson: `${baseUrl}/tiles/${info.id}.json`,
            tiles: tileJson.tile_matrix_sets,
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
