import { tileMatrixSets, type TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import { RASTER_CONTENT_TYPES, RASTER_FORMATS } from '../render/raster-tile-service.js';
import type { WmtsLayer } from './resolve-tile-request.js';
import { CAPABILITIES_FILE } from './rest-request.js';
import { layerTileMatrixLimits } from './tile-matrix-limits.js';
import { tileMatrixSetElement } from './tile-matrix-set-xml.js';
import { OWS_NAMESPACE } from './wmts-exception.js';
import { DEFAULT_STYLE, WMTS_VERSION } from './wmts-request.js';
import { formatXmlNumber, serializeXmlDocument, xmlElement, xmlText, type XmlElement } from './xml-writer.js';

const WMTS_NAMESPACE = 'http://www.opengis.net/wmts/1.0';

/** Where clients reach the service; every URL in the document is absolute. */
export interface WmtsUrls {
  /** The server's public URL, without a trailing slash (server/http/public-url.ts). */
  readonly baseUrl: string;
  /**
   * Query parameters every advertised URL carries, already encoded (`token=abc`), or '' for
   * none: lets a client that was given a URL with an access token keep sending it.
   */
  readonly query: string;
}

/** Title and provider of the service (ServiceIdentification, ServiceProvider). */
export interface WmtsServiceDescription {
  readonly title: string;
  readonly abstract: string;
  readonly providerName: string;
}

export const DEFAULT_SERVICE_DESCRIPTION: WmtsServiceDescription = {
  title: 'planmap WMTS: 国土空间规划一张图',
  abstract: 'Land-use survey and territorial planning maps, each style a layer, in WebMercatorQuad (EPSG:3857) and CGCS2000Quad (EPSG:4490).',
  providerName: 'planmap',
};

/** The prefix of KVP requests: it ends in `?` or `&`, as OGC 06-121r3 §7.2.3 has it. */
export function kvpEndpoint({ baseUrl, query }: WmtsUrls): string {
  return query === '' ? `${baseUrl}/wmts?` : `${baseUrl}/wmts?${query}&`;
}

export function restCapabilitiesUrl({ baseUrl, query }: WmtsUrls): string {
  return `${baseUrl}/wmts/${WMTS_VERSION}/${CAPABILITIES_FILE}${query === '' ? '' : `?${query}`}`;
}

/** The RESTful tile template of a layer and extension (OGC 07-057r7 §10.2.1 ResourceURL). */
export function tileUrlTemplate({ baseUrl, query }: WmtsUrls, layerId: string, extension: string): string {
  const path = `${baseUrl}/wmts/${WMTS_VERSION}/${encodeURIComponent(layerId)}/${DEFAULT_STYLE}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.${extension}`;
  return query === '' ? path : `${path}?${query}`;
}

/**
 * The GetCapabilities response (OGC 07-057r7 §7.1, wmtsGetCapabilities_response.xsd): one
 * layer per style, both tile matrix sets, and both encodings (KVP and RESTful) of every
 * operation.
 */
export function buildCapabilitiesDocument(
  layers: readonly WmtsLayer[],
  urls: WmtsUrls,
  service: WmtsServiceDescription = DEFAULT_SERVICE_DESCRIPTION,
): string {
  const grids = [...tileMatrixSets.values()];
  return serializeXmlDocument(
    xmlElement(
      'Capabilities',
      {
        xmlns: WMTS_NAMESPACE,
        'xmlns:ows': OWS_NAMESPACE,
        'xmlns:xlink': 'http://www.w3.org/1999/xlink',
        'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
        'xsi:schemaLocation': `${WMTS_NAMESPACE} http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd`,
        version: WMTS_VERSION,
      },
      xmlElement(
        'ows:ServiceIdentification',
        {},
        xmlText('ows:Title', service.title),
        xmlText('ows:Abstract', service.abstract),
        xmlText('ows:ServiceType', 'OGC WMTS'),
        xmlText('ows:ServiceTypeVersion', WMTS_VERSION),
      ),
      xmlElement(
        'ows:ServiceProvider',
        {},
        xmlText('ows:ProviderName', service.providerName),
        xmlElement('ows:ProviderSite', { 'xlink:href': urls.baseUrl }),
        xmlElement('ows:ServiceContact'),
      ),
      xmlElement('ows:OperationsMetadata', {}, operationElement('GetCapabilities', urls), operationElement('GetTile', urls)),
      xmlElement(
        'Contents',
        {},
        ...layers.map((layer) => layerElement(layer, grids, urls)),
        ...grids.map((grid) => tileMatrixSetElement(grid, deepestLevel(layers, grid))),
      ),
      xmlElement('ServiceMetadataURL', { 'xlink:href': restCapabilitiesUrl(urls) }),
    ),
  );
}

/** The deepest level any layer offers in the grid (0 when there is no layer). */
function deepestLevel(layers: readonly WmtsLayer[], grid: TileMatrixSet): number {
  return Math.max(0, ...layers.map((layer) => Math.min(layer.maxzoom, grid.maxZoom)));
}

/**
 * An operation with its two HTTP GET encodings. Clients pick by the GetEncoding constraint:
 * KVP to the `/wmts?` prefix, RESTful to the capabilities file or the layers' ResourceURLs.
 */
function operationElement(name: 'GetCapabilities' | 'GetTile', urls: WmtsUrls): XmlElement {
  const restHref = name === 'GetCapabilities' ? restCapabilitiesUrl(urls) : `${urls.baseUrl}/wmts/${WMTS_VERSION}/`;
  return xmlElement(
    'ows:Operation',
    { name },
    xmlElement(
      'ows:DCP',
      {},
      xmlElement('ows:HTTP', {}, encodingElement(kvpEndpoint(urls), 'KVP'), encodingElement(restHref, 'RESTful')),
    ),
  );
}

function encodingElement(href: string, encoding: 'KVP' | 'RESTful'): XmlElement {
  return xmlElement(
    'ows:Get',
    { 'xlink:href': href },
    xmlElement('ows:Constraint', { name: 'GetEncoding' }, xmlElement('ows:AllowedValues', {}, xmlText('ows:Value', encoding))),
  );
}

/**
 * A `<Layer>` (OGC 07-057r7 §7.2.4.5), its children in the schema's order: title, WGS 84
 * bounds of the data (longitude first, whatever the grid), identifier, style, formats, the
 * tile matrix sets with the limits of its data and zooms, and the tile templates.
 */
function layerElement(layer: WmtsLayer, grids: readonly TileMatrixSet[], urls: WmtsUrls): XmlElement {
  const bounds = layer.bounds;
  return xmlElement(
    'Layer',
    {},
    xmlText('ows:Title', layer.name),
    bounds !== null &&
      xmlElement(
        'ows:WGS84BoundingBox',
        {},
        xmlText('ows:LowerCorner', `${formatXmlNumber(bounds[0])} ${formatXmlNumber(bounds[1])}`),
        xmlText('ows:UpperCorner', `${formatXmlNumber(bounds[2])} ${formatXmlNumber(bounds[3])}`),
      ),
    xmlText('ows:Identifier', layer.id),
    xmlElement('Style', { isDefault: 'true' }, xmlText('ows:Title', 'Default'), xmlText('ows:Identifier', DEFAULT_STYLE)),
    ...RASTER_FORMATS.map((format) => xmlText('Format', RASTER_CONTENT_TYPES[format])),
    ...grids.map((grid) => tileMatrixSetLinkElement(layer, grid)),
    ...RASTER_FORMATS.map((format) =>
      xmlElement('ResourceURL', { format: RASTER_CONTENT_TYPES[format], resourceType: 'tile', template: tileUrlTemplate(urls, layer.id, format) }),
    ),
  );
}

function tileMatrixSetLinkElement(layer: WmtsLayer, grid: TileMatrixSet): XmlElement {
  const levels = layerTileMatrixLimits(grid, layer);
  return xmlElement(
    'TileMatrixSetLink',
    {},
    xmlText('TileMatrixSet', grid.id),
    levels.length > 0 &&
    xmlElement(
      'TileMatrixSetLimits',
      {},
      ...levels.map((limits) =>
        xmlElement(
          'TileMatrixLimits',
          {},
          xmlText('TileMatrix', String(limits.z)),
          xmlText('MinTileRow', limits.minRow),
          xmlText('MaxTileRow', limits.maxRow),
          xmlText('MinTileCol', limits.minCol),
          xmlText('MaxTileCol', limits.maxCol),
        ),
      ),
    ),
  );
}
