import { expect } from 'chai';
import { encodeLayer } from '../../../server/sources/node-mvt-encoder.js';
import { decodeTile, ringArea } from '../../support/decode-tile.js';

/*
 * The Node encoder on hand-made tile-space features: what it keeps, drops and clips, without a
 * database (the parity with ST_AsMVT on real data is in node-mvt-parity.test.ts).
 */
const layer = { name: 'landuse', extent: 4096, buffer: 64 };

describe('Node MVT encoder (geojson-vt + vt-pbf)', () => {
  it('writes one layer with the feature id, properties in order, and integer tile coordinates', () => {
    const mvt = encodeLayer([{
      id: 42,
      geometry: { type: 'Polygon', coordinates: [[[100.4, 100.4], [100.4, 300.6], [300.6, 300.6], [300.6, 100.4], [100.4, 100.4]]] },
      properties: { DLBM: '0101', TBMJ: 1234.5, SJNF: 2023, KCDLBM: null },
    }], layer)!;
    const decoded = decodeTile(mvt).get('landuse')!;
    expect(decoded.extent).to.equal(4096);
    expect(decoded.features).to.have.length(1);
    const [feature] = decoded.features;
    expect(feature!.id).to.equal(42);
    expect(feature!.type).to.equal(3);
    expect(feature!.properties).to.deep.equal({ DLBM: '0101', TBMJ: 1234.5, SJNF: 2023 }); // null is left out, as ST_AsMVT does
    const xs = feature!.geometry[0]!.map((point) => point.x);
    expect(Math.min(...xs)).to.equal(100);
    expect(Math.max(...xs)).to.equal(301);
    expect(ringArea(feature!.geometry[0]!), 'exterior ring positive (clockwise, y down)').to.equal(201 * 201);
  });

  it('clips to the tile and its buffer', () => {
    const mvt = encodeLayer([{
      id: 1,
      geometry: { type: 'Polygon', coordinates: [[[-1000, -1000], [-1000, 5000], [5000, 5000], [5000, -1000], [-1000, -1000]]] },
      properties: {},
    }], layer)!;
    const points = decodeTile(mvt).get('landuse')!.features[0]!.geometry[0]!;
    expect(Math.min(...points.map((point) => point.x))).to.equal(-64);
    expect(Math.max(...points.map((point) => point.y))).to.equal(4096 + 64);
  });

  it('drops what snapping to whole units collapses, and answers null when nothing is left', () => {
    const sliver = { type: 'Polygon' as const, coordinates: [[[10.1, 10.1], [10.1, 10.3], [10.3, 10.3], [10.3, 10.1], [10.1, 10.1]]] };
    expect(encodeLayer([{ id: 7, geometry: sliver, properties: {} }], layer)).to.equal(null);
    expect(encodeLayer([], layer)).to.equal(null);
  });

  it('keeps holes as interior rings (negative area)', () => {
    const mvt = encodeLayer([{
      id: 3,
      geometry: { type: 'Polygon', coordinates: [
        [[0, 0], [0, 1000], [1000, 1000], [1000, 0], [0, 0]],
        [[200, 200], [800, 200], [800, 800], [200, 800], [200, 200]],
      ] },
      properties: {},
    }], layer)!;
    const rings = decodeTile(mvt).get('landuse')!.features[0]!.geometry;
    expect(rings.map((ring) => ringArea(ring))).to.deep.equal([1_000_000, -360_000]);
  });
});
