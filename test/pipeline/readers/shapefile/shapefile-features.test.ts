import { expect } from 'chai';
import type { MultiPolygon, Polygon } from 'geojson';
import { readFile, rename } from 'node:fs/promises';
import { openShapefile } from '../../../../pipeline/readers/shapefile/open-shapefile.js';
import { multiPointRecord, nullRecord, partsRecord, pointRecord, writeRawShapes, type XY } from './raw-shapes.js';
import { makeTempDir, patchFile, readAll, removeTempDir, sibling, square, writeShapefile, writeText, type TestFeature } from './shapefile-files.js';

const CGCS2000_GK_ZONE_39 =
  'PROJCS["CGCS2000_3_Degree_GK_Zone_39",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",39500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]';

/** A parcel with a courtyard (hole), in RFC 7946 orientation: shell counter-clockwise, hole clockwise. */
const WITH_HOLE: Polygon = {
  type: 'Polygon',
  coordinates: [
    [[39468123.456, 4035127.891], [39468223.457, 4035127.892], [39468223.458, 4035227.893], [39468123.459, 4035227.894], [39468123.456, 4035127.891]],
    [[39468150.001, 4035150.002], [39468150.003, 4035180.004], [39468180.005, 4035180.006], [39468180.007, 4035150.008], [39468150.001, 4035150.002]],
  ],
};

/** Two parts, the second with two holes, one of them touching its shell at a vertex. */
const MULTI: MultiPolygon = {
  type: 'MultiPolygon',
  coordinates: [
    square(39470000.001, 4036000.002, 5).coordinates,
    [
      [[39471000.111, 4037000.222], [39471100.333, 4037000.444], [39471100.555, 4037100.666], [39471000.777, 4037100.888], [39471000.111, 4037000.222]],
      [[39471010.1, 4037010.2], [39471010.3, 4037020.4], [39471020.5, 4037020.6], [39471010.1, 4037010.2]],
      [[39471100.333, 4037000.444], [39471050.1, 4037050.2], [39471090.3, 4037050.4], [39471100.333, 4037000.444]],
    ],
  ],
};

const XY_OF = (x: number, y: number): XY => [x, y];

