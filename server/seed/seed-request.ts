import { z } from 'zod';
import { BadRequestError } from '../../core/errors.js';
import { MAX_ZOOM, tileMatrixSets, WebMercatorQuad, type Bounds } from '../../core/grid/tile-matrix-set.js';
import { RASTER_FORMATS, type RasterFormat } from '../render/raster-tile-service.js';
import { bboxSchema } from '../cache/tile-selection.js';

/**
 * What to pre-compute (seed) or package (export): a tileset's vector tiles or a style's raster
 * tiles, over a bounding box or a county's outline, for a zoom range. Checked here, before any
 * I/O; whether the tileset, style or county exists is checked when the area is resolved.
 */
export interface SeedRequest {
  readonly target: { readonly kind: 'tileset' | 'style'; readonly id: string };
  readonly area: { readonly kind: 'bbox'; readonly bbox: Bounds } | { readonly kind: 'county'; readonly code: string };
  readonly minZoom: number;
  readonly maxZoom: number;
  /** Tile matrix set id; MBTiles exports are WebMercatorQuad only. */
  readonly grid: string;
  /** Raster only: image format and scale (2 for 512 px tiles). */
  readonly format: RasterFormat;
  readonly scale: 1 | 2;
}

const FIELDS = 'tileset | style, bbox | county, zooms, grid?, format?, scale?';

const zoom = z.number({ error: `must be an integer 0 to ${MAX_ZOOM}` }).int(`must be an integer 0 to ${MAX_ZOOM}`).min(0, `must be an integer 0 to ${MAX_ZOOM}`).max(MAX_ZOOM, `must be an integer 0 to ${MAX_ZOOM}`);

const requestSchema = z.strictObject({
  tileset: z.string({ error: 'must be a tileset id' }).min(1, 'must be a tileset id').optional(),
  style: z.string({ error: 'must be a style id' }).min(1, 'must be a style id').optional(),
  bbox: bboxSchema.optional(),
  county: z.string({ error: 'must be a six-digit county code' }).regex(/^\d{6}$/, 'must be a six-digit county code').optional(),
  zooms: z
    .tuple([zoom, zoom], { error: `must be [min, max] zoom levels, integers 0 to ${MAX_ZOOM}` })
    .refine(([min, max]) => min <= max, 'min zoom must not exceed max zoom'),
  grid: z.string({ error: 'must be a tile matrix set id' }).refine((id) => tileMatrixSets.has(id), `must be one of ${[...tileMatrixSets.keys()].join(', ')}`).optional(),
  format: z.enum(RASTER_FORMATS, { error: `must be one of ${RASTER_FORMATS.join(', ')}` }).optional(),
  scale: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 or 2' }).optional(),
});

/** Checks a JSON body (or query parameters turned into one); throws BadRequestError naming the field. */
export function parseSeedRequest(body: unknown): SeedRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError(`the request must be a JSON object {${FIELDS}}`);
  }
  const result = requestSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      throw new BadRequestError(`unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')} (fields: ${FIELDS})`);
    }
    const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('');
    throw new BadRequestError(`${path || 'body'}: ${path === 'zooms' && issue.code === 'invalid_type' ? 'is required: [min, max] zoom levels' : issue.message}`);
  }
  const { tileset, style, bbox, county, zooms, grid, format, scale } = result.data;
  if ((tileset === undefined) === (style === undefined)) throw new BadRequestError('tileset, style: give exactly one of them');
  if ((bbox === undefined) === (county === undefined)) throw new BadRequestError('bbox, county: give exactly one of them');
  if (tileset !== undefined && (format !== undefined || scale !== undefined)) {
    throw new BadRequestError(`${format !== undefined ? 'format' : 'scale'}: only for a style (vector tiles are always MVT)`);
  }
  return {
    target: tileset !== undefined ? { kind: 'tileset', id: tileset } : { kind: 'style', id: style! },
    area: bbox ? { kind: 'bbox', bbox } : { kind: 'county', code: county! },
    minZoom: zooms[0],
    maxZoom: zooms[1],
    grid: grid ?? WebMercatorQuad.id,
    format: format ?? 'png',
    scale: scale ?? 1,
  };
}

/**
 * Query parameters (`GET /admin/exports/mbtiles?tileset=landuse&county=371502&zooms=10,14`) as
 * the body `parseSeedRequest` checks: lists are comma-separated, numbers stay text that is not one.
 */
export function seedRequestFromQuery(query: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string') throw new BadRequestError(`${name}: give the parameter once`);
    if (name === 'bbox' || name === 'zooms') body[name] = value.split(',').map(numberOrText);
    else if (name === 'scale') body[name] = numberOrText(value);
    else body[name] = value;
  }
  return body;
}

function numberOrText(text: string): number | string {
  const trimmed = text.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : text;
}
