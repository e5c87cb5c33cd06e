import { z } from 'zod';
import { BadRequestError } from '../../core/errors.js';
import { MAX_ZOOM, tileAtPoint, tileMatrixSets, type Bounds, type TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import type { TileKey } from './tile-key.js';

/** Tile columns and rows of one zoom level, inclusive. */
export interface TileRange {
  readonly minX: number;
  readonly maxX: number;
  readonly minY: number;
  readonly maxY: number;
}

export interface TileSelectionInput {
  /** A tileset id: its own tiles and every composite tile it is a member of. */
  readonly tileset: string;
  /** [west, south, east, north] in degrees (EPSG:4490 / WGS 84); absent: the whole world. */
  readonly bbox?: Bounds;
  /** [min, max] zoom, inclusive; absent: every zoom. */
  readonly zooms?: readonly [number, number];
}

/** Web Mercator stops at the latitude where the square world ends. */
const MERCATOR_MAX_LATITUDE = 85.0511287798066;
const EARTH_RADIUS_METRES = 6378137;

/** The tiles a purge removes: of one tileset (also inside composites), optionally in an area and zoom range. */
export class TileSelection {
  readonly tileset: string;
  readonly bbox: Bounds | null;
  readonly minZoom: number;
  readonly maxZoom: number;
  private readonly ranges = new Map<string, TileRange | null>();

  constructor({ tileset, bbox, zooms }: TileSelectionInput) {
    this.tileset = tileset;
    this.bbox = bbox ?? null;
    this.minZoom = zooms?.[0] ?? 0;
    this.maxZoom = zooms?.[1] ?? MAX_ZOOM;
  }

  /** `{tileset}` part of a key or namespace: the tileset itself or a composite holding it. */
  matchesTileset(tilesetPart: string): boolean {
    return tilesetPart === this.tileset || tilesetPart.split(',').includes(this.tileset);
  }

  includesZoom(z: number): boolean {
    return z >= this.minZoom && z <= this.maxZoom;
  }

  /**
   * The tiles of the bbox at zoom z in a grid, or null when every tile of the level is
   * selected (no bbox, or a grid this module does not know, where purging more is the safe side).
   */
  tileRange(gridId: string, z: number): TileRange | null {
    if (!this.bbox) return null;
    const memo = `${gridId}/${z}`;
    if (!this.ranges.has(memo)) {
      const grid = tileMatrixSets.get(gridId);
      this.ranges.set(memo, grid ? bboxTileRange(grid, z, this.bbox) : null);
    }
    return this.ranges.get(memo)!;
  }

  matchesTile(gridId: string, z: number, x: number, y: number): boolean {
    if (!this.includesZoom(z)) return false;
    const range = this.tileRange(gridId, z);
    return !range || (x >= range.minX && x <= range.maxX && y >= range.minY && y <= range.maxY);
  }

  matchesKey(key: TileKey): boolean {
    return this.matchesTileset(key.tileset) && this.matchesTile(key.grid, key.z, key.x, key.y);
  }
}

/** Tiles at zoom z touching a bbox given in degrees. */
export function bboxTileRange(grid: TileMatrixSet, z: number, [west, south, east, north]: Bounds): TileRange {
  const [minX, maxY] = project(grid, west, north);
  const [maxX, minY] = project(grid, east, south);
  const topLeft = tileAtPoint(grid, z, minX, maxY);
  const bottomRight = tileAtPoint(grid, z, maxX, minY);
  return { minX: topLeft.x, maxX: bottomRight.x, minY: topLeft.y, maxY: bottomRight.y };
}

function project(grid: TileMatrixSet, longitude: number, latitude: number): [number, number] {
  if (grid.srid !== 3857) return [longitude, latitude];
  const clamped = Math.max(-MERCATOR_MAX_LATITUDE, Math.min(MERCATOR_MAX_LATITUDE, latitude));
  const x = (EARTH_RADIUS_METRES * Math.PI * longitude) / 180;
  const y = EARTH_RADIUS_METRES * Math.log(Math.tan(Math.PI / 4 + (clamped * Math.PI) / 360));
  return [x, y];
}

const finite = z.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be a finite number');

/** `[west, south, east, north]` in degrees, each problem named (purge and seed requests). */
export const bboxSchema = z
  .tuple([finite, finite, finite, finite], { error: 'must be [west, south, east, north] in degrees' })
  .superRefine(([west, south, east, north], ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (west < -180 || west > 180 || east < -180 || east > 180) fail('west and east must lie in [-180, 180] degrees');
    else if (south < -90 || south > 90 || north < -90 || north > 90) fail('south and north must lie in [-90, 90] degrees');
    else if (west >= east) fail(`west (${west}) must be less than east (${east})`);
    else if (south >= north) fail(`south (${south}) must be less than north (${north})`);
  });

const purgeBodySchema = z.strictObject({
  tileset: z.string({ error: 'is required: a tileset id' }),
  bbox: bboxSchema.optional(),
  zooms: z
    .tuple([z.number().int().min(0).max(MAX_ZOOM), z.number().int().min(0).max(MAX_ZOOM)], {
      error: `must be [min, max] zoom levels, integers 0 to ${MAX_ZOOM}`,
    })
    .refine(([min, max]) => min <= max, 'min zoom must not exceed max zoom')
    .optional(),
});

/**
 * The body of `POST /admin/cache/purge`, checked: `{tileset, bbox?, zooms?}`. Throws
 * BadRequestError naming the field (`bbox[2]`, `zooms`, `tileset`).
 */
export function parsePurgeRequest(body: unknown, configuredTilesets: readonly string[]): TileSelection {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('the request body must be a JSON object {"tileset": ..., "bbox"?: [w, s, e, n], "zooms"?: [min, max]}');
  }
  const result = purgeBodySchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      throw new BadRequestError(`unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')} (fields: tileset, bbox, zooms)`);
    }
    const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('').replace(/^\.?/, '');
    throw new BadRequestError(`${path || 'body'}: ${issue.message}`);
  }
  const { tileset, bbox, zooms } = result.data;
  if (!configuredTilesets.includes(tileset)) {
    throw new BadRequestError(`tileset: unknown tileset "${tileset.slice(0, 60)}" (configured: ${configuredTilesets.join(', ') || 'none'})`);
  }
  return new TileSelection({ tileset, ...(bbox ? { bbox } : {}), ...(zooms ? { zooms } : {}) });
}
