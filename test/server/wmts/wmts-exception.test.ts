import { expect } from 'chai';
import { BadRequestError, DatabaseUnavailableError } from '../../../core/errors.js';
import { buildExceptionReport, toWmtsError, WmtsError } from '../../../server/wmts/wmts-exception.js';
import { parseExceptionReport } from './read-xml.js';

describe('OGC ExceptionReport', () => {
  it('is an OWS 1.1 ExceptionReport with each exception, its code, locator and text', () => {
    const report = buildExceptionReport([
      { code: 'MissingParameterValue', locator: 'Layer', text: 'parameter Layer is missing' },
      { code: 'NoApplicableCode', text: 'no locator here' },
    ]);
    expect(parseExceptionReport(report)).to.deep.equal([
      { code: 'MissingParameterValue', locator: 'Layer', text: 'parameter Layer is missing' },
      { code: 'NoApplicableCode', locator: null, text: 'no locator here' },
    ]);
  });

  it('escapes request text echoed in it, so the document stays well-formed', () => {
    const text = 'unknown layer "</ExceptionText><x a=\'1\'>&\u0001"';
    const [parsed] = parseExceptionReport(buildExceptionReport([{ code: 'InvalidParameterValue', locator: '"<&>', text }]));
    expect(parsed).to.deep.equal({ code: 'InvalidParameterValue', locator: '"<&>', text: text.replace('\u0001', '\uFFFD') });
  });

  describe('HTTP statuses of the codes (OGC 07-057r7 Table 28)', () => {
    for (const [code, status] of [
      ['MissingParameterValue', 400],
      ['InvalidParameterValue', 400],
      ['VersionNegotiationFailed', 400],
      ['TileOutOfRange', 400],
      ['OperationNotSupported', 501],
      ['NoApplicableCode', 500],
    ] as const) {
      it(`${code}: ${status}`, () => {
        expect(new WmtsError([{ code, text: 'x' }]).status).to.equal(status);
      });
    }
  });

  describe('toWmtsError', () => {
    it('keeps a database outage a 503 (retry later) under NoApplicableCode, with its message', () => {
      const error = toWmtsError(new DatabaseUnavailableError('the database did not answer in time'));
      expect(error.status).to.equal(503);
      expect(error.exceptions).to.deep.equal([{ code: 'NoApplicableCode', text: 'the database did not answer in time' }]);
    });

    it('keeps the status and message of the server typed failures', () => {
      const error = toWmtsError(new BadRequestError('request path too long'));
      expect([error.status, error.exceptions[0]!.text]).to.deep.equal([400, 'request path too long']);
    });

    it('answers 500 to anything unexpected without telling its cause', () => {
      const error = toWmtsError(new TypeError('cannot read properties of undefined (secret internals)'));
      expect(error.status).to.equal(500);
      expect(error.exceptions).to.deep.equal([{ code: 'NoApplicableCode', text: 'internal server error' }]);
    });

    it('passes a WmtsError through', () => {
      const original = WmtsError.tileOutOfRange('TileRow', 'x');
      expect(toWmtsError(original)).to.equal(original);
    });
  });
});
