import {
  matrixHeight,
  matrixWidth,
  scaleDenominator,
  TILE_SIZE_PIXELS,
  WebMercatorQuad,
  type TileMatrixSet,
} from '../../core/grid/tile-matrix-set.js';
import { formatXmlNumber, xmlElement, xmlText, type XmlElement } from './xml-writer.js';

/**
 * Well-known scale sets (OGC 07-057r7 Annex E) our grids follow exactly. WebMercatorQuad's
 * scales are GoogleMapsCompatible's; CGCS2000Quad, whose level 0 is two tiles, matches none
 * (GoogleCRS84Quad's level 0 is one tile of 360 degrees), so it declares none.
 */
const WELL_KNOWN_SCALE_SETS: ReadonlyMap<string, string> = new Map([[WebMercatorQuad.id, 'urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible']]);

/** The CRS of a grid as WMTS 1.0.0 names it: `urn:ogc:def:crs:EPSG::4490`. */
export function crsUrn(grid: TileMatrixSet): string {
  return `urn:ogc:def:crs:EPSG::${grid.srid}`;
}

/**
 * Whether the CRS's first axis is northing. Every EPSG geographic 2D CRS (EPSG:4490 among
 * them) is latitude, longitude; the projected CRSs we serve (EPSG:3857) are easting, northing.
 * Grids in degrees are the geographic ones.
 */
export function isNorthingFirst(grid: TileMatrixSet): boolean {
  return grid.metresPerUnit !== 1;
}

/**
 * A `<TileMatrixSet>` of the capabilities (OGC 07-057r7 §7.2.4.6.1): levels 0 to `maxLevel`
 * of the grid with their scale denominators (0.28 mm pixels) and the top-left corner in the
 * CRS's own axis order: `90 -180` for CGCS2000Quad, `-20037508.34… 20037508.34…` for
 * WebMercatorQuad.
 *
 * Levels deeper than every layer's max zoom are left out: GDAL's WMTS driver takes the
 * deepest level of the set as full resolution whatever the layer's TileMatrixSetLimits say,
 * and would ask for tiles no layer has. (A subset of levels from 0 still conforms to the
 * well-known scale set.)
 */
export function tileMatrixSetElement(grid: TileMatrixSet, maxLevel: number = grid.maxZoom): XmlElement {
  const [originX, originY] = grid.origin;
  const topLeftCorner = isNorthingFirst(grid) ? [originY, originX] : [originX, originY];
  const wellKnownScaleSet = WELL_KNOWN_SCALE_SETS.get(grid.id);
  const levels: XmlElement[] = [];
  for (let z = 0; z <= Math.min(maxLevel, grid.maxZoom); z++) {
    levels.push(
      xmlElement(
        'TileMatrix',
        {},
        xmlText('ows:Identifier', String(z)),
        xmlText('ScaleDenominator', scaleDenominator(grid, z)),
        xmlText('TopLeftCorner', topLeftCorner.map(formatXmlNumber).join(' ')),
        xmlText('TileWidth', TILE_SIZE_PIXELS),
        xmlText('TileHeight', TILE_SIZE_PIXELS),
        xmlText('MatrixWidth', matrixWidth(grid, z)),
        xmlText('MatrixHeight', matrixHeight(grid, z)),
      ),
    );
  }
  return xmlElement(
    'TileMatrixSet',
    {},
    xmlText('ows:Title', grid.title),
    xmlText('ows:Identifier', grid.id),
    xmlText('ows:SupportedCRS', crsUrn(grid)),
    wellKnownScaleSet !== undefined && xmlText('WellKnownScaleSet', wellKnownScaleSet),
    ...levels,
  );
}
