import { expect } from 'chai';
import { childNode, nodeName, numberArg, parseWkt, type WktNode } from '../../../pipeline/crs/wkt.js';

describe('parseWkt (pipeline/crs/wkt)', () => {
  describe('given WKT1 with nested nodes', () => {
    it('builds the tree with upper-case keywords, strings and numbers', () => {
      const [node] = parseWkt('geogcs["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],UNIT["Degree",0.0174532925199433]]');
      expect(node!.keyword).to.equal('GEOGCS');
      expect(nodeName(node!)).to.equal('GCS_China_Geodetic_Coordinate_System_2000');
      const spheroid = childNode(childNode(node!, 'DATUM')!, 'SPHEROID')!;
      expect(spheroid.args).to.deep.equal(['CGCS2000', 6378137, 298.257222101]);
    });
  });

  describe('given WKT2 with bare words, round brackets and doubled quotes', () => {
    it('keeps bare words as strings and unescapes "" inside strings', () => {
      const [node] = parseWkt('PROJCRS("a ""quoted"" name", CS[Cartesian, 2], AXIS["easting (Y)", east, ORDER[2]], ID["EPSG", 4527])');
      expect(nodeName(node!)).to.equal('a "quoted" name');
      expect(childNode(node!, 'CS')!.args).to.deep.equal(['Cartesian', 2]);
      expect(childNode(node!, 'AXIS')!.args[1]).to.equal('east');
      expect(numberArg(childNode(node!, 'ID')!, 1)).to.equal(4527);
    });
  });

  describe('given an ArcGIS .prj with a BOM, a VERTCS next to the PROJCS and a line end', () => {
    it('returns both top-level nodes', () => {
      const nodes = parseWkt('\uFEFFPROJCS["p",UNIT["Meter",1.0]],VERTCS["Yellow_Sea_1985",UNIT["Meter",1.0]]\r\n');
      expect(nodes.map((node: WktNode) => node.keyword)).to.deep.equal(['PROJCS', 'VERTCS']);
    });
  });

  describe('WKT1 authority codes written as strings', () => {
    it('are read as numbers by numberArg', () => {
      const [node] = parseWkt('AUTHORITY["EPSG","4527"]');
      expect(numberArg(node!, 1)).to.equal(4527);
      expect(numberArg(node!, 0)).to.equal(undefined);
    });
  });

  describe('given text that is not WKT', () => {
    for (const [text, problem] of [
      ['PROJCS["unterminated', /unterminated string/],
      ['PROJCS["a",UNIT["m",1]', /expected , or \] in PROJCS at character 23/],
      ['PROJCS["a"] trailing', /expected the end of the text at character 13 \(near "trailing"\)/],
      ['+proj=tmerc +lon_0=117', /expected a keyword at character 1/],
      ['', /expected a keyword/],
      ['A['.repeat(40) + ']'.repeat(40), /nesting deeper than 32/],
    ] as const) {
      it(`says what is wrong and where: ${JSON.stringify(text.slice(0, 30))}`, () => {
        expect(() => parseWkt(text)).to.throw(Error, problem);
      });
    }
  });
});
