import type { Principal } from '../../core/auth/api-token.js';
import { ForbiddenError } from '../../core/auth/auth-errors.js';
import type { AppConfig } from '../../core/config/load-config.js';
import { BadRequestError } from '../../core/errors.js';
import type { Bounds, TileCoord, TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import { encodeTile, type CachedTile } from '../cache/cached-tile.js';
import type { TileCache } from '../cache/tile-cache.js';
import type { TileKey } from '../cache/tile-key.js';
import type { VectorTileKeys } from '../cache/vector-tile-keys.js';
import { CachedRasterTiles } from '../render/cached-raster-tiles.js';
import type { RasterFormat, RasterTileService } from '../render/raster-tile-service.js';
import type { TileLayerInfo } from '../sources/tile-source.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import type { StyleCatalog } from '../styles/style-catalog.js';
import type { SeedRequest } from './seed-request.js';

/**
 * What a seed run or export computes, resolved once against the live catalog: the cache key of
 * each tile and how to compute it. Keys carry the versions live at resolution, and the tile
 * statements read those versions' tables, so a publish during a long run cannot mix versions
 * under one key; the run simply finishes the version it started with.
 */
export interface SeedTarget {
  readonly kind: 'tileset' | 'style';
  readonly id: string;
  readonly title: string;
  /** The zooms the target has tiles at. */
  readonly minzoom: number;
  readonly maxzoom: number;
  /** Union of the data bounds (degrees), or null when unknown. */
  readonly bounds: Bounds | null;
  /** MBTiles `format`: pbf for vector tiles, else the image format. */
  readonly format: 'pbf' | RasterFormat;
  /** Vector layers, for MBTiles `json` (empty for a style). */
  readonly layers: readonly TileLayerInfo[];
  /** Greatest live version among the datasets, for MBTiles `version`. */
  readonly dataVersion: number;
  /** Configured datasets the tiles are made of, with their county (permissions). */
  readonly datasets: readonly { readonly id: string; readonly countyCode?: string | undefined }[];
  keyFor(tile: TileCoord, grid: TileMatrixSet): TileKey;
  compute(tile: TileCoord, grid: TileMatrixSet, signal: AbortSignal): Promise<CachedTile>;
}

export interface SeedTargetDeps {
  readonly config: AppConfig;
  /** Read once per resolution: the live catalog. */
  readonly catalog: () => TilesetCatalog;
  readonly tileKeys: VectorTileKeys;
  readonly styles?: StyleCatalog | undefined;
  /** The renderer itself, not the cached service: a seed run stores the image under the route's key. */
  readonly raster?: RasterTileService | undefined;
  readonly tileCache: TileCache;
}

/** Resolves the request's tileset or style; NotFoundError (404) for one that is unknown or unpublished. */
export function resolveSeedTarget(request: SeedRequest, deps: SeedTargetDeps): SeedTarget {
  const target = request.target.kind === 'tileset' ? vectorTarget(request.target.id, deps) : rasterTarget(request, deps);
  if (request.maxZoom < target.minzoom || request.minZoom > target.maxzoom) {
    throw new BadRequestError(`zooms: [${request.minZoom}, ${request.maxZoom}] is outside ${target.kind} "${target.id}" (zoom ${target.minzoom} to ${target.maxzoom})`);
  }
  return target;
}

function vectorTarget(tilesetId: string, { config, catalog, tileKeys }: SeedTargetDeps): SeedTarget {
  const { source, layers } = catalog().resolve(tilesetId);
  const gzipLevel = config.cache.gzipLevel;
  return {
    kind: 'tileset',
    id: tilesetId,
    title: layers.map((layer) => layer.info.title).join(' + '),
    minzoom: source.minzoom,
    maxzoom: source.maxzoom,
    bounds: unionBounds(layers.map((layer) => layer.info.bounds)),
    format: 'pbf',
    layers: layers.map((layer) => layer.info),
    dataVersion: Math.max(...layers.map((layer) => layer.info.dataVersion)),
    datasets: datasetsOf(config, layers.map((layer) => layer.id)),
    keyFor: (tile, grid) => tileKeys.keyFor(tilesetId, layers, grid, tile),
    compute: async (tile, grid, signal) => encodeTile(await source.getTile(tile, grid, signal), { gzipLevel }),
  };
}

function rasterTarget(request: SeedRequest, { config, catalog, tileKeys, styles, raster, tileCache }: SeedTargetDeps): SeedTarget {
  if (!styles || !raster) throw new BadRequestError('style: this server renders no raster tiles');
  const style = styles.get(request.target.id);
  const served = new Map(catalog().list().map((layer) => [layer.id, layer]));
  // The keys of the raster route (/styles, WMTS), so that seeded images are its cache hits.
  const routeKeys = new CachedRasterTiles({ renderer: raster, tileCache, tileKeys, styles, catalog });
  const { format, scale } = request;
  return {
    kind: 'style',
    id: style.id,
    title: style.name,
    minzoom: style.minzoom,
    maxzoom: style.maxzoom,
    bounds: style.bounds,
    format,
    layers: [],
    dataVersion: Math.max(0, ...style.sourceTilesets.map((id) => served.get(id)?.info.dataVersion ?? 0)),
    datasets: datasetsOf(config, style.sourceTilesets),
    keyFor: (tile, grid) => routeKeys.keyFor(style, tile, grid, { format, scale }),
    compute: async (tile, grid, signal) => encodeTile(await raster.render(style.id, tile, grid, { format, scale }, signal), { gzipLevel: null }),
  };
}

function datasetsOf(config: AppConfig, tilesetIds: readonly string[]): SeedTarget['datasets'] {
  const datasetIds = new Set(tilesetIds.flatMap((id) => config.tilesets.find((tileset) => tileset.id === id)?.source ?? []));
  return [...datasetIds].map((id) => ({ id, countyCode: config.datasets.find((dataset) => dataset.id === id)?.countyCode }));
}

function unionBounds(all: readonly (Bounds | null)[]): Bounds | null {
  const present = all.filter((bounds): bounds is Bounds => bounds !== null);
  if (present.length === 0) return null;
  return [
    Math.min(...present.map((b) => b[0])), Math.min(...present.map((b) => b[1])),
    Math.max(...present.map((b) => b[2])), Math.max(...present.map((b) => b[3])),
  ];
}

/**
 * Admins seed and export anything. Editors act on their counties only: the area must be one
 * of their counties (a bbox may reach into others), and every dataset of the target that
 * belongs to a county must be one of theirs (city-wide datasets are fine within their county).
 */
export function requireSeedPermission(principal: Principal, request: SeedRequest, target: SeedTarget): void {
  if (principal.role === 'admin') return;
  if (principal.role !== 'editor') throw new ForbiddenError(`token ${principal.tokenId} (${principal.role}) may not seed or export`);
  const counties = principal.countyCodes.join(', ') || 'none';
  if (request.area.kind !== 'county') {
    throw new ForbiddenError(`token ${principal.tokenId} is an editor of counties ${counties}: give "county" instead of a bbox`);
  }
  if (!principal.countyCodes.includes(request.area.code)) {
    throw new ForbiddenError(`token ${principal.tokenId} may act on counties ${counties}, not ${request.area.code}`);
  }
  for (const dataset of target.datasets) {
    if (dataset.countyCode !== undefined && !principal.countyCodes.includes(dataset.countyCode)) {
      throw new ForbiddenError(`token ${principal.tokenId} may act on counties ${counties}; dataset "${dataset.id}" belongs to ${dataset.countyCode}`);
    }
  }
}
