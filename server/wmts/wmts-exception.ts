import type { ServerResponse } from 'node:http';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { serializeXmlDocument, xmlElement, xmlText } from './xml-writer.js';

/**
 * Exception codes of OWS Common 1.1 (OGC 06-121r3 Table 25) and WMTS 1.0.0 (OGC 07-057r7
 * Table 28) that this server raises.
 */
export type WmtsExceptionCode =
  | 'MissingParameterValue'
  | 'InvalidParameterValue'
  | 'VersionNegotiationFailed'
  | 'TileOutOfRange'
  | 'OperationNotSupported'
  | 'NoApplicableCode';

/** HTTP status of each code, as OGC 07-057r7 Table 28 (and OWS Common 2.0 Table 28) give them. */
const STATUS_OF_CODE: Readonly<Record<WmtsExceptionCode, number>> = {
  MissingParameterValue: 400,
  InvalidParameterValue: 400,
  VersionNegotiationFailed: 400,
  TileOutOfRange: 400,
  OperationNotSupported: 501,
  NoApplicableCode: 500,
};

/** One `<Exception>` of a report. */
export interface OwsException {
  readonly code: WmtsExceptionCode;
  /** The parameter (or operation) at fault, named as in OGC 07-057r7 (`TileRow`). */
  readonly locator?: string;
  readonly text: string;
}

/**
 * A failure answered with an OGC ExceptionReport. Several exceptions are reported together
 * when a request lacks several parameters, so a client learns every one at once.
 */
export class WmtsError extends Error {
  readonly exceptions: readonly OwsException[];
  readonly status: number;

  constructor(exceptions: readonly [OwsException, ...OwsException[]], options?: { status?: number; cause?: unknown }) {
    super(exceptions.map((exception) => exception.text).join('; '), { cause: options?.cause });
    this.name = 'WmtsError';
    this.exceptions = exceptions;
    this.status = options?.status ?? STATUS_OF_CODE[exceptions[0].code];
  }

  static invalidParameter(locator: string, text: string): WmtsError {
    return new WmtsError([{ code: 'InvalidParameterValue', locator, text }]);
  }

  static tileOutOfRange(locator: string, text: string): WmtsError {
    return new WmtsError([{ code: 'TileOutOfRange', locator, text }]);
  }

  static operationNotSupported(operation: string, text: string): WmtsError {
    return new WmtsError([{ code: 'OperationNotSupported', locator: operation, text }]);
  }
}

export const OWS_NAMESPACE = 'http://www.opengis.net/ows/1.1';

/** The ExceptionReport document (OWS Common 1.1, owsExceptionReport.xsd). */
export function buildExceptionReport(exceptions: readonly OwsException[]): string {
  return serializeXmlDocument(
    xmlElement(
      'ExceptionReport',
      {
        xmlns: OWS_NAMESPACE,
        'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
        'xsi:schemaLocation': `${OWS_NAMESPACE} http://schemas.opengis.net/ows/1.1.0/owsExceptionReport.xsd`,
        version: '1.0.0',
        'xml:lang': 'en',
      },
      ...exceptions.map(({ code, locator, text }) =>
        xmlElement('Exception', { exceptionCode: code, locator }, xmlText('ExceptionText', text)),
      ),
    ),
  );
}

/**
 * Any failure as a WmtsError: WMTS's own pass through; the server's typed failures keep their
 * status and message (503 for a database outage, so that clients retry) under
 * NoApplicableCode; anything unexpected is a 500 that says nothing about its cause.
 */
export function toWmtsError(error: unknown): WmtsError {
  if (error instanceof WmtsError) return error;
  if (error instanceof AppError) {
    return new WmtsError([{ code: 'NoApplicableCode', text: error.message }], { status: error.status, cause: error });
  }
  return new WmtsError([{ code: 'NoApplicableCode', text: 'internal server error' }], { cause: error });
}

/**
 * The one place a WMTS failure becomes a response, logged once here: server-side failures
 * (5xx) with their cause, client mistakes not at all.
 */
export function writeExceptionReport(res: ServerResponse, error: unknown, path: string, logger: Logger): void {
  const wmtsError = toWmtsError(error);
  if (wmtsError.status >= 500 && wmtsError.exceptions[0]!.code !== 'OperationNotSupported') {
    const cause = wmtsError.cause ?? wmtsError;
    if (error instanceof AppError || error instanceof WmtsError) logger.warn({ err: cause, path }, wmtsError.message);
    else logger.error({ err: cause, path }, 'WMTS request failed');
  }
  const body = buildExceptionReport(wmtsError.exceptions);
  res.writeHead(wmtsError.status, {
    'Content-Type': 'application/xml; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}
