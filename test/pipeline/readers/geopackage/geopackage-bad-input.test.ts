import { expect } from 'chai';
import type { Geometry, Polygon } from 'geojson';
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImportError, type ImportLocation } from '../../../../core/errors.js';
import { openGeoPackage, type GeoPackageOptions } from '../../../../pipeline/readers/geopackage/open-geopackage.js';
import { geometryBlob, wkb } from './geometry-blobs.js';
import { editGeoPackage, EPSG_4527, makeTempDir, readAll, removeTempDir, square, writeGeoPackage, type RowSpec, type TableSpec } from './geopackage-files.js';

const SRS = { srsId: 4527 } as const;
const SQUARE = square(39468123.456, 4035127.891);
/** 8 header bytes, then the WKB: 1 + 4 bytes of header, 4 of ring count, 4 of point count, 5 points of 16 bytes. */
const SQUARE_BLOB_BYTES = 8 + 5 + 4 + 4 + 5 * 16;
const OFFSET_SQUARE_POINT_COUNT = 8 + 5 + 4;

/** Reading the whole file fails with an ImportError at `location`, whose message is `problem` after the location. */
async function expectRefusal(path: string, location: ImportLocation, problem: string | RegExp, options: GeoPackageOptions = {}): Promise<void> {
  const error = await openGeoPackage(path, options).then(readAll).then(() => null, (caught: unknown) => caught);
  expect(error, 'an ImportError').to.be.instanceOf(ImportError);
  expect(error).to.include({ file: location.file, feature: location.feature, field: location.field });
  const prefix = [location.file, location.feature && `feature ${location.feature}`, location.field && `field ${location.field}`].filter(Boolean).join(', ');
  const message = (error as Error).message;
  expect(message.startsWith(`${prefix}: `), message).to.equal(true);
  if (typeof problem === 'string') expect(message.slice(prefix.length + 2)).to.equal(problem);
  else expect(message.slice(prefix.length + 2)).to.match(problem);
}

/** Three parcels whose second row is `second`; the rest are good. */
function table(second: RowSpec, columns: TableSpec['columns'] = [{ name: 'DLMC', type: 'TEXT' }]): TableSpec {
  const good = (DLMC: string): RowSpec => ({ geometry: geometryBlob(SQUARE, SRS), values: { DLMC } });
  return { name: 'dltb', srsId: 4527, columns, rows: [good('水田'), second, good('旱地')] };
}

function withSecondGeometry(geometry: Uint8Array | string): TableSpec {
  return table({ geometry, values: { DLMC: '农村宅基地' } });
}

/** A blob patched at `offset`. */
function patched(blob: Buffer, offset: number, bytes: number[]): Buffer {
  const copy = Buffer.from(blob);
  copy.set(bytes, offset);
  return copy;
}

