import { expect } from 'chai';
import type { Geometry, MultiPolygon, Polygon } from 'geojson';
import { join } from 'node:path';
import { openGeoPackage } from '../../../../pipeline/readers/geopackage/open-geopackage.js';
import { emptyPointBlob, geometryBlob, type BlobOptions } from './geometry-blobs.js';
import { editGeoPackage, EPSG_4527, MULTI, makeTempDir, readAll, removeTempDir, square, WITH_HOLE, writeGeoPackage, type ColumnSpec, type TableSpec } from './geopackage-files.js';

const PARCEL_COLUMNS: readonly ColumnSpec[] = [
  { name: 'BSM', type: 'TEXT(18)' },
  { name: 'DLBM', type: 'TEXT(5)' },
  { name: 'DLMC', type: 'TEXT(60)' },
  { name: 'QSDWMC', type: 'TEXT(60)' },
  { name: 'TBMJ', type: 'DOUBLE' },
  { name: 'SJNF', type: 'INTEGER' },
];

const SRS = { srsId: 4527 } as const;

/** `geometry` reversed ring by ring: exteriors clockwise and holes counter-clockwise, as ESRI writes them. */
function reverseRings<G extends Polygon | MultiPolygon>(geometry: G): G {
  const reverse = (rings: number[][][]) => rings.map((ring) => [...ring].reverse());
  return (geometry.type === 'Polygon'
    ? { type: 'Polygon', coordinates: reverse(geometry.coordinates) }
    : { type: 'MultiPolygon', coordinates: geometry.coordinates.map(reverse) }) as G;
}

function parcels(geometries: readonly (Geometry | null)[], options: Partial<BlobOptions> = {}): TableSpec {
  return {
    name: 'dltb',
    srsId: 4527,
    columns: PARCEL_COLUMNS,
    rows: geometries.map((geometry, i) => ({ geometry: geometry === null ? null : geometryBlob(geometry, { ...SRS, ...options }), values: { BSM: `37150200000000000${i + 1}` } })),
  };
}

