import { hash } from 'node:crypto';
import type { AppConfig } from '../../core/config/load-config.js';
import type { TilesetConfig } from '../../core/config/schema.js';
import type { Pool } from '../../core/db/pool.js';
import type { TileCoord, TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import type { TileLayerInfo } from '../sources/tile-source.js';
import { buildNamespace, buildTileKey, parseNamespace, type TileKey } from './tile-key.js';

/** A served layer as the catalog has it: its tileset id and the live version it serves. */
export interface VersionedLayer {
  readonly id: string;
  readonly info: Pick<TileLayerInfo, 'dataVersion'>;
}

/** `v{dataset version}-{configuration hash}`, one per member tileset of a vector tile key. */
const VERSION_TOKEN = /^v(\d+)-([0-9a-f]{8})$/;

export const VECTOR_TILE_FORMAT = 'mvt';

/**
 * Cache keys of vector tiles. Each member tileset contributes `v{N}-{hash}`: N is the live
 * version of its dataset as the catalog has it (TileLayerInfo.dataVersion), so a rebuilt
 * catalog after a publish or rollback means new keys; the hash covers the tileset's
 * configuration that shapes the tile bytes (dataset, columns, extent, buffer), so changing
 * the configuration and restarting never serves tiles cut the old way from the disk tier.
 */
export class VectorTileKeys {
  private readonly tilesets: ReadonlyMap<string, { dataset: string; configHash: string }>;

  constructor(config: Pick<AppConfig, 'tilesets'>) {
    this.tilesets = new Map(config.tilesets.map((tileset) => [tileset.id, { dataset: tileset.source, configHash: configHash(tileset) }]));
  }

  /** The key of a tile of `tilesetId` (one id, or a composite) made of these layers, in order. */
  keyFor(tilesetId: string, layers: readonly VersionedLayer[], grid: TileMatrixSet, tile: TileCoord): TileKey {
    return buildTileKey({
      tileset: tilesetId,
      versions: this.versionTokens(layers),
      grid: grid.id,
      z: tile.z,
      x: tile.x,
      y: tile.y,
      format: VECTOR_TILE_FORMAT,
      scale: 1,
    });
  }

  /**
   * The namespace shared by every tile of `tilesetId` made of these layers, with its version
   * tokens: what a tile's key adds its address to (server/routes/vector-tile-plans.ts).
   */
  namespaceFor(tilesetId: string, layers: readonly VersionedLayer[]): { namespace: string; versions: readonly string[] } {
    const versions = this.versionTokens(layers);
    return { namespace: buildNamespace(tilesetId, versions), versions };
  }

  private versionTokens(layers: readonly VersionedLayer[]): string[] {
    return layers.map((layer) => this.versionToken(layer));
  }

  /** The token of one layer as it is served now. */
  versionToken(layer: VersionedLayer): string {
    const tileset = this.tilesets.get(layer.id);
    if (!tileset) throw new Error(`tileset "${layer.id}" is not in the configuration`);
    return `v${layer.info.dataVersion}-${tileset.configHash}`;
  }

  /**
   * Whether a namespace holds vector tiles that can never be served again: a member's
   * dataset has another live version (or none), or its configuration changed. Namespaces
   * that are not vector tiles of configured tilesets (raster styles, removed tilesets) are not
   * judged here: false.
   */
  isStale(namespace: string, liveVersions: ReadonlyMap<string, number>): boolean {
    const parts = parseNamespace(namespace);
    if (!parts) return false;
    const members = parts.tileset.split(',');
    if (members.length !== parts.versions.length) return false;
    let stale = false;
    for (let i = 0; i < members.length; i++) {
      const judged = this.isStaleToken(members[i]!, parts.versions[i]!, liveVersions);
      if (judged === null) return false;
      if (judged) stale = true;
    }
    return stale;
  }

  /**
   * Whether one member's token (`v3-1a2b3c4d`, or `none` for a tileset that had no data) is
   * no longer what the tileset serves: another live version (or, for `none`, any live version
   * now), or another configuration. Null when it cannot be judged: a tileset not configured, a
   * token of another shape.
   */
  isStaleToken(tilesetId: string, token: string, liveVersions: ReadonlyMap<string, number>): boolean | null {
    const tileset = this.tilesets.get(tilesetId);
    if (!tileset) return null;
    if (token === NO_DATA_TOKEN) return liveVersions.has(tileset.dataset);
    const match = VERSION_TOKEN.exec(token);
    if (!match) return null;
    return Number(match[1]) !== liveVersions.get(tileset.dataset) || match[2] !== tileset.configHash;
  }
}

/** The token of a tileset without data yet (raster keys, server/render/cached-raster-tiles.ts). */
export const NO_DATA_TOKEN = 'none';

/** The live version of every published dataset, read from the database (not from a catalog that may lag). */
export async function readLiveVersions(pool: Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ id: string; live_version: number }>(
    'SELECT id, live_version FROM meta.datasets WHERE live_version IS NOT NULL',
  );
  return new Map(rows.map((row) => [row.id, row.live_version]));
}

function configHash(tileset: TilesetConfig): string {
  const shape = [tileset.source, tileset.geometryColumn, tileset.idColumn, tileset.properties, tileset.extent, tileset.buffer];
  return hash('sha1', JSON.stringify(shape), 'hex').slice(0, 8);
}
