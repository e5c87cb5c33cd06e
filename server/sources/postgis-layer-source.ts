import type { TilesetConfig } from '../../core/config/schema.js';
import type { Pool } from '../../core/db/pool.js';
import { queryWithSignal } from '../../core/db/query.js';
import { tileMatrixSets, type TileCoord, type TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import { buildMvtQuery, type MvtQuery } from './mvt-query.js';
import type { TileLayerInfo, TileSource } from './tile-source.js';

/** One configured tileset served by PostGIS ST_AsMVT, in every tile matrix set. */
export class PostgisLayerSource implements TileSource {
  readonly id: string;
  readonly minzoom: number;
  readonly maxzoom: number;
  readonly info: TileLayerInfo;
  private readonly pool: Pool;
  private readonly queries: ReadonlyMap<string, MvtQuery>;

  constructor(pool: Pool, tileset: TilesetConfig, info: TileLayerInfo) {
    this.pool = pool;
    this.id = tileset.id;
    this.minzoom = tileset.minzoom;
    this.maxzoom = tileset.maxzoom;
    this.info = info;
    // The version table, not the live view: the tile's content must be the version its cache key names.
    this.queries = new Map([...tileMatrixSets.values()].map((grid) => [grid.id, buildMvtQuery(tileset, grid, info.dataVersion)]));
  }

  async getTile(tile: TileCoord, grid: TileMatrixSet, signal?: AbortSignal): Promise<Buffer | null> {
    const query = this.queries.get(grid.id);
    if (!query) throw new Error(`tileset ${this.id} has no query for tile matrix set ${grid.id}`);
    const { rows } = await queryWithSignal<{ mvt: Buffer | null }>(this.pool, query.text, query.values(tile), {
      name: query.name,
      signal,
      what: `reading tile ${this.id}/${grid.id}/${tile.z}/${tile.x}/${tile.y}`,
    });
    const mvt = rows[0]?.mvt;
    return mvt && mvt.length > 0 ? mvt : null;
  }
}
