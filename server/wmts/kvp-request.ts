import { WmtsError, type OwsException } from './wmts-exception.js';
import { quoteRequestText, WMTS_VERSION, type GetTileRequest, type WmtsRequest } from './wmts-request.js';

/**
 * Parameters as OGC 07-057r7 spells them (Tables 7, 22), keyed by their lower-case form:
 * KVP parameter names are case-insensitive (OGC 06-121r3 §11.5.2), values are not.
 */
const PARAMETER_NAMES = ['Service', 'Request', 'Version', 'AcceptVersions', 'Layer', 'Style', 'Format', 'TileMatrixSet', 'TileMatrix', 'TileRow', 'TileCol'] as const;
type ParameterName = (typeof PARAMETER_NAMES)[number];
const NAME_BY_LOWER_CASE: ReadonlyMap<string, ParameterName> = new Map(PARAMETER_NAMES.map((name) => [name.toLowerCase(), name]));

/** Parameters GetTile requires besides Service and Request, in the order they are reported. */
const GET_TILE_PARAMETERS = ['Version', 'Layer', 'Style', 'Format', 'TileMatrixSet', 'TileMatrix', 'TileRow', 'TileCol'] as const;

/** Operations of WMTS 1.0.0 this server does not offer. */
const UNSUPPORTED_OPERATIONS = new Set(['GetFeatureInfo']);

/**
 * Parses the query string of `GET /wmts?...` (without the `?`). Unknown parameters are ignored
 * (OGC 06-121r3 §11.5.2), so a client's extra parameters (a token, a cache buster) do no harm.
 */
export function parseKvpRequest(query: string): WmtsRequest {
  const parameters = readParameters(query);
  requireParameters(parameters, ['Service', 'Request']);
  const service = parameters.get('Service')!;
  if (service !== 'WMTS') {
    throw WmtsError.invalidParameter('Service', `Service must be "WMTS", not ${quoteRequestText(service)}`);
  }
  const operation = parameters.get('Request')!;
  switch (operation) {
    case 'GetCapabilities':
      checkAcceptVersions(parameters.get('AcceptVersions'));
      return { operation: 'GetCapabilities' };
    case 'GetTile':
      return parseGetTile(parameters);
    default:
      throw WmtsError.operationNotSupported(
        operation,
        UNSUPPORTED_OPERATIONS.has(operation)
          ? `${operation} is not supported by this server (operations: GetCapabilities, GetTile)`
          : `unknown operation ${quoteRequestText(operation)} (operations: GetCapabilities, GetTile)`,
      );
  }
}

/**
 * The known parameters by their spec spelling. A parameter given twice with different values
 * is refused (which one would the client mean?); an empty value counts as missing.
 */
function readParameters(query: string): Map<ParameterName, string> {
  const parameters = new Map<ParameterName, string>();
  for (const [rawName, value] of new URLSearchParams(query)) {
    const name = NAME_BY_LOWER_CASE.get(rawName.toLowerCase());
    if (!name || value === '') continue;
    const previous = parameters.get(name);
    if (previous !== undefined && previous !== value) {
      throw WmtsError.invalidParameter(name, `${name} is given twice with different values (${quoteRequestText(previous)}, ${quoteRequestText(value)})`);
    }
    parameters.set(name, value);
  }
  return parameters;
}

function requireParameters(parameters: ReadonlyMap<ParameterName, string>, names: readonly ParameterName[]): void {
  const missing: OwsException[] = names
    .filter((name) => !parameters.has(name))
    .map((name) => ({ code: 'MissingParameterValue', locator: name, text: `parameter ${name} is missing` }));
  if (missing.length > 0) throw new WmtsError(missing as [OwsException, ...OwsException[]]);
}

/** AcceptVersions (OGC 06-121r3 §7.3.2): a comma-separated list that must include 1.0.0. */
function checkAcceptVersions(acceptVersions: string | undefined): void {
  if (acceptVersions === undefined) return;
  if (!acceptVersions.split(',').map((version) => version.trim()).includes(WMTS_VERSION)) {
    throw new WmtsError([
      {
        code: 'VersionNegotiationFailed',
        locator: 'AcceptVersions',
        text: `this server speaks WMTS ${WMTS_VERSION} only, not ${quoteRequestText(acceptVersions)}`,
      },
    ]);
  }
}

function parseGetTile(parameters: ReadonlyMap<ParameterName, string>): GetTileRequest {
  requireParameters(parameters, GET_TILE_PARAMETERS);
  const version = parameters.get('Version')!;
  if (version !== WMTS_VERSION) {
    throw WmtsError.invalidParameter('Version', `Version must be "${WMTS_VERSION}", not ${quoteRequestText(version)}`);
  }
  return {
    operation: 'GetTile',
    layer: parameters.get('Layer')!,
    style: parameters.get('Style')!,
    format: parameters.get('Format')!,
    tileMatrixSet: parameters.get('TileMatrixSet')!,
    tileMatrix: parameters.get('TileMatrix')!,
    tileRow: parameters.get('TileRow')!,
    tileCol: parameters.get('TileCol')!,
  };
}