describe('openGeoPackage: features (pipeline/readers/geopackage)', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await removeTempDir(dir);
  });

  describe('given 三调 parcels with Chinese attributes in EPSG:4527', () => {
    let path: string;

    beforeEach(() => {
      path = writeGeoPackage(join(dir, 'dltb.gpkg'), {
        srs: [EPSG_4527],
        tables: [
          {
            name: 'dltb',
            srsId: 4527,
            columns: PARCEL_COLUMNS,
            rows: [
              { geometry: geometryBlob(square(39468123.456, 4035127.891), SRS), values: { BSM: '371502000000000001', DLBM: '0101', DLMC: '水田', QSDWMC: '张庄村民委员会', TBMJ: 100.25, SJNF: 2023 } },
              { geometry: geometryBlob(WITH_HOLE, SRS), values: { BSM: '371502000000000002', DLBM: '0702', DLMC: '农村宅基地', QSDWMC: '李家村民委员会', TBMJ: 9100.5, SJNF: 2023 } },
              { geometry: geometryBlob(MULTI, SRS), values: { BSM: '371502000000000003', DLBM: '0103', DLMC: '旱地', QSDWMC: null, TBMJ: null, SJNF: null } },
            ],
          },
        ],
      });
    });

    it('declares EPSG:4527, from gpkg_spatial_ref_sys', async () => {
      const source = await openGeoPackage(path);
      await source.close();
      expect(source.crs).to.deep.equal({ kind: 'epsg', code: 4527 });
    });

    it('says how many features the table holds before any is read (progress, ETA)', async () => {
      const source = await openGeoPackage(path);
      await source.close();
      expect(source.featureCount).to.equal(3);
    });

    it('lists the attribute columns as fields, without fid and geometry', async () => {
      const source = await openGeoPackage(path);
      await source.close();
      expect(source.fields).to.deep.equal([
        { name: 'BSM', type: 'string' },
        { name: 'DLBM', type: 'string' },
        { name: 'DLMC', type: 'string' },
        { name: 'QSDWMC', type: 'string' },
        { name: 'TBMJ', type: 'number' },
        { name: 'SJNF', type: 'integer' },
      ]);
      expect(source.table).to.equal('dltb');
      expect(source.skippedColumns).to.deep.equal([]);
    });

    it('reads the attributes as written, numbered from 1', async () => {
      const read = await readAll(await openGeoPackage(path));
      expect(read.map((feature) => feature.index)).to.deep.equal([1, 2, 3]);
      expect(read.map((feature) => feature.properties)).to.deep.equal([
        { BSM: '371502000000000001', DLBM: '0101', DLMC: '水田', QSDWMC: '张庄村民委员会', TBMJ: 100.25, SJNF: 2023 },
        { BSM: '371502000000000002', DLBM: '0702', DLMC: '农村宅基地', QSDWMC: '李家村民委员会', TBMJ: 9100.5, SJNF: 2023 },
        { BSM: '371502000000000003', DLBM: '0103', DLMC: '旱地', QSDWMC: null, TBMJ: null, SJNF: null },
      ]);
    });

    it('reads polygons with holes and multipolygons back bit for bit', async () => {
      const read = await readAll(await openGeoPackage(path));
      expect(read.map((feature) => feature.geometry)).to.deep.equal([square(39468123.456, 4035127.891), WITH_HOLE, MULTI]);
      const firstX = (read[1]!.geometry as Polygon).coordinates[0]![0]![0]!;
      expect(Object.is(firstX, 39468123.456)).to.equal(true);
    });

    it('names the file by its label when given one', async () => {
      const source = await openGeoPackage(path, { label: 'delivery.zip!/三调/dltb.gpkg' });
      await source.close();
      expect(source.file).to.equal('delivery.zip!/三调/dltb.gpkg');
    });

    it('can be read again after a first reading ends', async () => {
      const source = await openGeoPackage(path);
      try {
        for (let pass = 0; pass < 2; pass++) {
          const indexes: number[] = [];
          for await (const feature of source.features()) indexes.push(feature.index);
          expect(indexes).to.deep.equal([1, 2, 3]);
        }
      } finally {
        await source.close();
      }
    });

    it('stops a reading that its signal aborts', async () => {
      const source = await openGeoPackage(path);
      const controller = new AbortController();
      const seen: number[] = [];
      const error = await (async () => {
        for await (const feature of source.features(controller.signal)) {
          seen.push(feature.index);
          controller.abort(new Error('import cancelled'));
        }
      })().then(() => null, (caught: unknown) => caught);
      await source.close();
      expect(seen).to.deep.equal([1]);
      expect((error as Error).message).to.equal('import cancelled');
    });

    it('fails a reading cut off by close(), instead of ending it as if the table had no more rows', async () => {
      const source = await openGeoPackage(path);
      const iterator = source.features()[Symbol.asyncIterator]();
      expect((await iterator.next()).value).to.include({ index: 1 });
      await source.close();
      const error = await iterator.next().then(() => null, (caught: unknown) => caught);
      expect((error as Error).message).to.equal(`${path}: the feature source was closed while its features were read`);
      await source.close();
    });
  });

  describe('given rings wound the other way (exteriors clockwise, holes counter-clockwise)', () => {
    it('reads them back in RFC 7946 orientation', async () => {
      const path = writeGeoPackage(join(dir, 'cw.gpkg'), { srs: [EPSG_4527], tables: [parcels([reverseRings(WITH_HOLE), reverseRings(MULTI)])] });
      const read = await readAll(await openGeoPackage(path));
      expect(read.map((feature) => feature.geometry)).to.deep.equal([WITH_HOLE, MULTI]);
    });
  });

  describe('given blobs in every byte order and dimension a writer may use', () => {
    const variants: ReadonlyArray<[string, Partial<BlobOptions>]> = [
      ['big-endian, with an xy envelope', { isBigEndian: true, hasEnvelope: true }],
      ['XYZ, ISO type codes (1006)', { dimensions: 'xyz' }],
      ['XYM, ISO type codes (2006)', { dimensions: 'xym' }],
      ['XYZM, ISO type codes (3006), big-endian', { dimensions: 'xyzm', isBigEndian: true }],
      ['XYZ, EWKB flags (0x80000006)', { dimensions: 'xyz', typeCodes: 'ewkb' }],
      ['XYZM, EWKB flags (0xC0000006)', { dimensions: 'xyzm', typeCodes: 'ewkb' }],
    ];
    for (const [name, options] of variants) {
      it(`reads ${name} as the same 2D geometry`, async () => {
        const path = writeGeoPackage(join(dir, 'variant.gpkg'), { srs: [EPSG_4527], tables: [parcels([MULTI, WITH_HOLE], options)] });
        const read = await readAll(await openGeoPackage(path));
        expect(read.map((feature) => feature.geometry)).to.deep.equal([MULTI, WITH_HOLE]);
      });
    }
  });

  describe('given points, lines and their multi forms', () => {
    it('reads each as its GeoJSON type', async () => {
      const geometries: Geometry[] = [
        { type: 'Point', coordinates: [39468123.456, 4035127.891] },
        { type: 'MultiPoint', coordinates: [[39468123.456, 4035127.891], [39468124.5, 4035128.5]] },
        { type: 'LineString', coordinates: [[39468123.456, 4035127.891], [39468223.457, 4035127.892]] },
        { type: 'MultiLineString', coordinates: [[[1, 2], [3, 4]], [[5, 6], [7, 8], [9, 10]]] },
      ];
      const path = writeGeoPackage(join(dir, 'mixed.gpkg'), { srs: [EPSG_4527], tables: [{ ...parcels(geometries), geometryType: 'GEOMETRY' }] });
      const read = await readAll(await openGeoPackage(path));
      expect(read.map((feature) => feature.geometry)).to.deep.equal(geometries);
    });
  });

  describe('given a GeometryCollection of polygons', () => {
    it('reads it as a GeoJSON GeometryCollection, each polygon in RFC 7946 orientation', async () => {
      const collection: Geometry = { type: 'GeometryCollection', geometries: [reverseRings(WITH_HOLE), square(39470000.001, 4036000.002)] };
      const path = writeGeoPackage(join(dir, 'gc.gpkg'), { srs: [EPSG_4527], tables: [{ ...parcels([collection]), geometryType: 'GEOMETRYCOLLECTION' }] });
      const read = await readAll(await openGeoPackage(path));
      expect(read[0]!.geometry).to.deep.equal({ type: 'GeometryCollection', geometries: [WITH_HOLE, square(39470000.001, 4036000.002)] });
    });
  });

  describe('given features without geometry: NULL, the empty flag, POINT EMPTY, and a multipolygon of no polygons', () => {
    it('reads each with a null geometry', async () => {
      const table = parcels([]);
      const path = writeGeoPackage(join(dir, 'empty.gpkg'), {
        srs: [EPSG_4527],
        tables: [
          {
            ...table,
            rows: [
              { geometry: null },
              { geometry: emptyPointBlob(4527) },
              { geometry: geometryBlob({ type: 'Point', coordinates: [Number.NaN, Number.NaN] }, SRS) },
              { geometry: geometryBlob({ type: 'MultiPolygon', coordinates: [] }, SRS) },
              { geometry: geometryBlob({ type: 'Polygon', coordinates: [] }, { ...SRS, isEmpty: true }) },
            ],
          },
        ],
      });
      const read = await readAll(await openGeoPackage(path));
      expect(read.map((feature) => [feature.index, feature.geometry])).to.deep.equal([[1, null], [2, null], [3, null], [4, null], [5, null]]);
    });
  });

  describe('given fids out of insertion order, with gaps', () => {
    it('reads the rows in fid order, numbering them by position', async () => {
      const table = parcels([]);
      const path = writeGeoPackage(join(dir, 'fids.gpkg'), {
        srs: [EPSG_4527],
        tables: [
          {
            ...table,
            rows: [30, 10, 20].map((fid) => ({ fid, geometry: geometryBlob(square(39468000 + fid, 4035000), SRS), values: { BSM: `fid ${fid}` } })),
          },
        ],
      });
      const read = await readAll(await openGeoPackage(path));
      expect(read.map((feature) => [feature.index, feature.properties.BSM])).to.deep.equal([[1, 'fid 10'], [2, 'fid 20'], [3, 'fid 30']]);
    });
  });

  describe('given a srs defined only by its WKT (organization NONE)', () => {
    it('declares the WKT', async () => {
      const definition = EPSG_4527.definition.replace(',AUTHORITY["EPSG","4527"]', '');
      const path = writeGeoPackage(join(dir, 'wkt.gpkg'), {
        srs: [{ srsId: 100001, name: 'CGCS2000 GK 39', organization: 'NONE', organizationCoordsysId: 100001, definition }],
        tables: [{ ...parcels([]), srsId: 100001 }],
      });
      const source = await openGeoPackage(path);
      await source.close();
      expect(source.crs).to.deep.equal({ kind: 'wkt', wkt: definition });
    });
  });

  describe('given a srs whose only definition is in the CRS WKT extension (definition_12_063)', () => {
    it('declares that WKT', async () => {
      const wkt2 = 'PROJCRS["CGCS2000 / 3-degree Gauss-Kruger zone 39",BASEGEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101]]],CONVERSION["Gauss-Kruger zone 39",METHOD["Transverse Mercator"]]]';
      const path = writeGeoPackage(join(dir, 'wkt2.gpkg'), {
        srs: [{ srsId: 100002, name: 'GK 39', organization: 'NONE', organizationCoordsysId: 100002, definition: 'undefined' }],
        tables: [{ ...parcels([]), srsId: 100002 }],
      });
      editGeoPackage(path, `ALTER TABLE gpkg_spatial_ref_sys ADD COLUMN definition_12_063 TEXT NOT NULL DEFAULT 'undefined';
        UPDATE gpkg_spatial_ref_sys SET definition_12_063 = '${wkt2}' WHERE srs_id = 100002;`);
      const source = await openGeoPackage(path);
      await source.close();
      expect(source.crs).to.deep.equal({ kind: 'wkt', wkt: wkt2 });
    });
  });

  for (const srsId of [0, -1]) {
    describe(`given srs_id ${srsId} (undefined ${srsId === 0 ? 'geographic' : 'Cartesian'})`, () => {
      it('declares no CRS', async () => {
        const path = writeGeoPackage(join(dir, 'undefined.gpkg'), { tables: [{ ...parcels([]), srsId }] });
        const source = await openGeoPackage(path);
        await source.close();
        expect(source.crs).to.equal(null);
      });
    });
  }

  describe('given two feature tables', () => {
    let path: string;

    beforeEach(() => {
      path = writeGeoPackage(join(dir, 'two.gpkg'), {
        srs: [EPSG_4527],
        tables: [
          { name: 'DLTB', srsId: 4527, columns: [{ name: 'DLMC', type: 'TEXT' }], rows: [{ geometry: geometryBlob(square(1, 2), SRS), values: { DLMC: '水田' } }] },
          { name: 'XZQ', srsId: 4527, columns: [{ name: 'XZQMC', type: 'TEXT' }], rows: [{ geometry: geometryBlob(MULTI, SRS), values: { XZQMC: '张庄村' } }] },
        ],
      });
    });

    it('reads the table the table option names', async () => {
      const read = await readAll(await openGeoPackage(path, { table: 'XZQ' }));
      expect(read).to.deep.equal([{ index: 1, properties: { XZQMC: '张庄村' }, geometry: MULTI }]);
    });

    it('matches the name as SQLite does, ignoring case', async () => {
      const source = await openGeoPackage(path, { table: 'dltb' });
      const read = await readAll(source);
      expect(source.table).to.equal('DLTB');
      expect(read.map((feature) => feature.properties)).to.deep.equal([{ DLMC: '水田' }]);
    });
  });

  describe('given a feature table beside an attributes table', () => {
    it('reads the one feature table without being told its name', async () => {
      const path = writeGeoPackage(join(dir, 'mixed-contents.gpkg'), {
        srs: [EPSG_4527],
        tables: [parcels([square(1, 2)]), { ...parcels([]), name: 'notes', dataType: 'attributes' }],
      });
      const source = await openGeoPackage(path);
      await readAll(source);
      expect(source.table).to.equal('dltb');
    });
  });

  describe('given the column types of GeoPackage Table 1, and others by SQLite affinity', () => {
    const columns: ColumnSpec[] = [
      { name: 'is_checked', type: 'BOOLEAN' },
      { name: 'tiny', type: 'TINYINT' },
      { name: 'small', type: 'SMALLINT' },
      { name: 'medium', type: 'MEDIUMINT' },
      { name: 'count', type: 'INT' },
      { name: 'area_float', type: 'FLOAT' },
      { name: 'area_real', type: 'REAL' },
      { name: 'name', type: 'TEXT' },
      { name: 'surveyed', type: 'DATE' },
      { name: 'updated', type: 'DATETIME' },
      { name: 'photo', type: 'BLOB' },
      { name: 'remark', type: 'VARCHAR(254)' },
      { name: 'big', type: 'BIGINT' },
      { name: 'money', type: 'NUMERIC(12,2)' },
      { name: 'centroid', type: 'POINT' },
    ];

    it('maps each to a field type, skipping blobs and extra geometry columns', async () => {
      const path = writeGeoPackage(join(dir, 'types.gpkg'), { srs: [EPSG_4527], tables: [{ ...parcels([]), columns, rows: [] }] });
      const source = await openGeoPackage(path);
      await source.close();
      expect(source.fields.map((field) => `${field.name}:${field.type}`)).to.deep.equal([
        'is_checked:boolean', 'tiny:integer', 'small:integer', 'medium:integer', 'count:integer', 'area_float:number', 'area_real:number',
        'name:string', 'surveyed:date', 'updated:string', 'remark:string', 'big:integer', 'money:number',
      ]);
      expect(source.skippedColumns).to.deep.equal([
        { name: 'photo', declaredType: 'BLOB', reason: 'blob' },
        { name: 'centroid', declaredType: 'POINT', reason: 'geometry' },
      ]);
    });

    it('reads each value as its field type says', async () => {
      const values = {
        is_checked: 1, tiny: -128, small: 32767, medium: -2147483648, count: 9007199254740991n, area_float: 0.5, area_real: 39468123.456,
        name: '农村宅基地', surveyed: '2023-06-30', updated: '2023-06-30T08:15:00.123Z', photo: Buffer.from([0xff, 0xd8]), remark: '', big: 42, money: 1234.56, centroid: null,
      };
      const path = writeGeoPackage(join(dir, 'values.gpkg'), {
        srs: [EPSG_4527],
        tables: [{ ...parcels([]), columns, rows: [{ geometry: null, values }, { geometry: null, values: { is_checked: 0 } }] }],
      });
      const read = await readAll(await openGeoPackage(path));
      expect(read[0]!.properties).to.deep.equal({
        is_checked: true, tiny: -128, small: 32767, medium: -2147483648, count: 9007199254740991, area_float: 0.5, area_real: 39468123.456,
        name: '农村宅基地', surveyed: '2023-06-30', updated: '2023-06-30T08:15:00.123Z', remark: '', big: 42, money: 1234.56,
      });
      expect(read[1]!.properties).to.include({ is_checked: false, name: null, surveyed: null });
    });
  });
});
