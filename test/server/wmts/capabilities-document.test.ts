import { expect } from 'chai';
import type { Element } from '@xmldom/xmldom';
import { buildCapabilitiesDocument, type WmtsUrls } from '../../../server/wmts/capabilities-document.js';
import type { WmtsLayer } from '../../../server/wmts/resolve-tile-request.js';
import { childElement, childElements, childNames, childText, OWS, parseXml, WMTS, XLINK } from './read-xml.js';

/** Scale denominators of level 0 and 1 as OGC 17-083r2 Annex D tabulates them. */
const GOOGLE_MAPS_COMPATIBLE_LEVEL_0 = 559082264.0287178;
const WORLD_CRS84_QUAD_LEVEL_0 = 279541132.0143589;
const WEB_MERCATOR_HALF_SPAN = 20037508.3427892;

/** Liaocheng's extent, roughly; bounds as a style's data has them. */
const LANDUSE: WmtsLayer = { id: 'landuse', name: '三调 <地类> & "图斑"', bounds: [115.27, 35.78, 116.55, 37.05], minzoom: 10, maxzoom: 16 };
const NO_DATA: WmtsLayer = { id: 'planning', name: 'planning', bounds: null, minzoom: 0, maxzoom: 3 };
const URLS: WmtsUrls = { baseUrl: 'https://maps.example.cn/planmap', query: '' };

