import { RASTER_CONTENT_TYPES, RASTER_FORMATS, type RasterFormat } from '../render/raster-tile-service.js';
import { WmtsError } from './wmts-exception.js';
import { quoteRequestText, type WmtsRequest } from './wmts-request.js';

/** File extension of a RESTful tile URL (the raster format's own name) to its MIME type. */
export const FORMAT_OF_EXTENSION: ReadonlyMap<string, string> = new Map(
  RASTER_FORMATS.map((format: RasterFormat) => [format, RASTER_CONTENT_TYPES[format]]),
);

export const CAPABILITIES_FILE = 'WMTSCapabilities.xml';

/** Shape of a RESTful request, for the exception that names it. */
const REST_SHAPES = `${CAPABILITIES_FILE} or {layer}/{style}/{tileMatrixSet}/{tileMatrix}/{tileRow}/{tileCol}.{${RASTER_FORMATS.join('|')}}`;

/**
 * Parses the path below `/wmts/1.0.0/` (OGC 07-057r7 §10.2, resource templates as the
 * capabilities advertise them): `WMTSCapabilities.xml`, or
 * `{layer}/{style}/{tileMatrixSet}/{tileMatrix}/{tileRow}/{tileCol}.{ext}`.
 * A path of neither shape is not a WMTS resource: 404, reported as an ExceptionReport.
 */
export function parseRestRequest(rawPath: string): WmtsRequest {
  const segments = rawPath.replace(/^\//, '').split('/').map(decodeSegment);
  if (segments.length === 1 && segments[0] === CAPABILITIES_FILE) return { operation: 'GetCapabilities' };
  if (segments.length !== 6 || segments.some((segment) => segment === '')) {
    throw new WmtsError([{ code: 'NoApplicableCode', text: `no such WMTS resource; RESTful URLs below /wmts/1.0.0/ are ${REST_SHAPES}` }], { status: 404 });
  }
  const [layer, style, tileMatrixSet, tileMatrix, tileRow, last] = segments as [string, string, string, string, string, string];
  const dot = last.lastIndexOf('.');
  const extension = dot < 0 ? '' : last.slice(dot + 1);
  const format = FORMAT_OF_EXTENSION.get(extension);
  if (!format) {
    throw WmtsError.invalidParameter(
      'Format',
      `unsupported tile format ${quoteRequestText(extension)}; tiles end in ${[...FORMAT_OF_EXTENSION.keys()].map((ext) => `.${ext}`).join(', ')}`,
    );
  }
  return { operation: 'GetTile', layer, style, format, tileMatrixSet, tileMatrix, tileRow, tileCol: last.slice(0, dot) };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new WmtsError([{ code: 'NoApplicableCode', text: 'the path is not valid percent-encoded UTF-8' }], { status: 400 });
  }
}