describe('openShapefile: features (pipeline/readers/shapefile)', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await removeTempDir(dir);
  });

  describe('given polygons with holes and multipolygons at Gauss-Kruger millimetre precision', () => {
    it('reads every coordinate back bit for bit, in RFC 7946 orientation', async () => {
      const features: TestFeature[] = [
        { properties: { BSM: '1' }, geometry: WITH_HOLE },
        { properties: { BSM: '2' }, geometry: MULTI },
        { properties: { BSM: '3' }, geometry: square(39468123.456, 4035127.891) },
      ];
      const read = await readAll(await openShapefile(await writeShapefile(dir, 'dltb', features)));
      expect(read.map((feature) => feature.geometry)).to.deep.equal(features.map((feature) => feature.geometry));
      expect(read.map((feature) => feature.index)).to.deep.equal([1, 2, 3]);
    });
  });

  describe('given GeoJSON rings in the shapefile orientation (shell clockwise)', () => {
    it('reads them back reversed, in RFC 7946 orientation', async () => {
      const ring = square(39468123.456, 4035127.891).coordinates[0]!;
      const clockwise: Polygon = { type: 'Polygon', coordinates: [[...ring].reverse()] };
      const [feature] = await readAll(await openShapefile(await writeShapefile(dir, 'dltb', [{ properties: {}, geometry: clockwise }])));
      expect(feature!.geometry).to.deep.equal({ type: 'Polygon', coordinates: [ring] });
    });
  });

  describe('given a Polygon record listing a hole before its shell, and an island inside a lake', () => {
    // Shell A (clockwise) holds lake L (counter-clockwise); island B (clockwise) sits in L and holds pond P.
    const A: XY[] = [[0, 0], [0, 100], [100, 100], [100, 0], [0, 0]];
    const L: XY[] = [[10, 10], [90, 10], [90, 90], [10, 90], [10, 10]];
    const B: XY[] = [[20, 20], [20, 80], [80, 80], [80, 20], [20, 20]];
    const P: XY[] = [[30, 30], [70, 30], [70, 70], [30, 70], [30, 30]];

    it('gives each hole to the smallest shell that contains it', async () => {
      const shp = await writeShapefile(dir, 'lake', [{ properties: {}, geometry: null }]);
      await writeRawShapes(shp, 5, [partsRecord(5, [P, A, L, B])]);
      const [feature] = await readAll(await openShapefile(shp));
      const reversed = (ring: XY[]) => [...ring].reverse();
      expect(feature!.geometry).to.deep.equal({ type: 'MultiPolygon', coordinates: [[reversed(A), reversed(L)], [reversed(B), reversed(P)]] });
    });
  });

  describe('given a counter-clockwise ring inside no clockwise ring', () => {
    it('reads it as a shell of its own (writers get orientation wrong; the ring is data)', async () => {
      const shell: XY[] = [[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]];
      const stray: XY[] = [[20, 0], [30, 0], [30, 10], [20, 10], [20, 0]];
      const shp = await writeShapefile(dir, 'stray', [{ properties: {}, geometry: null }]);
      await writeRawShapes(shp, 5, [partsRecord(5, [shell, stray])]);
      const [feature] = await readAll(await openShapefile(shp));
      expect(feature!.geometry).to.deep.equal({ type: 'MultiPolygon', coordinates: [[[...shell].reverse()], [stray]] });
    });
  });

  describe('given points, multipoints and polylines, with Z and M', () => {
    const cases: ReadonlyArray<readonly [string, number, Buffer, unknown]> = [
      ['Point', 1, pointRecord(1, [39468123.456, 4035127.891]), { type: 'Point', coordinates: [39468123.456, 4035127.891] }],
      ['PointZ', 11, pointRecord(11, [1.5, 2.5]), { type: 'Point', coordinates: [1.5, 2.5] }],
      ['PointM', 21, pointRecord(21, [1.5, 2.5]), { type: 'Point', coordinates: [1.5, 2.5] }],
      ['MultiPoint', 8, multiPointRecord(8, [XY_OF(1, 2), XY_OF(3, 4)]), { type: 'MultiPoint', coordinates: [[1, 2], [3, 4]] }],
      ['MultiPointZ', 18, multiPointRecord(18, [XY_OF(1, 2)]), { type: 'MultiPoint', coordinates: [[1, 2]] }],
      ['PolyLine of one part', 3, partsRecord(3, [[XY_OF(0, 0), XY_OF(1, 1), XY_OF(2, 0)]]), { type: 'LineString', coordinates: [[0, 0], [1, 1], [2, 0]] }],
      ['PolyLineZ of two parts', 13, partsRecord(13, [[XY_OF(0, 0), XY_OF(1, 1)], [XY_OF(5, 5), XY_OF(6, 6)]]), { type: 'MultiLineString', coordinates: [[[0, 0], [1, 1]], [[5, 5], [6, 6]]] }],
      ['PolyLineM', 23, partsRecord(23, [[XY_OF(0, 0), XY_OF(1, 1)]]), { type: 'LineString', coordinates: [[0, 0], [1, 1]] }],
      ['PolygonZ', 15, partsRecord(15, [[XY_OF(0, 0), XY_OF(0, 1), XY_OF(1, 1), XY_OF(0, 0)]]), { type: 'Polygon', coordinates: [[[0, 0], [1, 1], [0, 1], [0, 0]]] }],
      ['PolygonM', 25, partsRecord(25, [[XY_OF(0, 0), XY_OF(0, 1), XY_OF(1, 1), XY_OF(0, 0)]]), { type: 'Polygon', coordinates: [[[0, 0], [1, 1], [0, 1], [0, 0]]] }],
    ];
    for (const [name, type, record, geometry] of cases) {
      it(`reads a ${name} as 2D GeoJSON`, async () => {
        const shp = await writeShapefile(dir, 'shapes', [{ properties: {}, geometry: null }, { properties: {}, geometry: null }]);
        await writeRawShapes(shp, type, [record, nullRecord()]);
        const read = await readAll(await openShapefile(shp));
        expect(read.map((feature) => feature.geometry)).to.deep.equal([geometry, null]);
      });
    }
  });

  describe('given null shapes', () => {
    it('reads them as features with a null geometry and their attributes', async () => {
      const read = await readAll(await openShapefile(await writeShapefile(dir, 'dltb', [
        { properties: { DLMC: '水田' }, geometry: null },
        { properties: { DLMC: '旱地' }, geometry: square(39468123.456, 4035127.891) },
      ])));
      expect(read.map((feature) => [feature.geometry?.type ?? null, feature.properties.DLMC])).to.deep.equal([[null, '水田'], ['Polygon', '旱地']]);
    });
  });

  describe('given C, N, F, D and L fields with values and blanks', () => {
    const fields = [
      { name: 'DLMC', type: 'C', length: 20 },
      { name: 'SJNF', type: 'N', length: 4 },
      { name: 'TBMJ', type: 'N', length: 19, decimals: 2 },
      { name: 'KCXS', type: 'F', length: 10, decimals: 4 },
      { name: 'GXSJ', type: 'D' },
      { name: 'SFJBNT', type: 'L' },
    ] as const;

    it('declares the fields with their types', async () => {
      const source = await openShapefile(await writeShapefile(dir, 'typed', [], { fields }));
      expect(source.fields).to.deep.equal([
        { name: 'DLMC', type: 'string' },
        { name: 'SJNF', type: 'integer' },
        { name: 'TBMJ', type: 'number' },
        { name: 'KCXS', type: 'number' },
        { name: 'GXSJ', type: 'date' },
        { name: 'SFJBNT', type: 'boolean' },
      ]);
      await source.close();
    });

    it('reads numbers, ISO dates, booleans, and blanks as null', async () => {
      const values = [
        { DLMC: '  水田', SJNF: 2023, TBMJ: 1234567.89, KCXS: 0.1234, GXSJ: '2023-12-31', SFJBNT: true },
        { DLMC: '旱地  ', SJNF: -5, TBMJ: -0.5, KCXS: 12345.6789, GXSJ: '2020-02-29', SFJBNT: false },
        { DLMC: null, SJNF: null, TBMJ: null, KCXS: null, GXSJ: null, SFJBNT: null },
        { DLMC: '', SJNF: 0, TBMJ: 0, KCXS: 0 },
      ];
      const read = await readAll(await openShapefile(await writeShapefile(dir, 'typed', values.map((properties) => ({ properties, geometry: null })), { fields })));
      expect(read.map((feature) => feature.properties)).to.deep.equal([
        { DLMC: '  水田', SJNF: 2023, TBMJ: 1234567.89, KCXS: 0.1234, GXSJ: '2023-12-31', SFJBNT: true },
        { DLMC: '旱地', SJNF: -5, TBMJ: -0.5, KCXS: 12345.6789, GXSJ: '2020-02-29', SFJBNT: false },
        { DLMC: null, SJNF: null, TBMJ: null, KCXS: null, GXSJ: null, SFJBNT: null },
        { DLMC: null, SJNF: 0, TBMJ: 0, KCXS: 0, GXSJ: null, SFJBNT: null },
      ]);
    });
  });

  describe('given numeric fields filled with asterisks, as GDAL (shapelib) writes null numbers', () => {
    it('reads them as null', async () => {
      const fields = [{ name: 'SJNF', type: 'N', length: 4 }, { name: 'TBMJ', type: 'N', length: 19, decimals: 2 }] as const;
      const shp = await writeShapefile(dir, 'gdal', [{ properties: { SJNF: 2023, TBMJ: 1.5 }, geometry: null }], { fields });
      const dbf = await readFile(sibling(shp, 'dbf'));
      await patchFile(sibling(shp, 'dbf'), dbf.readUInt16LE(8) + 1, Buffer.from('*'.repeat(4 + 19)));
      const [feature] = await readAll(await openShapefile(shp));
      expect(feature!.properties).to.deep.equal({ SJNF: null, TBMJ: null });
    });
  });

  describe('given a .prj', () => {
    it('states its WKT as the CRS, as written', async () => {
      const source = await openShapefile(await writeShapefile(dir, 'dltb', [], { prj: CGCS2000_GK_ZONE_39 }));
      expect(source.crs).to.deep.equal({ kind: 'wkt', wkt: CGCS2000_GK_ZONE_39 });
      await source.close();
    });
  });

  describe('given no .prj', () => {
    it('states no CRS', async () => {
      const source = await openShapefile(await writeShapefile(dir, 'dltb', [], { prj: null }));
      expect(source.crs).to.equal(null);
      await source.close();
    });
  });

  describe('given files named in mixed case (DLTB.shp, DLTB.DBF, DLTB.SHX, DLTB.CPG)', () => {
    it('finds them', async () => {
      const shp = await writeShapefile(dir, 'DLTB', [{ properties: { DLMC: '水田' }, geometry: null }]);
      for (const extension of ['dbf', 'shx', 'cpg']) await rename(sibling(shp, extension), sibling(shp, extension.toUpperCase()));
      const source = await openShapefile(shp);
      expect(source.encoding.origin).to.equal('cpg');
      expect((await readAll(source))[0]!.properties.DLMC).to.equal('水田');
    });
  });

  describe('given a record the .dbf marks deleted', () => {
    it('skips it, and the other features keep their positions as index', async () => {
      const shp = await writeShapefile(dir, 'dltb', ['水田', '旱地', '林地'].map((DLMC) => ({ properties: { DLMC }, geometry: null })));
      const dbf = await readFile(sibling(shp, 'dbf'));
      const headerBytes = dbf.readUInt16LE(8);
      const recordBytes = dbf.readUInt16LE(10);
      await patchFile(sibling(shp, 'dbf'), headerBytes + recordBytes, Buffer.from('*'));
      const read = await readAll(await openShapefile(shp));
      expect(read.map((feature) => [feature.index, feature.properties.DLMC])).to.deep.equal([[1, '水田'], [3, '林地']]);
    });
  });

  describe('given a source already read', () => {
    it('refuses to read it again, saying so', async () => {
      const source = await openShapefile(await writeShapefile(dir, 'dltb', [{ properties: {}, geometry: null }]));
      for await (const feature of source.features()) expect(feature.index).to.equal(1);
      expect(() => source.features()).to.throw(Error, /features\(\) can be read once; open the shapefile again/);
      await source.close();
    });
  });

  describe('given a closed source', () => {
    it('refuses to read it, and closing again is harmless', async () => {
      const source = await openShapefile(await writeShapefile(dir, 'dltb', []));
      await source.close();
      await source.close();
      expect(() => source.features()).to.throw(Error, /features\(\) called after close\(\)/);
    });
  });

  describe('given an aborted signal', () => {
    it('stops reading with the abort reason', async () => {
      const source = await openShapefile(await writeShapefile(dir, 'dltb', [1, 2, 3].map(() => ({ properties: {}, geometry: null }))));
      const controller = new AbortController();
      const seen: number[] = [];
      const reason = new Error('import cancelled');
      const error = await (async () => {
        for await (const feature of source.features(controller.signal)) {
          seen.push(feature.index);
          controller.abort(reason);
        }
      })().then(() => null, (caught: unknown) => caught);
      await source.close();
      expect(error).to.equal(reason);
      expect(seen).to.deep.equal([1]);
    });
  });
});