describe('WMTS GetCapabilities document', () => {
  const document = parseXml(buildCapabilitiesDocument([LANDUSE, NO_DATA], URLS));
  const root = document.documentElement!;
  const contents = childElement(root, WMTS, 'Contents');
  const layers = childElements(contents, WMTS, 'Layer');
  const tileMatrixSets = new Map(childElements(contents, WMTS, 'TileMatrixSet').map((set) => [childText(set, OWS, 'Identifier'), set]));

  it('is a WMTS 1.0.0 Capabilities document', () => {
    expect(root.namespaceURI).to.equal(WMTS);
    expect(root.localName).to.equal('Capabilities');
    expect(root.getAttribute('version')).to.equal('1.0.0');
    const identification = childElement(root, OWS, 'ServiceIdentification');
    expect(childText(identification, OWS, 'ServiceType')).to.equal('OGC WMTS');
    expect(childText(identification, OWS, 'ServiceTypeVersion')).to.equal('1.0.0');
    expect(childText(childElement(root, OWS, 'ServiceProvider'), OWS, 'ProviderName')).to.not.equal('');
    expect(childNames(root)).to.deep.equal(['ServiceIdentification', 'ServiceProvider', 'OperationsMetadata', 'Contents', 'ServiceMetadataURL']);
  });

  describe('OperationsMetadata', () => {
    const operations = childElements(childElement(root, OWS, 'OperationsMetadata'), OWS, 'Operation');

    it('offers GetCapabilities and GetTile, each in the KVP and RESTful encodings with absolute URLs', () => {
      expect(operations.map((operation) => operation.getAttribute('name'))).to.deep.equal(['GetCapabilities', 'GetTile']);
      const encodings = operations.map((operation) =>
        childElements(childElement(childElement(operation, OWS, 'DCP'), OWS, 'HTTP'), OWS, 'Get').map((get) => ({
          href: get.getAttributeNS(XLINK, 'href'),
          constraint: childElement(get, OWS, 'Constraint').getAttribute('name'),
          encoding: childText(childElement(childElement(get, OWS, 'Constraint'), OWS, 'AllowedValues'), OWS, 'Value'),
        })),
      );
      expect(encodings).to.deep.equal([
        [
          { href: 'https://maps.example.cn/planmap/wmts?', constraint: 'GetEncoding', encoding: 'KVP' },
          { href: 'https://maps.example.cn/planmap/wmts/1.0.0/WMTSCapabilities.xml', constraint: 'GetEncoding', encoding: 'RESTful' },
        ],
        [
          { href: 'https://maps.example.cn/planmap/wmts?', constraint: 'GetEncoding', encoding: 'KVP' },
          { href: 'https://maps.example.cn/planmap/wmts/1.0.0/', constraint: 'GetEncoding', encoding: 'RESTful' },
        ],
      ]);
    });
  });

  describe('a layer per style', () => {
    it('has the style id as identifier and its name as title, escaped and read back intact', () => {
      expect(layers.map((layer) => childText(layer, OWS, 'Identifier'))).to.deep.equal(['landuse', 'planning']);
      expect(childText(layers[0]!, OWS, 'Title')).to.equal('三调 <地类> & "图斑"');
    });

    it('lists its children in the order of the schema (wmtsGetCapabilities_response.xsd LayerType)', () => {
      expect(childNames(layers[0]!)).to.deep.equal([
        'Title', 'WGS84BoundingBox', 'Identifier', 'Style', 'Format', 'Format', 'Format',
        'TileMatrixSetLink', 'TileMatrixSetLink', 'ResourceURL', 'ResourceURL', 'ResourceURL',
      ]);
    });

    it('has the bounds of its data as WGS84BoundingBox, longitude first', () => {
      const box = childElement(layers[0]!, OWS, 'WGS84BoundingBox');
      expect(childText(box, OWS, 'LowerCorner')).to.equal('115.27 35.78');
      expect(childText(box, OWS, 'UpperCorner')).to.equal('116.55 37.05');
    });

    it('has no WGS84BoundingBox when it has no data yet', () => {
      expect(childElements(layers[1]!, OWS, 'WGS84BoundingBox')).to.have.length(0);
    });

    it('has the one style "default", marked as default', () => {
      const styles = childElements(layers[0]!, WMTS, 'Style');
      expect(styles).to.have.length(1);
      expect(styles[0]!.getAttribute('isDefault')).to.equal('true');
      expect(childText(styles[0]!, OWS, 'Identifier')).to.equal('default');
    });

    it('offers PNG, WebP and JPEG, each with a RESTful tile template', () => {
      expect(childElements(layers[0]!, WMTS, 'Format').map((format) => format.textContent)).to.deep.equal(['image/png', 'image/webp', 'image/jpeg']);
      const templates = childElements(layers[0]!, WMTS, 'ResourceURL').map((url) => [url.getAttribute('format'), url.getAttribute('resourceType'), url.getAttribute('template')]);
      const prefix = 'https://maps.example.cn/planmap/wmts/1.0.0/landuse/default/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}';
      expect(templates).to.deep.equal([
        ['image/png', 'tile', `${prefix}.png`],
        ['image/webp', 'tile', `${prefix}.webp`],
        ['image/jpeg', 'tile', `${prefix}.jpg`],
      ]);
    });

    it('links both tile matrix sets, limited to its zoom range', () => {
      for (const layer of [layers[0]!, layers[1]!]) {
        const links = childElements(layer, WMTS, 'TileMatrixSetLink');
        expect(links.map((link) => childText(link, WMTS, 'TileMatrixSet'))).to.deep.equal(['WebMercatorQuad', 'CGCS2000Quad']);
      }
      expect(limitsOf(layers[0]!, 'CGCS2000Quad').map((limits) => limits.matrix)).to.deep.equal(['10', '11', '12', '13', '14', '15', '16']);
      expect(limitsOf(layers[1]!, 'WebMercatorQuad').map((limits) => limits.matrix)).to.deep.equal(['0', '1', '2', '3']);
    });

    it('limits rows and columns to the tiles its data meets, and a layer without data to the whole grid', () => {
      for (const limits of limitsOf(layers[0]!, 'CGCS2000Quad')) {
        const z = Number(limits.matrix);
        const span = 180 / 2 ** z;
        // Independent of the server's grid code: tiles count from (-180, 90), rows southward.
        expectCovering(limits, {
          minCol: Math.floor((115.27 + 180) / span), maxCol: Math.floor((116.55 + 180) / span),
          minRow: Math.floor((90 - 37.05) / span), maxRow: Math.floor((90 - 35.78) / span),
        });
      }
      for (const limits of limitsOf(layers[0]!, 'WebMercatorQuad')) {
        const z = Number(limits.matrix);
        expectCovering(limits, {
          minCol: slippyColumn(115.27, z), maxCol: slippyColumn(116.55, z),
          minRow: slippyRow(37.05, z), maxRow: slippyRow(35.78, z),
        });
      }
      expect(limitsOf(layers[1]!, 'CGCS2000Quad')[3]).to.deep.equal({ matrix: '3', minRow: 0, maxRow: 7, minCol: 0, maxCol: 15 });
      expect(limitsOf(layers[1]!, 'WebMercatorQuad')[3]).to.deep.equal({ matrix: '3', minRow: 0, maxRow: 7, minCol: 0, maxCol: 7 });
    });
  });

  describe('the WebMercatorQuad tile matrix set', () => {
    const set = tileMatrixSets.get('WebMercatorQuad')!;
    const matrices = childElements(set, WMTS, 'TileMatrix');

    it('is in EPSG:3857 with the GoogleMapsCompatible well-known scale set', () => {
      expect(childText(set, OWS, 'SupportedCRS')).to.equal('urn:ogc:def:crs:EPSG::3857');
      expect(childText(set, WMTS, 'WellKnownScaleSet')).to.equal('urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible');
      expect(childNames(set)).to.deep.equal(['Title', 'Identifier', 'SupportedCRS', 'WellKnownScaleSet', ...matrices.map(() => 'TileMatrix')]);
    });

    it('has levels 0 to the deepest layer max zoom (16) with the OGC scale denominators, 2^z x 2^z tiles of 256 px', () => {
      expect(matrices).to.have.length(17);
      matrices.forEach((matrix, z) => {
        expect(childText(matrix, OWS, 'Identifier')).to.equal(String(z));
        expect(Number(childText(matrix, WMTS, 'ScaleDenominator'))).to.be.closeTo(GOOGLE_MAPS_COMPATIBLE_LEVEL_0 / 2 ** z, 1e-9 * GOOGLE_MAPS_COMPATIBLE_LEVEL_0 / 2 ** z);
        expect([childText(matrix, WMTS, 'TileWidth'), childText(matrix, WMTS, 'TileHeight')]).to.deep.equal(['256', '256']);
        expect([childText(matrix, WMTS, 'MatrixWidth'), childText(matrix, WMTS, 'MatrixHeight')]).to.deep.equal([String(2 ** z), String(2 ** z)]);
      });
    });

    it('has its top-left corner easting first: -20037508.34 20037508.34', () => {
      for (const matrix of matrices) {
        const [first, second] = childText(matrix, WMTS, 'TopLeftCorner').split(' ').map(Number);
        expect(first).to.be.closeTo(-WEB_MERCATOR_HALF_SPAN, 1e-6);
        expect(second).to.be.closeTo(WEB_MERCATOR_HALF_SPAN, 1e-6);
      }
    });
  });

  describe('the CGCS2000Quad tile matrix set', () => {
    const set = tileMatrixSets.get('CGCS2000Quad')!;
    const matrices = childElements(set, WMTS, 'TileMatrix');

    it('is in urn:ogc:def:crs:EPSG::4490 and claims no well-known scale set', () => {
      expect(childText(set, OWS, 'SupportedCRS')).to.equal('urn:ogc:def:crs:EPSG::4490');
      expect(childElements(set, WMTS, 'WellKnownScaleSet')).to.have.length(0);
    });

    it('has its top-left corner latitude first: "90 -180"', () => {
      for (const matrix of matrices) expect(childText(matrix, WMTS, 'TopLeftCorner')).to.equal('90 -180');
    });

    it('has levels 0 to 16 of 2^(z+1) x 2^z tiles with the OGC 0.28 mm scale denominators of WorldCRS84Quad', () => {
      expect(matrices).to.have.length(17);
      matrices.forEach((matrix, z) => {
        expect(childText(matrix, OWS, 'Identifier')).to.equal(String(z));
        expect(Number(childText(matrix, WMTS, 'ScaleDenominator'))).to.be.closeTo(WORLD_CRS84_QUAD_LEVEL_0 / 2 ** z, 1e-9 * WORLD_CRS84_QUAD_LEVEL_0 / 2 ** z);
        expect([childText(matrix, WMTS, 'MatrixWidth'), childText(matrix, WMTS, 'MatrixHeight')]).to.deep.equal([String(2 ** (z + 1)), String(2 ** z)]);
      });
      expect([childText(matrices[0]!, WMTS, 'MatrixWidth'), childText(matrices[0]!, WMTS, 'MatrixHeight')]).to.deep.equal(['2', '1']);
    });
  });

  describe('given layers with a shallower max zoom', () => {
    it('lists the levels down to the deepest of them only, and level 0 without layers', () => {
      const shallow = parseXml(buildCapabilitiesDocument([NO_DATA, { ...LANDUSE, maxzoom: 12 }], URLS));
      const sets = childElements(childElement(shallow.documentElement!, WMTS, 'Contents'), WMTS, 'TileMatrixSet');
      expect(sets.map((set) => childElements(set, WMTS, 'TileMatrix').length)).to.deep.equal([13, 13]);
      const none = parseXml(buildCapabilitiesDocument([], URLS));
      const noneSets = childElements(childElement(none.documentElement!, WMTS, 'Contents'), WMTS, 'TileMatrixSet');
      expect(noneSets.map((set) => childElements(set, WMTS, 'TileMatrix').length)).to.deep.equal([1, 1]);
    });
  });

  describe('given pass-through query parameters (an access token)', () => {
    const withToken = parseXml(buildCapabilitiesDocument([LANDUSE], { baseUrl: 'http://127.0.0.1:8080', query: 'token=a%26b%3Cc' }));
    const tokenRoot = withToken.documentElement!;

    it('carries them in every advertised URL: KVP prefix, capabilities, tile templates', () => {
      const hrefs = childElements(childElement(tokenRoot, OWS, 'OperationsMetadata'), OWS, 'Operation').flatMap((operation) =>
        childElements(childElement(childElement(operation, OWS, 'DCP'), OWS, 'HTTP'), OWS, 'Get').map((get) => get.getAttributeNS(XLINK, 'href')),
      );
      expect(hrefs).to.include('http://127.0.0.1:8080/wmts?token=a%26b%3Cc&');
      expect(hrefs).to.include('http://127.0.0.1:8080/wmts/1.0.0/WMTSCapabilities.xml?token=a%26b%3Cc');
      const layer = childElement(childElement(tokenRoot, WMTS, 'Contents'), WMTS, 'Layer');
      expect(childElements(layer, WMTS, 'ResourceURL')[0]!.getAttribute('template')).to.equal(
        'http://127.0.0.1:8080/wmts/1.0.0/landuse/default/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.png?token=a%26b%3Cc',
      );
      expect(childElement(tokenRoot, WMTS, 'ServiceMetadataURL').getAttributeNS(XLINK, 'href')).to.equal('http://127.0.0.1:8080/wmts/1.0.0/WMTSCapabilities.xml?token=a%26b%3Cc');
    });
  });
});

