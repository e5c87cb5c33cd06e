import type { TileCoord, TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import { privateCacheControl, type AccessControl } from '../access/access-control.js';
import type { ProtectedResource } from '../access/access-policy.js';
import { tileKeyId, type TileKey } from '../cache/tile-key.js';
import { VECTOR_TILE_FORMAT, type VectorTileKeys } from '../cache/vector-tile-keys.js';
import type { LayerSource, TilesetCatalog } from '../sources/tileset-catalog.js';
import type { TileSource } from '../sources/tile-source.js';

/**
 * What serving a tileset path (`landuse`, `landuse,county`) needs, worked out once per catalog
 * rather than per request: its source and layers, its access level, the namespace of its cache
 * keys (the live versions) and its Cache-Control. A cached tile then costs one string and one
 * lookup.
 */
export interface VectorTilePlan {
  readonly tilesetId: string;
  readonly source: TileSource;
  readonly layers: readonly LayerSource[];
  /** The access level of the path; undefined when the route runs without access control. */
  readonly resource: ProtectedResource | undefined;
  readonly cacheControl: string;
  /** The full key of a tile (misses, the shared tiers). */
  keyFor(grid: TileMatrixSet, tile: TileCoord): TileKey;
  /** Only the key's id, for the in-process tier's synchronous lookup. */
  keyIdFor(grid: TileMatrixSet, tile: TileCoord): string;
}

/**
 * Bounds the plans kept per catalog: paths come from requests, and composites can be listed in
 * many orders. Past the bound the memo starts afresh; plans are cheap to make again.
 */
const MAX_PLANS_PER_CATALOG = 512;

export class VectorTilePlans {
  /** Keyed by the catalog itself: a catalog rebuilt after a publish starts with no plans. */
  private readonly byCatalog = new WeakMap<TilesetCatalog, Map<string, VectorTilePlan>>();

  constructor(private readonly deps: { tileKeys: VectorTileKeys; access?: AccessControl | undefined }) {}

  /** The plan of a tileset path; throws what `catalog.resolve` throws (unknown, unpublished, repeated ids). */
  planFor(catalog: TilesetCatalog, tilesetId: string): VectorTilePlan {
    let plans = this.byCatalog.get(catalog);
    if (!plans) {
      plans = new Map();
      this.byCatalog.set(catalog, plans);
    }
    let plan = plans.get(tilesetId);
    if (!plan) {
      plan = this.makePlan(catalog, tilesetId);
      if (plans.size >= MAX_PLANS_PER_CATALOG) plans.clear();
      plans.set(tilesetId, plan);
    }
    return plan;
  }

  private makePlan(catalog: TilesetCatalog, tilesetId: string): VectorTilePlan {
    const { tileKeys, access } = this.deps;
    const { source, layers } = catalog.resolve(tilesetId);
    const resource = access?.policy.tileset(tilesetId);
    const sharedCacheControl = layers.map((layer) => layer.info.cacheControl).reduce(shortestCacheControl);
    // Made (and checked) once; every tile's key is then this namespace plus its address, which
    // parseTilePath has checked (grid ids are constants).
    const { namespace, versions } = tileKeys.namespaceFor(tilesetId, layers);
    return {
      tilesetId,
      source,
      layers,
      resource,
      cacheControl: resource && resource.level !== 'public' ? privateCacheControl(sharedCacheControl) : sharedCacheControl,
      keyFor: (grid, tile) => {
        const parts = { tileset: tilesetId, versions, grid: grid.id, z: tile.z, x: tile.x, y: tile.y, format: VECTOR_TILE_FORMAT, scale: 1 };
        return { ...parts, id: tileKeyId(namespace, parts), namespace };
      },
      keyIdFor: (grid, tile) => tileKeyId(namespace, { grid: grid.id, z: tile.z, x: tile.x, y: tile.y, format: VECTOR_TILE_FORMAT, scale: 1 }),
    };
  }
}

/** A composite tile is as fresh as its least cacheable member: the shortest max-age wins. */
function shortestCacheControl(a: string, b: string): string {
  return maxAge(b) < maxAge(a) ? b : a;
}

function maxAge(cacheControl: string): number {
  if (/no-store|no-cache/.test(cacheControl)) return -1;
  const match = /max-age=(\d+)/.exec(cacheControl);
  return match ? Number(match[1]) : Number.POSITIVE_INFINITY;
}
