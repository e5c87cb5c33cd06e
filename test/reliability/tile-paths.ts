import type { Pool } from '../../core/db/pool.js';
import { CGCS2000Quad, WebMercatorQuad } from '../../core/grid/tile-matrix-set.js';
import { tilesAroundParcels } from '../support/tile-expectations.js';

/**
 * Tile paths around the sample's parcels at z14 to z16 in both grids, landuse and county, in a
 * fixed order: distinct tiles, so that each is computed on its first read and cached after.
 */
export async function reliabilityTilePaths(pool: Pool, perZoom: number): Promise<string[]> {
  const paths: string[] = [];
  for (const z of [14, 15, 16]) {
    for (const tile of await tilesAroundParcels(pool, WebMercatorQuad, z, perZoom)) {
      paths.push(`/tiles/landuse/${z}/${tile.x}/${tile.y}.mvt`, `/tiles/county/${z}/${tile.x}/${tile.y}.mvt`);
    }
    for (const tile of await tilesAroundParcels(pool, CGCS2000Quad, z, perZoom)) paths.push(`/tiles/landuse/CGCS2000Quad/${z}/${tile.x}/${tile.y}.mvt`);
  }
  return paths;
}