interface ParsedLimits {
  readonly matrix: string;
  readonly minRow: number;
  readonly maxRow: number;
  readonly minCol: number;
  readonly maxCol: number;
}

function limitsOf(layer: Element, setId: string): ParsedLimits[] {
  const link = childElements(layer, WMTS, 'TileMatrixSetLink').find((candidate) => childText(candidate, WMTS, 'TileMatrixSet') === setId)!;
  return childElements(childElement(link, WMTS, 'TileMatrixSetLimits'), WMTS, 'TileMatrixLimits').map((limits) => ({
    matrix: childText(limits, WMTS, 'TileMatrix'),
    minRow: Number(childText(limits, WMTS, 'MinTileRow')),
    maxRow: Number(childText(limits, WMTS, 'MaxTileRow')),
    minCol: Number(childText(limits, WMTS, 'MinTileCol')),
    maxCol: Number(childText(limits, WMTS, 'MaxTileCol')),
  }));
}

/** The limits hold every tile of the data, and at most one more tile on each side (the edge margin). */
function expectCovering(limits: ParsedLimits, data: Omit<ParsedLimits, 'matrix'>): void {
  const label = `tile matrix ${limits.matrix}`;
  expect(limits.minCol, label).to.be.within(data.minCol - 1, data.minCol);
  expect(limits.maxCol, label).to.be.within(data.maxCol, data.maxCol + 1);
  expect(limits.minRow, label).to.be.within(data.minRow - 1, data.minRow);
  expect(limits.maxRow, label).to.be.within(data.maxRow, data.maxRow + 1);
}

/** The usual slippy-map formulas (OpenStreetMap wiki), independent of the server's grid code. */
function slippyColumn(longitude: number, z: number): number {
  return Math.floor(((longitude + 180) / 360) * 2 ** z);
}

function slippyRow(latitude: number, z: number): number {
  const radians = (latitude * Math.PI) / 180;
  return Math.floor(((1 - Math.log(Math.tan(radians) + 1 / Math.cos(radians)) / Math.PI) / 2) * 2 ** z);
}
