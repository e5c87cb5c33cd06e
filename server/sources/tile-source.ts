import type { Bounds, TileCoord, TileMatrixSet } from '../../core/grid/tile-matrix-set.js';

/**
 * Something that makes vector tiles. The seam between routes and data: routes never see SQL,
 * sources never see requests.
 */
export interface TileSource {
  /** Tileset id as requested (a composite is its member ids joined by `,`). */
  readonly id: string;
  readonly minzoom: number;
  readonly maxzoom: number;
  /**
   * The encoded (uncompressed) MVT for one tile. Resolves null when the tile holds no feature;
   * rejects when the tile could not be made (never turns a failure into an empty tile).
   * Callers have checked that the tile lies in the grid and in [minzoom, maxzoom].
   */
  getTile(tile: TileCoord, grid: TileMatrixSet, signal?: AbortSignal): Promise<Buffer | null>;
}

/** What a client needs to know about one layer of a tileset (TileJSON vector_layers). */
export interface TileLayerInfo {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly minzoom: number;
  readonly maxzoom: number;
  /** Property name -> "String" | "Number" | "Boolean", in the configured order. */
  readonly fields: Readonly<Record<string, string>>;
  /** [west, south, east, north] in degrees (EPSG:4490), or null when the data is empty. */
  readonly bounds: Bounds | null;
  readonly cacheControl: string;
  /** The live version of the source dataset the tiles come from. */
  readonly dataVersion: number;
}
