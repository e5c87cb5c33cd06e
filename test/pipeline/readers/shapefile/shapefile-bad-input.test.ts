import { expect } from 'chai';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImportError, type ImportLocation } from '../../../../core/errors.js';
import { openShapefile } from '../../../../pipeline/readers/shapefile/open-shapefile.js';
import { nullRecord, partsRecord, pointRecord, writeRawShapes } from './raw-shapes.js';
import { makeTempDir, patchFile, readAll, removeTempDir, sibling, square, truncateFile, writeShapefile, type TestFeature } from './shapefile-files.js';

const PARCELS: readonly TestFeature[] = ['水田', '旱地', '农村宅基地'].map((DLMC, i) => ({
  properties: { BSM: `37150200000000000${i + 1}`, DLMC, QSDWMC: '张庄村民委员会', TBMJ: 100 + i, SJNF: 2023 },
  geometry: square(39468123.456 + 10 * i, 4035127.891),
}));

/** Each .shp record here: an 8-byte header and 128 bytes of a 5-point polygon. */
const SQUARE_RECORD_BYTES = 8 + 44 + 4 + 5 * 16;
/** Offsets of the PARCEL_FIELDS values in a .dbf record (after the deletion flag). */
const OFFSET_DLMC = 1 + 18 + 5;
const OFFSET_TBMJ = OFFSET_DLMC + 60 + 60;
const OFFSET_SJNF = OFFSET_TBMJ + 19;

/** Reading the whole file fails with an ImportError at `location`, whose message is `problem` after the location. */
async function expectRefusal(shp: string, location: ImportLocation, problem: string | RegExp): Promise<void> {
  const error = await openShapefile(shp).then(readAll).then(() => null, (caught: unknown) => caught);
  expect(error, 'an ImportError').to.be.instanceOf(ImportError);
  expect(error).to.include({ file: location.file, feature: location.feature, field: location.field });
  const prefix = [location.file, location.feature && `feature ${location.feature}`, location.field && `field ${location.field}`].filter(Boolean).join(', ');
  const message = (error as Error).message;
  expect(message.startsWith(`${prefix}: `), message).to.equal(true);
  if (typeof problem === 'string') expect(message.slice(prefix.length + 2)).to.equal(problem);
  else expect(message.slice(prefix.length + 2)).to.match(problem);
}

async function dbfLayout(shp: string): Promise<{ headerBytes: number; recordBytes: number }> {
  const header = await readFile(sibling(shp, 'dbf'));
  return { headerBytes: header.readUInt16LE(8), recordBytes: header.readUInt16LE(10) };
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return bytes;
}

