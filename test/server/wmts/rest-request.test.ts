import { expect } from 'chai';
import { parseRestRequest } from '../../../server/wmts/rest-request.js';
import { expectWmtsError } from './expect-wmts-error.js';

describe('WMTS RESTful requests (GET /wmts/1.0.0/...)', () => {
  it('parses WMTSCapabilities.xml as GetCapabilities', () => {
    expect(parseRestRequest('/WMTSCapabilities.xml')).to.deep.equal({ operation: 'GetCapabilities' });
  });

  it('parses {layer}/{style}/{tileMatrixSet}/{tileMatrix}/{tileRow}/{tileCol}.{ext} as GetTile, the format from the extension', () => {
    expect(parseRestRequest('/landuse/default/WebMercatorQuad/14/6350/13500.png')).to.deep.equal({
      operation: 'GetTile', layer: 'landuse', style: 'default', format: 'image/png',
      tileMatrixSet: 'WebMercatorQuad', tileMatrix: '14', tileRow: '6350', tileCol: '13500',
    });
    expect(parseRestRequest('/landuse/default/CGCS2000Quad/3/1/2.jpg')).to.include({ format: 'image/jpeg', tileRow: '1', tileCol: '2' });
    expect(parseRestRequest('/landuse/default/CGCS2000Quad/3/1/2.webp')).to.include({ format: 'image/webp' });
  });

  it('decodes percent-encoded segments', () => {
    expect(parseRestRequest('/land%75se/default/CGCS2000Quad/3/1/2.png')).to.include({ layer: 'landuse' });
  });

  describe('given an unsupported extension', () => {
    for (const file of ['2.gif', '2.jpeg', '2', '2.PNG']) {
      it(`answers InvalidParameterValue naming Format for ${file}`, () => {
        expectWmtsError(() => parseRestRequest(`/landuse/default/CGCS2000Quad/3/1/${file}`), 'InvalidParameterValue', 'Format', 400, /\.png, \.webp, \.jpg/);
      });
    }
  });

  describe('given a path of neither shape', () => {
    for (const path of ['/', '/landuse', '/landuse/default/CGCS2000Quad/3/1', '/landuse/default/CGCS2000Quad/3/1/2/3.png', '/landuse//CGCS2000Quad/3/1/2.png', '/wmtscapabilities.xml']) {
      it(`answers 404 with NoApplicableCode for ${path}`, () => {
        expectWmtsError(() => parseRestRequest(path), 'NoApplicableCode', undefined, 404, /WMTSCapabilities\.xml/);
      });
    }
  });

  it('answers 400 to a path that is not valid percent-encoding', () => {
    expectWmtsError(() => parseRestRequest('/land%E0use/default/CGCS2000Quad/3/1/2.png'), 'NoApplicableCode', undefined, 400, /percent-encoded/);
  });
});
