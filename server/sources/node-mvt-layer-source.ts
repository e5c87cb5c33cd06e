import type { Geometry } from 'geojson';
import type { TilesetConfig } from '../../core/config/schema.js';
import type { Pool } from '../../core/db/pool.js';
import { queryWithSignal } from '../../core/db/query.js';
import { tileMatrixSets, type TileCoord, type TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import { encodeLayer, type TileSpaceFeature } from './node-mvt-encoder.js';
import { buildNodeMvtQuery, type NodeMvtQuery } from './node-mvt-query.js';
import type { TileLayerInfo, TileSource } from './tile-source.js';

type Row = { id: number; geojson: string } & Record<string, string | number | boolean | null>;

/**
 * One configured tileset encoded in Node (geojson-vt + vt-pbf) from geometries PostGIS clips
 * per tile: the encoder for a PostGIS without ST_AsMVT (the embedded PGlite). Same layer name,
 * properties, feature ids, extent and buffer as the ST_AsMVT source (postgis-layer-source.ts).
 *
 * Statements are not named (not prepared per connection): the embedded database is one
 * session shared by the pool, and PGlite gains nothing from a cached plan here.
 */
export class NodeMvtLayerSource implements TileSource {
  readonly id: string;
  readonly minzoom: number;
  readonly maxzoom: number;
  readonly info: TileLayerInfo;
  private readonly pool: Pool;
  private readonly tileset: TilesetConfig;
  private readonly queries: ReadonlyMap<string, NodeMvtQuery>;

  constructor(pool: Pool, tileset: TilesetConfig, info: TileLayerInfo) {
    this.pool = pool;
    this.tileset = tileset;
    this.id = tileset.id;
    this.minzoom = tileset.minzoom;
    this.maxzoom = tileset.maxzoom;
    this.info = info;
    // The version table, not the live view: the tile's content must be the version its cache key names.
    this.queries = new Map([...tileMatrixSets.values()].map((grid) => [grid.id, buildNodeMvtQuery(tileset, grid, info.fields, info.dataVersion)]));
  }

  async getTile(tile: TileCoord, grid: TileMatrixSet, signal?: AbortSignal): Promise<Buffer | null> {
    const query = this.queries.get(grid.id);
    if (!query) throw new Error(`tileset ${this.id} has no query for tile matrix set ${grid.id}`);
    const { rows } = await queryWithSignal<Row>(this.pool, query.text, query.values(tile), {
      signal,
      what: `reading tile ${this.id}/${grid.id}/${tile.z}/${tile.x}/${tile.y}`,
    });
    signal?.throwIfAborted();
    const features: TileSpaceFeature[] = rows.map((row) => ({
      id: row.id,
      geometry: JSON.parse(row.geojson) as Geometry,
      properties: Object.fromEntries(this.tileset.properties.map((column) => [column, row[column] ?? null])),
    }));
    return encodeLayer(features, { name: this.tileset.id, extent: this.tileset.extent, buffer: this.tileset.buffer });
  }
}
