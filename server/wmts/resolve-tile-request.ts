import { tileMatrixSets, type Bounds, type TileCoord, type TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import { RASTER_CONTENT_TYPES, RASTER_FORMATS, type RasterFormat } from '../render/raster-tile-service.js';
import { levelTileMatrixLimits } from './tile-matrix-limits.js';
import { WmtsError } from './wmts-exception.js';
import { DEFAULT_STYLE, quoteRequestText, type GetTileRequest } from './wmts-request.js';

/** What WMTS needs of a layer; a style of the style catalog (StyleInfo) is one. */
export interface WmtsLayer {
  /** The layer's ows:Identifier: the style id. */
  readonly id: string;
  readonly name: string;
  /** [west, south, east, north] in degrees, or null when the layer has no data yet. */
  readonly bounds: Bounds | null;
  readonly minzoom: number;
  readonly maxzoom: number;
}

/** A GetTile request checked against the layers and grids, ready to render. */
export interface ResolvedTileRequest {
  readonly layer: WmtsLayer;
  readonly grid: TileMatrixSet;
  readonly tile: TileCoord;
  readonly format: RasterFormat;
}

/** MIME type (the WMTS Format) to raster format. */
const FORMAT_OF_MIME_TYPE: ReadonlyMap<string, RasterFormat> = new Map(RASTER_FORMATS.map((format) => [RASTER_CONTENT_TYPES[format], format]));

/** TileMatrix identifiers are the zoom levels written plainly: `0`, `1`, ... `24`. */
const TILE_MATRIX_PATTERN = /^(0|[1-9][0-9]?)$/;
/** Rows and columns are integers; a negative one is out of range rather than malformed. */
const INDEX_PATTERN = /^-?[0-9]{1,16}$/;

/**
 * Checks a GetTile request in the order of OGC 07-057r7 Table 22 and answers the exception
 * its first fault calls for: InvalidParameterValue for an unknown layer, style, format, tile
 * matrix set or tile matrix, or a row/column that is not an integer; TileOutOfRange for a
 * level outside the layer's zoom range or a row/column outside its TileMatrixLimits.
 */
export function resolveTileRequest(request: GetTileRequest, layers: readonly WmtsLayer[]): ResolvedTileRequest {
  const layer = layers.find((candidate) => candidate.id === request.layer);
  if (!layer) {
    throw WmtsError.invalidParameter('Layer', `unknown layer ${quoteRequestText(request.layer)} (layers: ${layers.map((l) => l.id).join(', ') || 'none'})`);
  }
  if (request.style !== DEFAULT_STYLE) {
    throw WmtsError.invalidParameter('Style', `unknown style ${quoteRequestText(request.style)} of layer "${layer.id}" (styles: ${DEFAULT_STYLE})`);
  }
  const format = FORMAT_OF_MIME_TYPE.get(request.format);
  if (!format) {
    throw WmtsError.invalidParameter('Format', `unsupported format ${quoteRequestText(request.format)} (formats: ${[...FORMAT_OF_MIME_TYPE.keys()].join(', ')})`);
  }
  const grid = tileMatrixSets.get(request.tileMatrixSet);
  if (!grid) {
    throw WmtsError.invalidParameter(
      'TileMatrixSet',
      `unknown tile matrix set ${quoteRequestText(request.tileMatrixSet)} (tile matrix sets: ${[...tileMatrixSets.keys()].join(', ')})`,
    );
  }
  const z = TILE_MATRIX_PATTERN.test(request.tileMatrix) ? Number(request.tileMatrix) : -1;
  if (z < 0 || z > grid.maxZoom) {
    throw WmtsError.invalidParameter('TileMatrix', `unknown tile matrix ${quoteRequestText(request.tileMatrix)} of ${grid.id} (tile matrices: 0 to ${grid.maxZoom})`);
  }
  const row = parseIndex('TileRow', request.tileRow);
  const col = parseIndex('TileCol', request.tileCol);
  const limits = levelTileMatrixLimits(grid, layer, z);
  if (!limits) {
    throw WmtsError.tileOutOfRange('TileMatrix', `layer "${layer.id}" has tile matrices ${layer.minzoom} to ${layer.maxzoom} of ${grid.id}, not ${z}`);
  }
  if (row < limits.minRow || row > limits.maxRow) {
    throw WmtsError.tileOutOfRange('TileRow', `TileRow ${row} is outside ${limits.minRow} to ${limits.maxRow} (layer "${layer.id}", ${grid.id} tile matrix ${z})`);
  }
  if (col < limits.minCol || col > limits.maxCol) {
    throw WmtsError.tileOutOfRange('TileCol', `TileCol ${col} is outside ${limits.minCol} to ${limits.maxCol} (layer "${layer.id}", ${grid.id} tile matrix ${z})`);
  }
  return { layer, grid, tile: { z, x: col, y: row }, format };
}

function parseIndex(name: 'TileRow' | 'TileCol', text: string): number {
  if (!INDEX_PATTERN.test(text)) throw WmtsError.invalidParameter(name, `${name} ${quoteRequestText(text)} is not an integer`);
  return Number(text);
}
