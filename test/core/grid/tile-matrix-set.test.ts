import { expect } from 'chai';
import {
  CGCS2000Quad,
  MAX_ZOOM,
  WebMercatorQuad,
  cellSize,
  isTileInSet,
  matrixHeight,
  matrixWidth,
  scaleDenominator,
  tileAtPoint,
  tileBounds,
  tileFromBounds,
  tileSpan,
  type Bounds,
  type TileCoord,
  type TileMatrixSet,
} from '../../../core/grid/tile-matrix-set.js';

/** Levels checked tile by tile: 0..7 is 21,845 Web Mercator and 43,690 CGCS2000 tiles. */
const DEEPEST_EXHAUSTIVE_LEVEL = 7;

/** π × 6378137: half the Web Mercator world, as written in OGC 17-083r4 Annex D. */
const WEB_MERCATOR_HALF_SPAN = 20037508.342789244;

/**
 * What each set must be, written out from OGC 17-083r4 (Annex D, WebMercatorQuad and
 * WorldCRS84Quad; CGCS2000Quad is WorldCRS84Quad in EPSG:4490) rather than computed with the
 * module under test.
 */
interface Expected {
  readonly set: TileMatrixSet;
  /** [minX, minY, maxX, maxY] of the whole CRS. */
  readonly extent: Bounds;
  readonly matrixWidth0: number;
  readonly matrixHeight0: number;
  /** Level-0 tile width in CRS units. */
  readonly tileSpan0: number;
  readonly scaleDenominators: readonly [number, number];
  readonly cellSize0: number;
}

const EXPECTATIONS: readonly Expected[] = [
  {
    set: WebMercatorQuad,
    extent: [-WEB_MERCATOR_HALF_SPAN, -WEB_MERCATOR_HALF_SPAN, WEB_MERCATOR_HALF_SPAN, WEB_MERCATOR_HALF_SPAN],
    matrixWidth0: 1,
    matrixHeight0: 1,
    tileSpan0: 2 * WEB_MERCATOR_HALF_SPAN,
    scaleDenominators: [559082264.0287178, 279541132.0143589],
    cellSize0: 156543.033928041,
  },
  {
    set: CGCS2000Quad,
    extent: [-180, -90, 180, 90],
    matrixWidth0: 2,
    matrixHeight0: 1,
    tileSpan0: 180,
    scaleDenominators: [279541132.0143589, 139770566.00717944],
    cellSize0: 0.703125,
  },
];

function* everyTile(set: TileMatrixSet, deepestLevel: number): Generator<TileCoord> {
  for (let z = 0; z <= deepestLevel; z++) {
    for (let x = 0; x < matrixWidth(set, z); x++) {
      for (let y = 0; y < matrixHeight(set, z); y++) yield { z, x, y };
    }
  }
}

function name({ z, x, y }: TileCoord): string {
  return `${z}/${x}/${y}`;
}

/** Runs `check` on every tile and lists the tiles it complains about (first 5, and a count). */
function failuresOver(set: TileMatrixSet, check: (tile: TileCoord) => string | null): string[] {
  const failures: string[] = [];
  let count = 0;
  for (const tile of everyTile(set, DEEPEST_EXHAUSTIVE_LEVEL)) {
    const problem = check(tile);
    if (problem === null) continue;
    count++;
    if (failures.length < 5) failures.push(`${name(tile)}: ${problem}`);
  }
  if (count > failures.length) failures.push(`... ${count} tiles in all`);
  return failures;
}

