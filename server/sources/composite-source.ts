import type { TileCoord, TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import type { TileSource } from './tile-source.js';

/**
 * Several tilesets in one tile: each member's layer, in request order. MVT layers are
 * independent protobuf messages, so concatenating encoded member tiles is a valid tile.
 * Members outside their own zoom range at this zoom contribute nothing.
 */
export class CompositeSource implements TileSource {
  readonly id: string;
  readonly minzoom: number;
  readonly maxzoom: number;
  readonly members: readonly TileSource[];

  constructor(members: readonly TileSource[]) {
    this.members = members;
    this.id = members.map((member) => member.id).join(',');
    this.minzoom = Math.min(...members.map((member) => member.minzoom));
    this.maxzoom = Math.max(...members.map((member) => member.maxzoom));
  }

  async getTile(tile: TileCoord, grid: TileMatrixSet, signal?: AbortSignal): Promise<Buffer | null> {
    const inRange = this.members.filter((member) => tile.z >= member.minzoom && tile.z <= member.maxzoom);
    const parts = await Promise.all(inRange.map((member) => member.getTile(tile, grid, signal)));
    const present = parts.filter((part): part is Buffer => part !== null);
    return present.length > 0 ? Buffer.concat(present) : null;
  }
}