describe('openShapefile: bad input (pipeline/readers/shapefile)', () => {
  let dir: string;
  let shp: string;

  beforeEach(async () => {
    dir = await makeTempDir();
    shp = await writeShapefile(dir, 'dltb', PARCELS);
  });

  afterEach(async () => {
    await removeTempDir(dir);
  });

  describe('given a path that is not a .shp', () => {
    it('refuses it, naming the path', async () => {
      await expectRefusal(sibling(shp, 'dbf'), { file: sibling(shp, 'dbf') }, 'is not a .shp file');
    });
  });

  describe('given a .shp that does not exist', () => {
    it('refuses it, naming the path', async () => {
      await expectRefusal(join(dir, 'other.shp'), { file: join(dir, 'other.shp') }, 'does not exist');
    });
  });

  describe('given a shapefile without its .shx', () => {
    it('refuses it, naming the missing .shx', async () => {
      await rm(sibling(shp, 'shx'));
      await expectRefusal(shp, { file: sibling(shp, 'shx') }, 'is missing: a shapefile needs its index (.shx) beside the .shp');
    });
  });

  describe('given a shapefile without its .dbf', () => {
    it('refuses it, naming the missing .dbf', async () => {
      await rm(sibling(shp, 'dbf'));
      await expectRefusal(shp, { file: sibling(shp, 'dbf') }, 'is missing: a shapefile needs its attribute table (.dbf) beside the .shp');
    });
  });

  describe('given a file that is not a shapefile', () => {
    it('refuses it, naming the file and its file code', async () => {
      await writeFile(shp, Buffer.alloc(200, 0x41));
      await expectRefusal(shp, { file: shp }, 'is not a shapefile: its file code is 1094795585, not 9994');
    });
  });

  describe('given a .shp truncated inside its last record', () => {
    it('refuses it, naming the feature whose record runs past the end', async () => {
      await truncateFile(shp, 100 + 3 * SQUARE_RECORD_BYTES - 10);
      await expectRefusal(
        shp,
        { file: shp, feature: 3 },
        'has a record of 128 bytes running to byte 508, past the end of the file at byte 498: the .shp is truncated',
      );
    });
  });

  describe('given a .shp truncated inside a record header', () => {
    it('refuses it, naming the feature whose header is cut', async () => {
      await truncateFile(shp, 100 + 2 * SQUARE_RECORD_BYTES + 4);
      await expectRefusal(shp, { file: shp, feature: 3 }, 'starts at byte 372, but the file ends at byte 376 (its header states 508): the .shp is truncated');
    });
  });

  describe('given a .dbf with fewer records than the .shx indexes', () => {
    it('refuses it, naming the first feature without attributes', async () => {
      const { headerBytes, recordBytes } = await dbfLayout(shp);
      await truncateFile(sibling(shp, 'dbf'), headerBytes + 2 * recordBytes);
      await patchFile(sibling(shp, 'dbf'), 4, uint32(2));
      await expectRefusal(shp, { file: sibling(shp, 'dbf'), feature: 3 }, 'has no attributes: the .dbf holds 2 records, but the .shx indexes 3 shapes');
    });
  });

  describe('given a .dbf and a .shx that both stop short of the .shp', () => {
    it('refuses the first feature without attributes while reading', async () => {
      const { headerBytes, recordBytes } = await dbfLayout(shp);
      await truncateFile(sibling(shp, 'dbf'), headerBytes + 2 * recordBytes);
      await patchFile(sibling(shp, 'dbf'), 4, uint32(2));
      await truncateFile(sibling(shp, 'shx'), 100 + 2 * 8);
      await patchFile(sibling(shp, 'shx'), 24, Buffer.from([0, 0, 0, (100 + 16) / 2]));
      await expectRefusal(shp, { file: sibling(shp, 'dbf'), feature: 3 }, 'has no attributes: the .dbf holds only 2 records');
    });
  });

  describe('given a .dbf with more records than the .shx indexes', () => {
    it('refuses it, naming the first feature without a shape', async () => {
      await writeRawShapes(shp, 5, [partsRecord(5, [[[0, 0], [0, 1], [1, 1], [0, 0]]]), nullRecord()]);
      await expectRefusal(shp, { file: shp, feature: 3 }, 'has attributes but no shape: the .dbf holds 3 records, but the .shx indexes 2 shapes');
    });
  });

  describe('given a .dbf whose record count disagrees with its size', () => {
    it('refuses it, naming the .dbf, the count and the size', async () => {
      await patchFile(sibling(shp, 'dbf'), 4, uint32(5));
      const { size } = await stat(sibling(shp, 'dbf'));
      await expectRefusal(shp, { file: sibling(shp, 'dbf') }, `states 5 records of 167 bytes (1060 bytes with the header), but the file is ${size} bytes, room for 3.01 records`);
    });
  });

  describe('given a .dbf cut inside a record', () => {
    it('refuses it, naming the .dbf', async () => {
      const { headerBytes, recordBytes } = await dbfLayout(shp);
      await truncateFile(sibling(shp, 'dbf'), headerBytes + 2 * recordBytes + 50);
      await expectRefusal(shp, { file: sibling(shp, 'dbf') }, /^states 3 records of 167 bytes \(\d+ bytes with the header\), but the file is \d+ bytes, room for 2\.30 records$/);
    });
  });

  describe('given a polygon whose ring is not closed', () => {
    it('refuses it, naming the feature and the ring', async () => {
      await writeRawShapes(shp, 5, [nullRecord(), partsRecord(5, [[[0, 0], [0, 1], [1, 1], [1, 0]]]), nullRecord()]);
      await expectRefusal(shp, { file: shp, feature: 2 }, 'has ring 1 not closed: it starts at (0, 0) but ends at (1, 0)');
    });
  });

  describe('given a polygon ring of three points', () => {
    it('refuses it, naming the feature and the part', async () => {
      await writeRawShapes(shp, 5, [partsRecord(5, [[[0, 0], [0, 1], [0, 0]]]), nullRecord(), nullRecord()]);
      await expectRefusal(shp, { file: shp, feature: 1 }, 'has part 1 of 3 points; a ring needs at least 4');
    });
  });

  describe('given a coordinate that is NaN', () => {
    it('refuses it, naming the feature and the point', async () => {
      await writeRawShapes(shp, 1, [pointRecord(1, [1, 2]), nullRecord(), pointRecord(1, [Number.NaN, 2])]);
      await expectRefusal(shp, { file: shp, feature: 3 }, 'has a coordinate that is not a finite number at point 1: (NaN, 2)');
    });
  });

  describe('given a coordinate that is infinite', () => {
    it('refuses it, naming the feature and the point', async () => {
      await writeRawShapes(shp, 5, [partsRecord(5, [[[0, 0], [0, Number.POSITIVE_INFINITY], [1, 1], [0, 0]]]), nullRecord(), nullRecord()]);
      await expectRefusal(shp, { file: shp, feature: 1 }, 'has a coordinate that is not a finite number at point 2: (0, Infinity)');
    });
  });

  describe('given a .shp header with an unknown shape type', () => {
    it('refuses it, naming the .shp and the type', async () => {
      await patchFile(shp, 32, Buffer.from([7, 0, 0, 0]));
      await expectRefusal(shp, { file: shp }, 'has shape type 7, which is not a shape type of the ESRI Shapefile specification');
    });
  });

  describe('given a MultiPatch shapefile', () => {
    it('refuses it, saying MultiPatch is not supported', async () => {
      await writeRawShapes(shp, 31, [nullRecord(), nullRecord(), nullRecord()]);
      await expectRefusal(shp, { file: shp }, 'has shape type 31 (MultiPatch), which this reader does not support');
    });
  });

  describe('given a record with an unknown shape type', () => {
    it('refuses it, naming the feature', async () => {
      await patchFile(shp, 100 + SQUARE_RECORD_BYTES + 8, Buffer.from([99, 0, 0, 0]));
      await expectRefusal(shp, { file: shp, feature: 2 }, 'has shape type 99, which is not a shape type of the ESRI Shapefile specification');
    });
  });

  describe('given a record of another shape type than the file', () => {
    it('refuses it, naming the feature', async () => {
      await writeRawShapes(shp, 5, [nullRecord(), partsRecord(3, [[[0, 0], [1, 1]]]), nullRecord()]);
      await expectRefusal(shp, { file: shp, feature: 2 }, 'is a PolyLine in a file of Polygon: a shapefile holds one shape type');
    });
  });

  describe('given a record too short for the points it states', () => {
    it('refuses it, naming the feature', async () => {
      const record = partsRecord(5, [[[0, 0], [0, 1], [1, 1], [0, 0]]]);
      record.writeInt32LE(50, 40);
      await writeRawShapes(shp, 5, [record, nullRecord(), nullRecord()]);
      await expectRefusal(shp, { file: shp, feature: 1 }, 'has a record of 112 bytes, too short for its 1 parts of 50 points (848 bytes)');
    });
  });

  describe('given a .shx shorter than its header states', () => {
    it('refuses it, naming the .shx', async () => {
      await truncateFile(sibling(shp, 'shx'), 100 + 8);
      await expectRefusal(shp, { file: sibling(shp, 'shx') }, 'is 108 bytes, but its header states 124: the .shx is truncated');
    });
  });

  describe('given a .dbf field of a type shapefiles do not use (M, memo)', () => {
    it('refuses it, naming the field', async () => {
      await patchFile(sibling(shp, 'dbf'), 32 + 2 * 32 + 11, Buffer.from('M'));
      await expectRefusal(shp, { file: sibling(shp, 'dbf'), field: 'DLMC' }, 'has type "M" (memo); a shapefile\'s fields are C, N, F, L or D');
    });
  });

  describe('given a .dbf declaring a field twice', () => {
    it('refuses it, naming the field', async () => {
      await patchFile(sibling(shp, 'dbf'), 32 + 32, Buffer.from('BSM\0\0'));
      await expectRefusal(shp, { file: sibling(shp, 'dbf'), field: 'BSM' }, 'is declared twice');
    });
  });

  describe('given a .dbf whose record length disagrees with its fields', () => {
    it('refuses it, naming the .dbf', async () => {
      await patchFile(sibling(shp, 'dbf'), 10, Buffer.from([168, 0]));
      await expectRefusal(shp, { file: sibling(shp, 'dbf') }, 'states records of 168 bytes, but its fields and the deletion flag add up to 167');
    });
  });

  describe('given a record not starting with a deletion flag', () => {
    it('refuses it, naming the feature', async () => {
      const { headerBytes, recordBytes } = await dbfLayout(shp);
      await patchFile(sibling(shp, 'dbf'), headerBytes + recordBytes, Buffer.from('X'));
      await expectRefusal(shp, { file: sibling(shp, 'dbf'), feature: 2 }, 'has a record starting with byte 0x58, not a deletion flag: the .dbf is out of step');
    });
  });

  describe('given a numeric value that is not a number', () => {
    it('refuses it, naming the feature and field', async () => {
      const { headerBytes, recordBytes } = await dbfLayout(shp);
      await patchFile(sibling(shp, 'dbf'), headerBytes + 2 * recordBytes + OFFSET_SJNF, Buffer.from('20x3'));
      await expectRefusal(shp, { file: sibling(shp, 'dbf'), feature: 3, field: 'SJNF' }, 'holds "20x3", which is not a number');
    });
  });

  describe('given an integer field holding more digits than a double keeps', () => {
    it('refuses it, naming the feature and field', async () => {
      const big = await writeShapefile(dir, 'big', [{ properties: { ID: 12345678901234567 }, geometry: null }], { fields: [{ name: 'ID', type: 'N', length: 19 }] });
      await expectRefusal(big, { file: sibling(big, 'dbf'), feature: 1, field: 'ID' }, 'holds 12345678901234568, which is not an integer that a double holds exactly, in a field of integers (N, 0 decimals)');
    });
  });

  describe('given a date that does not exist', () => {
    it('refuses it, naming the feature and field', async () => {
      const dated = await writeShapefile(dir, 'dated', [{ properties: { GXSJ: '2023-02-28' }, geometry: null }], { fields: [{ name: 'GXSJ', type: 'D' }] });
      const { headerBytes } = await dbfLayout(dated);
      await patchFile(sibling(dated, 'dbf'), headerBytes + 1, Buffer.from('20230230'));
      await expectRefusal(dated, { file: sibling(dated, 'dbf'), feature: 1, field: 'GXSJ' }, 'holds "20230230", which is not a date (YYYYMMDD)');
    });
  });

  describe('given a GBK value cut in the middle of a character (no .cpg, detected)', () => {
    it('refuses it, naming the feature and field, and saying the encoding was guessed', async () => {
      const { headerBytes } = await dbfLayout(shp);
      // 水田 is cbae ccef; leaving the lone lead byte cc makes it invalid in GB18030 as well as UTF-8.
      await patchFile(sibling(shp, 'dbf'), headerBytes + OFFSET_DLMC + 3, Buffer.from(' '));
      await rm(sibling(shp, 'cpg'));
      await patchFile(sibling(shp, 'dbf'), 29, Buffer.from([0]));
      await expectRefusal(
        shp,
        { file: sibling(shp, 'dbf'), feature: 1, field: 'DLMC' },
        'is not valid GB18030 text (bytes cbaecc); the .dbf names no encoding and this one was guessed: a .cpg can name the right one',
      );
    });
  });
});
