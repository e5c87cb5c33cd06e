import { expect } from 'chai';
import { parseKvpRequest } from '../../../server/wmts/kvp-request.js';
import { catchWmtsError, expectWmtsError } from './expect-wmts-error.js';

const GET_TILE = 'SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=landuse&STYLE=default&TILEMATRIXSET=CGCS2000Quad&TILEMATRIX=12&TILEROW=700&TILECOL=3400&FORMAT=image/png';

describe('WMTS KVP requests (GET /wmts?...)', () => {
  describe('given GetCapabilities', () => {
    it('parses it', () => {
      expect(parseKvpRequest('SERVICE=WMTS&REQUEST=GetCapabilities')).to.deep.equal({ operation: 'GetCapabilities' });
    });

    it('takes parameter names in any case', () => {
      expect(parseKvpRequest('service=WMTS&request=GetCapabilities')).to.deep.equal({ operation: 'GetCapabilities' });
      expect(parseKvpRequest('SeRvIcE=WMTS&rEqUeSt=GetCapabilities&acceptversions=1.0.0')).to.deep.equal({ operation: 'GetCapabilities' });
    });

    it('accepts AcceptVersions that include 1.0.0', () => {
      expect(parseKvpRequest('SERVICE=WMTS&REQUEST=GetCapabilities&AcceptVersions=2.0.0,1.0.0')).to.deep.equal({ operation: 'GetCapabilities' });
    });

    it('answers VersionNegotiationFailed (400) to AcceptVersions without 1.0.0', () => {
      expectWmtsError(() => parseKvpRequest('SERVICE=WMTS&REQUEST=GetCapabilities&ACCEPTVERSIONS=0.9.0,2.0.0'), 'VersionNegotiationFailed', 'AcceptVersions', 400, /1\.0\.0/);
    });
  });

  describe('given GetTile', () => {
    const expected = {
      operation: 'GetTile', layer: 'landuse', style: 'default', format: 'image/png',
      tileMatrixSet: 'CGCS2000Quad', tileMatrix: '12', tileRow: '700', tileCol: '3400',
    };

    it('parses every parameter', () => {
      expect(parseKvpRequest(GET_TILE)).to.deep.equal(expected);
    });

    it('takes parameter names in any case', () => {
      expect(parseKvpRequest(GET_TILE.toLowerCase().replace('wmts', 'WMTS').replace('gettile', 'GetTile').replace('cgcs2000quad', 'CGCS2000Quad'))).to.deep.equal(expected);
      const mixed = 'Service=WMTS&Request=GetTile&Version=1.0.0&Layer=landuse&Style=default&TileMatrixSet=CGCS2000Quad&TileMatrix=12&TileRow=700&TileCol=3400&Format=image%2Fpng';
      expect(parseKvpRequest(mixed)).to.deep.equal(expected);
    });

    it('ignores parameters it does not know (tokens, cache busters)', () => {
      expect(parseKvpRequest(`${GET_TILE}&token=secret&_=12345`)).to.deep.equal(expected);
    });

    it('accepts a parameter repeated with the same value', () => {
      expect(parseKvpRequest(`${GET_TILE}&layer=landuse`)).to.deep.equal(expected);
    });

    it('answers InvalidParameterValue to a parameter repeated with another value', () => {
      expectWmtsError(() => parseKvpRequest(`${GET_TILE}&layer=planning`), 'InvalidParameterValue', 'Layer', 400, /twice/);
    });

    it('answers MissingParameterValue (400) for each missing parameter, all in one report', () => {
      const error = catchWmtsError(() => parseKvpRequest('SERVICE=WMTS&REQUEST=GetTile&LAYER=landuse&TILEROW='));
      expect(error.status).to.equal(400);
      expect(error.exceptions.map((exception) => [exception.code, exception.locator])).to.deep.equal(
        ['Version', 'Style', 'Format', 'TileMatrixSet', 'TileMatrix', 'TileRow', 'TileCol'].map((name) => ['MissingParameterValue', name]),
      );
    });

    for (const name of ['VERSION', 'LAYER', 'STYLE', 'FORMAT', 'TILEMATRIXSET', 'TILEMATRIX', 'TILEROW', 'TILECOL']) {
      it(`answers MissingParameterValue without ${name}, naming it`, () => {
        const query = GET_TILE.split('&').filter((pair) => !pair.startsWith(`${name}=`)).join('&');
        const locator = { VERSION: 'Version', LAYER: 'Layer', STYLE: 'Style', FORMAT: 'Format', TILEMATRIXSET: 'TileMatrixSet', TILEMATRIX: 'TileMatrix', TILEROW: 'TileRow', TILECOL: 'TileCol' }[name];
        expectWmtsError(() => parseKvpRequest(query), 'MissingParameterValue', locator, 400);
      });
    }

    it('answers InvalidParameterValue to a version other than 1.0.0', () => {
      expectWmtsError(() => parseKvpRequest(GET_TILE.replace('VERSION=1.0.0', 'VERSION=1.1.0')), 'InvalidParameterValue', 'Version', 400, /1\.1\.0/);
    });
  });

  describe('given no SERVICE or REQUEST', () => {
    it('answers MissingParameterValue for both', () => {
      const error = catchWmtsError(() => parseKvpRequest(''));
      expect(error.exceptions.map((exception) => [exception.code, exception.locator])).to.deep.equal([
        ['MissingParameterValue', 'Service'],
        ['MissingParameterValue', 'Request'],
      ]);
    });

    it('treats an empty value as missing', () => {
      expectWmtsError(() => parseKvpRequest('SERVICE=&REQUEST=GetCapabilities'), 'MissingParameterValue', 'Service', 400);
    });
  });

  describe('given parameter values in another case (values are case-sensitive)', () => {
    it('answers InvalidParameterValue to SERVICE=wmts', () => {
      expectWmtsError(() => parseKvpRequest('SERVICE=wmts&REQUEST=GetCapabilities'), 'InvalidParameterValue', 'Service', 400, /"wmts"/);
    });

    it('answers OperationNotSupported to REQUEST=gettile', () => {
      expectWmtsError(() => parseKvpRequest('SERVICE=WMTS&REQUEST=gettile'), 'OperationNotSupported', 'gettile', 501);
    });
  });

  describe('given another service', () => {
    it('answers InvalidParameterValue naming Service', () => {
      expectWmtsError(() => parseKvpRequest('SERVICE=WMS&REQUEST=GetCapabilities'), 'InvalidParameterValue', 'Service', 400, /"WMS"/);
    });
  });

  describe('given an operation the server does not offer', () => {
    it('answers OperationNotSupported (501) to GetFeatureInfo, locator the operation', () => {
      expectWmtsError(() => parseKvpRequest('SERVICE=WMTS&REQUEST=GetFeatureInfo'), 'OperationNotSupported', 'GetFeatureInfo', 501, /not supported/);
    });

    it('answers OperationNotSupported to an unknown operation', () => {
      expectWmtsError(() => parseKvpRequest('SERVICE=WMTS&REQUEST=GetMap'), 'OperationNotSupported', 'GetMap', 501, /unknown operation/);
    });
  });
});