/** The double next to `value` towards +∞ (direction 1) or -∞ (direction -1). */
function nextDouble(value: number, direction: 1 | -1): number {
  if (value === 0) return direction * Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  // Sign and magnitude: a larger bit pattern is further from zero.
  const isAwayFromZero = value > 0 === direction > 0;
  view.setBigUint64(0, isAwayFromZero ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

function expectClose(actual: number, expected: number, relative: number): void {
  expect(actual).to.be.closeTo(expected, Math.abs(expected) * relative);
}

describe('tile matrix sets (core/grid/tile-matrix-set)', () => {
  it('checks below, one by one, the 65,535 tiles of levels 0 to 7 of both sets', () => {
    let tiles = 0;
    for (const { set } of EXPECTATIONS) for (const _ of everyTile(set, DEEPEST_EXHAUSTIVE_LEVEL)) tiles++;
    // 1 + 4 + ... + 4^7 tiles for a 1 x 1 level 0, twice that for a 2 x 1 one.
    expect(tiles).to.equal(21845 * 3);
  });

  for (const expected of EXPECTATIONS) {
    const { set } = expected;

    describe(set.id, () => {
      describe('matrix size', () => {
        it(`has ${expected.matrixWidth0} x ${expected.matrixHeight0} tiles of ${expected.tileSpan0} CRS units at level 0`, () => {
          expect([matrixWidth(set, 0), matrixHeight(set, 0)]).to.deep.equal([expected.matrixWidth0, expected.matrixHeight0]);
          expect(tileSpan(set, 0)).to.equal(expected.tileSpan0);
        });

        it('doubles the tiles along each axis, and halves their span, at every level', () => {
          for (let z = 1; z <= MAX_ZOOM; z++) {
            expect(matrixWidth(set, z), `width at ${z}`).to.equal(2 * matrixWidth(set, z - 1));
            expect(matrixHeight(set, z), `height at ${z}`).to.equal(2 * matrixHeight(set, z - 1));
            expect(tileSpan(set, z), `span at ${z}`).to.equal(tileSpan(set, z - 1) / 2);
          }
        });

        it(`serves levels 0 to ${MAX_ZOOM}`, () => {
          expect(set.maxZoom).to.equal(MAX_ZOOM);
        });
      });

      describe('tileBounds', () => {
        describe('given level 0', () => {
          it('covers exactly the extent of the CRS', () => {
            const tiles = [...everyTile(set, 0)].map((tile) => tileBounds(set, tile));
            const union = [
              Math.min(...tiles.map((b) => b[0])),
              Math.min(...tiles.map((b) => b[1])),
              Math.max(...tiles.map((b) => b[2])),
              Math.max(...tiles.map((b) => b[3])),
            ];
            expect(union).to.deep.equal(expected.extent);
            const area = tiles.reduce((sum, b) => sum + (b[2] - b[0]) * (b[3] - b[1]), 0);
            const [minX, minY, maxX, maxY] = expected.extent;
            expect(area, 'tiles neither overlap nor leave gaps').to.equal((maxX - minX) * (maxY - minY));
          });
        });

        describe('given every tile of levels 0 to 7', () => {
          it('gives square bounds one tile span wide', () => {
            expect(failuresOver(set, (tile) => {
              const [minX, minY, maxX, maxY] = tileBounds(set, tile);
              const span = tileSpan(set, tile.z);
              const width = maxX - minX;
              const height = maxY - minY;
              return Math.abs(width - span) <= span * 1e-9 && Math.abs(height - span) <= span * 1e-9
                ? null
                : `${width} x ${height}, span ${span}`;
            })).to.deep.equal([]);
          });

          it('round-trips z/x/y through tileBounds and tileFromBounds', () => {
            expect(failuresOver(set, (tile) => {
              const back = tileFromBounds(set, tileBounds(set, tile));
              return back && back.z === tile.z && back.x === tile.x && back.y === tile.y
                ? null
                : `came back as ${back ? name(back) : 'null'}`;
            })).to.deep.equal([]);
          });

          it('gives neighbouring tiles bit-identical edges', () => {
            expect(failuresOver(set, (tile) => {
              const bounds = tileBounds(set, tile);
              if (tile.x + 1 < matrixWidth(set, tile.z)) {
                const east = tileBounds(set, { ...tile, x: tile.x + 1 });
                if (!Object.is(east[0], bounds[2])) return `east edge ${bounds[2]}, east neighbour's west edge ${east[0]}`;
                if (!Object.is(east[1], bounds[1]) || !Object.is(east[3], bounds[3])) return 'east neighbour is not level with it';
              }
              if (tile.y + 1 < matrixHeight(set, tile.z)) {
                const south = tileBounds(set, { ...tile, y: tile.y + 1 });
                if (!Object.is(south[3], bounds[1])) return `south edge ${bounds[1]}, south neighbour's north edge ${south[3]}`;
                if (!Object.is(south[0], bounds[0]) || !Object.is(south[2], bounds[2])) return 'south neighbour is not aligned with it';
              }
              return null;
            })).to.deep.equal([]);
          });

          it('starts each level at the north-west corner of the extent and ends at the south-east one', () => {
            const [minX, minY, maxX, maxY] = expected.extent;
            for (let z = 0; z <= DEEPEST_EXHAUSTIVE_LEVEL; z++) {
              const northWest = tileBounds(set, { z, x: 0, y: 0 });
              const southEast = tileBounds(set, { z, x: matrixWidth(set, z) - 1, y: matrixHeight(set, z) - 1 });
              expect([northWest[0], northWest[3]], `north-west at ${z}`).to.deep.equal([minX, maxY]);
              expect([southEast[2], southEast[1]], `south-east at ${z}`).to.deep.equal([maxX, minY]);
            }
          });
        });
      });

      describe('tileAtPoint', () => {
        describe('given the centre of each tile of levels 0 to 7', () => {
          it('finds that tile', () => {
            expect(failuresOver(set, (tile) => {
              const [minX, minY, maxX, maxY] = tileBounds(set, tile);
              const found = tileAtPoint(set, tile.z, (minX + maxX) / 2, (minY + maxY) / 2);
              return found.z === tile.z && found.x === tile.x && found.y === tile.y ? null : `found ${name(found)}`;
            })).to.deep.equal([]);
          });
        });

        describe("given a point on a tile's west or north edge (the tile's own, as tileBounds gives it)", () => {
          // The documented rule: east and south edges are excluded, so west and north edges
          // belong to the tile. A point on a shared edge must land in the same tile whichever
          // way it was computed.
          it('finds that tile, not its neighbour', () => {
            expect(failuresOver(set, (tile) => {
              const [minX, minY, maxX, maxY] = tileBounds(set, tile);
              const onWest = tileAtPoint(set, tile.z, minX, (minY + maxY) / 2);
              const onNorth = tileAtPoint(set, tile.z, (minX + maxX) / 2, maxY);
              if (onWest.x !== tile.x) return `west edge x=${minX} found column ${onWest.x}`;
              if (onNorth.y !== tile.y) return `north edge y=${maxY} found row ${onNorth.y}`;
              return null;
            })).to.deep.equal([]);
          });
        });

        describe("given a point a hair inside a tile's east or south edge (the next double)", () => {
          it('finds that tile, not its neighbour', () => {
            expect(failuresOver(set, (tile) => {
              const [minX, minY, maxX, maxY] = tileBounds(set, tile);
              const insideEast = tileAtPoint(set, tile.z, nextDouble(maxX, -1), (minY + maxY) / 2);
              const insideSouth = tileAtPoint(set, tile.z, (minX + maxX) / 2, nextDouble(minY, 1));
              if (insideEast.x !== tile.x) return `just inside the east edge ${maxX} found column ${insideEast.x}`;
              if (insideSouth.y !== tile.y) return `just inside the south edge ${minY} found row ${insideSouth.y}`;
              return null;
            })).to.deep.equal([]);
          });
        });

        describe('given a point outside the extent', () => {
          it('clamps it to the nearest tile of the level', () => {
            const [minX, minY, maxX, maxY] = expected.extent;
            expect(tileAtPoint(set, 3, minX - 1, maxY + 1)).to.deep.equal({ z: 3, x: 0, y: 0 });
            expect(tileAtPoint(set, 3, maxX + 1, minY - 1)).to.deep.equal({
              z: 3,
              x: matrixWidth(set, 3) - 1,
              y: matrixHeight(set, 3) - 1,
            });
          });
        });
      });

      describe('scaleDenominator', () => {
        describe('given levels 0 and 1', () => {
          it('equals the OGC 17-083r4 values to 1e-6', () => {
            expectClose(scaleDenominator(set, 0), expected.scaleDenominators[0], 1e-6);
            expectClose(scaleDenominator(set, 1), expected.scaleDenominators[1], 1e-6);
          });

          it('has the OGC cell size at level 0', () => {
            expectClose(cellSize(set, 0), expected.cellSize0, 1e-12);
          });
        });

        describe('given deeper levels', () => {
          it('halves at every level down to the deepest', () => {
            for (let z = 1; z <= MAX_ZOOM; z++) {
              expectClose(scaleDenominator(set, z), expected.scaleDenominators[0] / 2 ** z, 1e-6);
            }
          });
        });
      });

      describe('isTileInSet', () => {
        const lastX = (z: number) => matrixWidth(set, z) - 1;
        const lastY = (z: number) => matrixHeight(set, z) - 1;

        describe('given the corner tiles of a level', () => {
          it('accepts them', () => {
            for (const z of [0, 7, MAX_ZOOM]) {
              for (const tile of [{ z, x: 0, y: 0 }, { z, x: lastX(z), y: lastY(z) }, { z, x: 0, y: lastY(z) }, { z, x: lastX(z), y: 0 }]) {
                expect(isTileInSet(set, tile), name(tile)).to.equal(true);
              }
            }
          });
        });

        const refused: ReadonlyArray<readonly [string, TileCoord]> = [
          ['NaN as z', { z: NaN, x: 0, y: 0 }],
          ['NaN as x', { z: 3, x: NaN, y: 0 }],
          ['NaN as y', { z: 3, x: 0, y: NaN }],
          ['Infinity as x', { z: 3, x: Infinity, y: 0 }],
          ['a fractional z', { z: 2.5, x: 0, y: 0 }],
          ['a fractional x', { z: 3, x: 1.5, y: 0 }],
          ['a fractional y', { z: 3, x: 0, y: 0.000001 }],
          ['a negative z', { z: -1, x: 0, y: 0 }],
          ['a negative x', { z: 3, x: -1, y: 0 }],
          ['a negative y', { z: 3, x: 0, y: -1 }],
          ['x one past the matrix', { z: 3, x: lastX(3) + 1, y: 0 }],
          ['y one past the matrix', { z: 3, x: 0, y: lastY(3) + 1 }],
          ['x past the matrix at level 0', { z: 0, x: lastX(0) + 1, y: 0 }],
          ['y past the matrix at level 0', { z: 0, x: 0, y: lastY(0) + 1 }],
          ['z one above maxZoom', { z: MAX_ZOOM + 1, x: 0, y: 0 }],
        ];
        for (const [what, tile] of refused) {
          describe(`given ${what}`, () => {
            it('refuses it', () => {
              expect(isTileInSet(set, tile)).to.equal(false);
            });
          });
        }
      });

      describe('tileFromBounds', () => {
        const tile = { z: 5, x: 3, y: 7 };
        const [minX, minY, maxX, maxY] = tileBounds(set, tile);
        const span = tileSpan(set, tile.z);

        describe('given bounds within a millionth of a tile of a tile', () => {
          it('returns that tile', () => {
            const nudge = span * 1e-8;
            expect(tileFromBounds(set, [minX + nudge, minY - nudge, maxX - nudge, maxY + nudge])).to.deep.equal(tile);
          });
        });

        const notTiles: ReadonlyArray<readonly [string, Bounds]> = [
          ['shifted by half a tile', [minX + span / 2, minY, maxX + span / 2, maxY]],
          ['shifted by a thousandth of a tile', [minX + span / 1000, minY, maxX + span / 1000, maxY]],
          ['not square', [minX, minY, maxX + span, maxY]],
          ['one and a half tiles wide', [minX, minY - span / 2, maxX + span / 2, maxY]],
          ['of zero width', [minX, minY, minX, minY]],
          ['inverted (max before min)', [maxX, maxY, minX, minY]],
          ['with a NaN', [minX, NaN, maxX, maxY]],
          ['twice as wide as a level-0 tile', [-expected.tileSpan0, -expected.tileSpan0, expected.tileSpan0, expected.tileSpan0]],
          ['one level deeper than maxZoom', [expected.extent[0], expected.extent[3] - tileSpan(set, MAX_ZOOM + 1), expected.extent[0] + tileSpan(set, MAX_ZOOM + 1), expected.extent[3]]],
          ['a tile just east of the matrix', [expected.extent[2], maxY - span, expected.extent[2] + span, maxY]],
          ['a tile just north of the matrix', [minX, expected.extent[3], maxX, expected.extent[3] + span]],
        ];
        for (const [what, bounds] of notTiles) {
          describe(`given bounds ${what}`, () => {
            it('returns null', () => {
              expect(tileFromBounds(set, bounds)).to.equal(null);
            });
          });
        }
      });
    });
  }
});
