import { expect } from 'chai';
import { decimalExponent, estimateCoordinateResolution } from '../../../pipeline/crs/coordinate-resolution.js';
import { sampleFixture } from '../../support/sample-fixture.js';

/** Vertices of the suite's sample parcels (Liaocheng), interleaved x, y, as PostGIS gives them in `srid`. */
async function sampleVertices(srid: number): Promise<number[]> {
  const { rows } = await sampleFixture().pool.query<{ x: number; y: number }>(
    `SELECT ST_X(p.geom) AS x, ST_Y(p.geom) AS y
       FROM (SELECT geom FROM live.landuse ORDER BY 1 LIMIT 300) AS parcel, ST_DumpPoints(ST_Transform(parcel.geom, $1::int)) AS p`,
    [srid],
  );
  return rows.flatMap((row) => [row.x, row.y]);
}

function roundedTo(values: readonly number[], step: number): number[] {
  // Rounding in decimal text, as a writer does: x.toFixed, not Math.round(x / step) * step.
  return values.map((value) => (step >= 1 ? Math.round(value / step) * step : Number(value.toFixed(-Math.log10(step)))));
}

describe('estimateCoordinateResolution (pipeline/crs/coordinate-resolution)', () => {
  describe('given Gauss-Kruger coordinates (zone 39) written to a given step', () => {
    for (const step of [0.0001, 0.001, 0.01, 0.1, 1, 10]) {
      it(`finds ${step} m`, async () => {
        const resolution = estimateCoordinateResolution(roundedTo(await sampleVertices(4527), step), 'metre')!;
        expect(resolution.stepX).to.equal(step);
        expect(resolution.stepY).to.equal(step);
        expect(resolution.groundStepMetres).to.equal(step);
      });
    }

    it('finds full double precision finer than a micrometre', async () => {
      expect(estimateCoordinateResolution(await sampleVertices(4527), 'metre')!.groundStepMetres).to.be.below(1e-6);
    });
  });

  describe('given a 10 m delivery with a few computed vertices', () => {
    it('reports the 10 m the delivery is written with, and the finest step apart', async () => {
      const coordinates = roundedTo(await sampleVertices(4527), 10);
      for (let i = 0; i < coordinates.length; i += 40) coordinates[i] = coordinates[i]! + 0.123456789; // 1 x in 20
      const resolution = estimateCoordinateResolution(coordinates, 'metre')!;
      expect(resolution).to.include({ stepX: 10, stepY: 10, groundStepMetres: 10, finestStepY: 10 });
      // A double near 39 470 000 holds 8 decimals of the 9 added.
      expect(resolution.finestStepX).to.equal(1e-8);
    });
  });

  describe('given CGCS2000 longitude/latitude', () => {
    it('converts the step to metres at the sample\'s latitude, as PostGIS measures on the ellipsoid', async () => {
      const vertices = await sampleVertices(4490);
      const { rows } = await sampleFixture().pool.query<{ latitude_metres: number }>(
        `SELECT ST_Distance(ST_SetSRID(ST_MakePoint(116, 37.03), 4490)::geography, ST_SetSRID(ST_MakePoint(116, 37.03001), 4490)::geography, true) AS latitude_metres`);
      const metresPer1e5Degree = rows[0]!.latitude_metres;
      const sixDecimals = estimateCoordinateResolution(roundedTo(vertices, 1e-6), 'degree')!;
      expect(sixDecimals).to.include({ stepX: 1e-6, stepY: 1e-6 });
      // A degree of latitude is longer than one of longitude at 36°N: latitude decides.
      expect(sixDecimals.groundStepMetres).to.be.closeTo(metresPer1e5Degree / 10, 0.001);
      expect(sixDecimals.groundStepMetres).to.be.below(1);
      const fiveDecimals = estimateCoordinateResolution(roundedTo(vertices, 1e-5), 'degree')!;
      expect(fiveDecimals.groundStepMetres).to.be.closeTo(metresPer1e5Degree, 0.01);
      expect(fiveDecimals.groundStepMetres).to.be.above(1);
    });
  });

  describe('given nothing to judge by', () => {
    it('answers null', () => {
      expect(estimateCoordinateResolution([], 'metre')).to.equal(null);
      expect(estimateCoordinateResolution([0, 4_030_000.5], 'metre')).to.equal(null);
    });
  });

  describe('given values that are not coordinates', () => {
    it('throws RangeError', () => {
      expect(() => estimateCoordinateResolution([39_470_000], 'metre')).to.throw(RangeError, /x, y pairs/);
      expect(() => estimateCoordinateResolution([39_470_000, NaN], 'metre')).to.throw(RangeError, /coordinate 0 is not a finite number/);
    });
  });

  describe('what it cannot see', () => {
    it('takes float32 rounding (4 m steps near 39 000 000) for whole metres', () => {
      const coordinates = [39_470_123.456, 4_030_120.789, 39_470_321.987, 4_030_456.123].map(Math.fround);
      expect(coordinates[0]).to.equal(39_470_124);
      expect(estimateCoordinateResolution(coordinates, 'metre')!.stepX).to.equal(1);
    });
  });

  describe('decimalExponent', () => {
    for (const [value, exponent] of [
      [39_470_123.456, -3],
      [4_030_120, 1],
      [4_030_000, 4],
      [0.1, -1],
      [-2.5, -1],
      [116.123456, -6],
      [1.5e-7, -8],
      [1e21, 21],
      [5e-324, -324],
    ] as const) {
      it(`is ${exponent} for ${value}`, () => {
        expect(decimalExponent(value)).to.equal(exponent);
      });
    }
  });
});