describe('openGeoPackage: bad input (pipeline/readers/geopackage)', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await makeTempDir();
    path = join(dir, 'dltb.gpkg');
  });

  afterEach(async () => {
    await removeTempDir(dir);
  });

  /** Writes a GeoPackage in EPSG:4527 with `tables` to `path`. */
  function write(...tables: TableSpec[]): string {
    return writeGeoPackage(path, { srs: [EPSG_4527], tables });
  }

  describe('the file', () => {
    it('refuses a path that does not exist', async () => {
      await expectRefusal(join(dir, 'other.gpkg'), { file: join(dir, 'other.gpkg') }, 'does not exist');
    });

    it('refuses a folder', async () => {
      await mkdir(join(dir, 'folder.gpkg'));
      await expectRefusal(join(dir, 'folder.gpkg'), { file: join(dir, 'folder.gpkg') }, 'is not a file');
    });

    it('refuses a file that is not SQLite', async () => {
      await writeFile(path, 'BSM,DLMC\n371502000000000001,水田\n'.repeat(20));
      await expectRefusal(path, { file: path }, 'is not a SQLite database, so not a GeoPackage');
    });

    it('refuses a SQLite database without gpkg_contents', async () => {
      write(table({ geometry: null }));
      editGeoPackage(path, 'DROP TABLE gpkg_geometry_columns; DROP TABLE gpkg_contents;');
      await expectRefusal(path, { file: path }, 'is a SQLite database but not a GeoPackage: it has no gpkg_contents table');
    });

    it('refuses a damaged page when the reading reaches it, naming the feature SQLite was reading', async () => {
      const count = 2000;
      write({ ...table({ geometry: null }), rows: Array.from({ length: count }, (_, i) => ({ geometry: geometryBlob(square(39468000 + i, 4035000), SRS), values: { DLMC: '水田' } })) });
      // Overwrite one 4 KiB page near the end, where the table's last leaves are, with bytes no page holds.
      const pageBytes = 4096;
      const handle = await open(path, 'r+');
      await handle.write(Buffer.alloc(pageBytes, 0xee), 0, pageBytes, (await stat(path)).size - 10 * pageBytes);
      await handle.close();
      // Opening does not fail on it: the feature count (for progress) is just unknown.
      const opened = await openGeoPackage(path);
      expect(opened.featureCount).to.equal(null);
      const error = await readAll(opened).then(() => null, (caught: unknown) => caught);
      expect(error).to.be.instanceOf(ImportError);
      const { feature } = error as ImportError;
      expect(feature).to.be.within(2, count);
      expect((error as Error).message).to.equal(`${path}, feature ${feature}: cannot be read from table "dltb": database disk image is malformed (SQLITE_CORRUPT)`);
    });

    it('names the file by its label', async () => {
      await writeFile(path, 'not a database at all, not even close to one '.repeat(20));
      await expectRefusal(path, { file: 'delivery.zip!/dltb.gpkg' }, 'is not a SQLite database, so not a GeoPackage', { label: 'delivery.zip!/dltb.gpkg' });
    });
  });

  describe('the choice of feature table', () => {
    it('refuses a GeoPackage without one, saying what it holds instead', async () => {
      write({ ...table({ geometry: null }), dataType: 'attributes' });
      await expectRefusal(path, { file: path }, 'has no feature table: gpkg_contents lists only "dltb" (attributes)');
    });

    it('refuses two feature tables when none is named, listing them', async () => {
      write(table({ geometry: null }), { ...table({ geometry: null }), name: 'xzq' });
      await expectRefusal(path, { file: path }, 'holds 2 feature tables ("dltb", "xzq"): name the one to import with the table option');
    });

    it('refuses a table option naming no feature table, listing those there are', async () => {
      write(table({ geometry: null }), { ...table({ geometry: null }), name: 'xzq' });
      await expectRefusal(path, { file: path }, 'has no feature table "cjdcq"; its feature tables are: "dltb", "xzq"', { table: 'cjdcq' });
    });

    it('refuses a feature table that gpkg_contents lists but the file does not hold', async () => {
      write(table({ geometry: null }));
      editGeoPackage(path, 'DROP TABLE dltb;');
      await expectRefusal(path, { file: path }, 'lists the feature table "dltb" in gpkg_contents, but has no such table');
    });

    it('refuses a feature table without a row in gpkg_geometry_columns', async () => {
      write(table({ geometry: null }));
      editGeoPackage(path, 'DELETE FROM gpkg_geometry_columns;');
      await expectRefusal(path, { file: path }, 'has no row in gpkg_geometry_columns for the feature table "dltb"');
    });

    it('refuses a geometry column the table does not have', async () => {
      write(table({ geometry: null }));
      editGeoPackage(path, "UPDATE gpkg_geometry_columns SET column_name = 'shape';");
      await expectRefusal(path, { file: path, field: 'shape' }, 'is registered in gpkg_geometry_columns as the geometry of "dltb", but the table has no such column');
    });

    it('refuses an srs_id that gpkg_spatial_ref_sys does not define', async () => {
      write(table({ geometry: null }));
      editGeoPackage(path, 'PRAGMA foreign_keys = OFF; DELETE FROM gpkg_spatial_ref_sys WHERE srs_id = 4527;');
      await expectRefusal(path, { file: path }, 'declares srs_id 4527 for its geometry column, but gpkg_spatial_ref_sys has no such row');
    });

    it('refuses a feature table without an INTEGER PRIMARY KEY', async () => {
      write(table({ geometry: null }));
      editGeoPackage(path, 'ALTER TABLE dltb RENAME TO old; CREATE TABLE dltb (fid TEXT PRIMARY KEY, geom MULTIPOLYGON, DLMC TEXT); DROP TABLE old;');
      await expectRefusal(path, { file: path }, 'has a feature table "dltb" without an INTEGER PRIMARY KEY column (its primary key: fid TEXT); a GeoPackage feature table needs one (OGC 12-128r18 §2.1.6)');
    });
  });

  describe('a geometry blob', () => {
    const at = (path: string) => ({ file: path, feature: 2, field: 'geom' });

    it('refuses one that does not start with GP, naming the feature', async () => {
      write(withSecondGeometry(wkb(SQUARE)));
      await expectRefusal(path, at(path), "has a geometry blob starting with 0x0103, not 'GP' (0x4750): it is not a GeoPackage geometry");
    });

    it('refuses one cut short inside its header', async () => {
      write(withSecondGeometry(geometryBlob(SQUARE, SRS).subarray(0, 6)));
      await expectRefusal(path, at(path), 'has a geometry blob of 6 bytes that ends inside the GeoPackage geometry header (8 bytes from byte 0): the blob is truncated');
    });

    it('refuses one cut short inside its WKB points', async () => {
      write(withSecondGeometry(geometryBlob(SQUARE, SRS).subarray(0, SQUARE_BLOB_BYTES - 10)));
      await expectRefusal(path, at(path), 'has a geometry blob of 91 bytes that ends inside the 5 points of ring 1 (80 bytes from byte 21): the blob is truncated');
    });

    it('refuses one stating four billion points in a few bytes, without allocating for them', async () => {
      write(withSecondGeometry(patched(geometryBlob(SQUARE, SRS), OFFSET_SQUARE_POINT_COUNT, [0xff, 0xff, 0xff, 0xff])));
      await expectRefusal(path, at(path), 'has a geometry blob of 101 bytes that ends inside the 4294967295 points of ring 1 (68719476720 bytes from byte 21): the blob is truncated');
    });

    it('refuses bytes after the WKB geometry', async () => {
      write(withSecondGeometry(Buffer.concat([geometryBlob(SQUARE, SRS), Buffer.alloc(3)])));
      await expectRefusal(path, at(path), 'has a geometry blob of 104 bytes whose WKB geometry ends at byte 101: 3 bytes follow it');
    });

    it('refuses a WKB byte order that is neither 0 nor 1', async () => {
      write(withSecondGeometry(patched(geometryBlob(SQUARE, SRS), 8, [7])));
      await expectRefusal(path, at(path), 'has the geometry starting with byte 0x07 at byte 8, not a WKB byte order (0 or 1)');
    });

    it('refuses a binary format version other than 1', async () => {
      write(withSecondGeometry(patched(geometryBlob(SQUARE, SRS), 2, [1])));
      await expectRefusal(path, at(path), 'has a geometry blob of binary format version byte 1; only 0 (version 1) is defined');
    });

    it('refuses an envelope indicator past 4', async () => {
      write(withSecondGeometry(patched(geometryBlob(SQUARE, SRS), 3, [0b1011])));
      await expectRefusal(path, at(path), 'has a geometry blob with envelope indicator 5; only 0 to 4 are defined');
    });

    it('refuses an ExtendedGeoPackageBinary geometry, naming its extension code', async () => {
      const header = Buffer.from([0x47, 0x50, 0, 0b10_0001, 0xaf, 0x11, 0, 0]);
      write(withSecondGeometry(Buffer.concat([header, Buffer.from('MYEX', 'latin1'), Buffer.alloc(10)])));
      await expectRefusal(path, at(path), 'has an ExtendedGeoPackageBinary geometry (extension code "MYEX"), whose encoding only its extension defines; it cannot be read');
    });

    it('refuses a blob in another srs_id than its column declares', async () => {
      write(withSecondGeometry(geometryBlob(SQUARE, { srsId: 4326 })));
      await expectRefusal(path, at(path), 'has a geometry blob in srs_id 4326, but gpkg_geometry_columns declares srs_id 4527 for the column');
    });

    it('refuses a curve type, by name', async () => {
      write(withSecondGeometry(patched(geometryBlob(SQUARE, SRS), 9, [10])));
      await expectRefusal(path, at(path), 'has the geometry of WKB type 10 (CurvePolygon); only points, lines, polygons, their multi forms and collections can be read');
    });

    it('refuses a MultiPolygon member that is not a polygon', async () => {
      const line = wkb({ type: 'LineString', coordinates: [[1, 2], [3, 4]] });
      const multi = Buffer.concat([Buffer.from([1, 6, 0, 0, 0, 1, 0, 0, 0]), line]);
      write(withSecondGeometry(Buffer.concat([geometryBlob(SQUARE, SRS).subarray(0, 8), multi])));
      await expectRefusal(path, at(path), 'has polygon 1 of WKB type 2 (LineString), where only Polygon belongs');
    });

    it('refuses text where a blob belongs', async () => {
      write(withSecondGeometry('POLYGON((0 0,1 0,1 1,0 0))'));
      await expectRefusal(path, at(path), 'holds text, not a geometry blob (fid 2)');
    });
  });

  describe('coordinates and rings', () => {
    const at = (path: string) => ({ file: path, feature: 2, field: 'geom' });
    const withPoint = (x: number, y: number): Polygon => ({ type: 'Polygon', coordinates: [[[0, 0], [10, 0], [x, y], [0, 10], [0, 0]]] });

    it('refuses NaN, naming the point and ring', async () => {
      write(withSecondGeometry(geometryBlob(withPoint(Number.NaN, 10), SRS)));
      await expectRefusal(path, at(path), 'has a coordinate that is not a finite number at point 3 of ring 1: (NaN, 10)');
    });

    it('refuses Infinity in a multipolygon, naming the polygon', async () => {
      const multi: Geometry = { type: 'MultiPolygon', coordinates: [SQUARE.coordinates, withPoint(10, Number.POSITIVE_INFINITY).coordinates] };
      write(withSecondGeometry(geometryBlob(multi, SRS)));
      await expectRefusal(path, at(path), 'has a coordinate that is not a finite number at point 3 of ring 1 of polygon 2: (10, Infinity)');
    });

    it('refuses a point of NaN and a number (only NaN NaN is POINT EMPTY)', async () => {
      write(withSecondGeometry(geometryBlob({ type: 'Point', coordinates: [Number.NaN, 4035127.891] }, SRS)));
      await expectRefusal(path, at(path), 'has a coordinate that is not a finite number at the point: (NaN, 4035127.891)');
    });

    it('refuses a ring that is not closed', async () => {
      const open: Polygon = { type: 'Polygon', coordinates: [SQUARE.coordinates[0]!, [[39468125.5, 4035130.5], [39468125.5, 4035132.5], [39468127.5, 4035132.5], [39468127.5, 4035130.5]]] };
      write(withSecondGeometry(geometryBlob(open, SRS)));
      await expectRefusal(path, at(path), 'has ring 2 not closed: it starts at (39468125.5, 4035130.5) but ends at (39468127.5, 4035130.5)');
    });

    it('refuses a ring of three points', async () => {
      write(withSecondGeometry(geometryBlob({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [0, 0]]] }, SRS)));
      await expectRefusal(path, at(path), 'has ring 1 of 3 points; a ring needs at least 4');
    });

    it('refuses a line of one point', async () => {
      write(withSecondGeometry(geometryBlob({ type: 'LineString', coordinates: [[1, 2]] }, SRS)));
      await expectRefusal(path, at(path), 'has the geometry of 1 point; a line needs at least 2');
    });
  });

  describe('attribute values', () => {
    it('refuses an integer that a double cannot hold exactly, naming the field', async () => {
      write(table({ geometry: null, values: { ZDDM: 9007199254740993n } }, [{ name: 'ZDDM', type: 'INTEGER' }]));
      await expectRefusal(path, { file: path, feature: 2, field: 'ZDDM' }, 'holds 9007199254740993, which is not an integer that a double holds exactly (at most 2^53 - 1 in magnitude); store codes this long as TEXT');
    });

    it('refuses text in an INTEGER column', async () => {
      write(table({ geometry: null, values: { SJNF: '二〇二三' } }, [{ name: 'SJNF', type: 'INTEGER' }]));
      await expectRefusal(path, { file: path, feature: 2, field: 'SJNF' }, 'holds the text "二〇二三", which is not an integer as its column\'s type requires');
    });

    it('refuses a DATE that is not a date', async () => {
      write(table({ geometry: null, values: { GXSJ: '2023-02-30' } }, [{ name: 'GXSJ', type: 'DATE' }]));
      await expectRefusal(path, { file: path, feature: 2, field: 'GXSJ' }, 'holds the text "2023-02-30", which is not a date (YYYY-MM-DD) as its column\'s type requires');
    });

    it('refuses a BOOLEAN other than 0 or 1', async () => {
      write(table({ geometry: null, values: { SFJZ: 2 } }, [{ name: 'SFJZ', type: 'BOOLEAN' }]));
      await expectRefusal(path, { file: path, feature: 2, field: 'SFJZ' }, 'holds the integer 2, which is not a boolean (0 or 1) as its column\'s type requires');
    });

    it('refuses text that is not UTF-8 (GBK written as is)', async () => {
      write(table({ geometry: null }));
      // 水田 in GBK (CB AE CC EF), written into the TEXT column byte for byte.
      editGeoPackage(path, "UPDATE dltb SET DLMC = CAST(X'CBAECCEF' AS TEXT) WHERE fid = 2;");
      await expectRefusal(path, { file: path, feature: 2, field: 'DLMC' }, /^holds ".*", text with bytes that are not UTF-8 \(GeoPackage text is UTF-8; was it written as GBK\?\)$/);
    });
  });
});
