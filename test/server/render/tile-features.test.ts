import { expect } from 'chai';
import { fromGeojsonVt } from 'vt-pbf';
import { decodeTile, type RenderFeature } from '../../../server/render/tile-features.js';

/** Tile units: a 4096 extent with a 64-unit buffer, as the server's tilesets (4 px at 256 px). */
const EXTENT = 4096;
const BUFFER = 64;
type Ring = [number, number][];

/** Features of one MVT layer `shapes`, decoded and placed on a 256 px image (16 units a pixel). */
function featuresOf(features: { type: 2 | 3; rings: Ring[] }[]): readonly RenderFeature[] {
  const tile = { features: features.map(({ type, rings }, id) => ({ id, type, geometry: rings, tags: {} })) };
  const bytes = fromGeojsonVt({ shapes: tile as never }, { version: 2, extent: EXTENT });
  return decodeTile(bytes, { tileSizePixels: 256, offsetX: 0, offsetY: 0 }).get('shapes')!;
}

const square = (x0: number, y0: number, x1: number, y1: number): Ring => [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];

describe('RenderFeature.linePath (rings a stroke cannot show are left out)', () => {
  // A county covering the whole tile: clipped at the buffer, its ring runs 4 px outside the image.
  const aroundTheTile = square(-BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER);
  // A parcel across the left edge, and one lying wholly in the buffer left of the image.
  const acrossTheEdge = square(-BUFFER, 100, 200, 300);
  const inTheBuffer = square(-60, 0, -40, 50);

  it('leaves out a ring that stays farther outside than the reach, keeping one that crosses into the image', () => {
    const [polygon] = featuresOf([{ type: 3, rings: [aroundTheTile, acrossTheEdge, inTheBuffer] }]);
    const kept = polygon!.linePath(256, 2);
    expect(kept).to.equal('M-4 6.25L12.5 6.25L12.5 18.75L-4 18.75L-4 6.25Z');
    // Fills and outlines of fills still draw every ring.
    expect(polygon!.svgPath().match(/M/g)).to.have.length(3);
  });

  it('keeps every ring when the stroke reaches as far as the buffer', () => {
    const [polygon] = featuresOf([{ type: 3, rings: [aroundTheTile, acrossTheEdge, inTheBuffer] }]);
    expect(polygon!.linePath(256, 5)).to.equal(polygon!.svgPath());
  });

  it('leaves out a feature whose every ring is outside: the path is empty', () => {
    const [county] = featuresOf([{ type: 3, rings: [aroundTheTile] }]);
    expect(county!.linePath(256, 3)).to.equal('');
  });

  it('does not close a line: an open line outside the image is left out although closing it would cross the image', () => {
    const alongTwoEdges: Ring = [[-BUFFER, -BUFFER], [EXTENT + BUFFER, -BUFFER], [EXTENT + BUFFER, EXTENT + BUFFER]];
    const [line] = featuresOf([{ type: 2, rings: [alongTwoEdges] }]);
    expect(line!.linePath(256, 2)).to.equal('');
    const [ring] = featuresOf([{ type: 3, rings: [[...alongTwoEdges, [-BUFFER, -BUFFER]]] }]);
    expect(ring!.linePath(256, 2)).to.not.equal('');
  });

  it('measures the reach on the image of an overzoomed tile (a part of its source tile, enlarged)', () => {
    // The top-left quarter of the source tile on the image: the parcel at x 3000 lies 111 px right of it.
    const bytes = fromGeojsonVt({ shapes: { features: [{ id: 1, type: 3, geometry: [square(3000, 100, 3200, 300)], tags: {} }] } as never }, { version: 2, extent: EXTENT });
    const [parcel] = decodeTile(bytes, { tileSizePixels: 512, offsetX: 0, offsetY: 0 }).get('shapes')!;
    expect(parcel!.linePath(256, 2)).to.equal('');
    expect(parcel!.linePath(512, 2)).to.not.equal('');
  });
});
