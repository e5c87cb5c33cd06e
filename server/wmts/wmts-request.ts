/**
 * A WMTS request as either encoding states it, before it is checked against the layers and
 * tile matrix sets: KVP (`/wmts?SERVICE=WMTS&...`) and RESTful (`/wmts/1.0.0/...`) requests
 * both parse into this, so the checks and their exceptions are the same for both.
 */
export type WmtsRequest = GetCapabilitiesRequest | GetTileRequest;

export interface GetCapabilitiesRequest {
  readonly operation: 'GetCapabilities';
}

/** GetTile parameters (OGC 07-057r7 Table 22), as text: identifiers are matched exactly. */
export interface GetTileRequest {
  readonly operation: 'GetTile';
  readonly layer: string;
  readonly style: string;
  /** A MIME type (`image/png`); RESTful requests derive it from the file extension. */
  readonly format: string;
  readonly tileMatrixSet: string;
  readonly tileMatrix: string;
  readonly tileRow: string;
  readonly tileCol: string;
}

export const WMTS_VERSION = '1.0.0';

/** The one style of every layer: styles are layers here, each drawn one way. */
export const DEFAULT_STYLE = 'default';

/** Shortens request text echoed in an exception, so a report never grows with the request. */
export function quoteRequestText(text: string): string {
  return `"${text.length > 64 ? `${text.slice(0, 64)}…` : text}"`;
}
