import { expect } from 'chai';
import type { Polygon } from 'geojson';
import { access, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createShapefileWriter, type ShapefileWriterOptions } from '../../../../pipeline/delivery/shapefile-writer.js';
import { openShapefile } from '../../../../pipeline/readers/shapefile/open-shapefile.js';
import { makeTempDir, PARCEL_FIELDS, readAll, removeTempDir, sibling, square, writeShapefile } from './shapefile-files.js';

const OPTIONS: ShapefileWriterOptions = { shapeType: 'polygon', fields: PARCEL_FIELDS, encoding: 'gbk', prj: null, cpg: true };

/** RFC 7946 orientation: shell counter-clockwise, hole clockwise. */
const COURTYARD: Polygon = {
  type: 'Polygon',
  coordinates: [
    [[0, 0], [100, 0], [100, 100], [0, 100], [0, 0]],
    [[20, 20], [20, 80], [80, 80], [80, 20], [20, 20]],
  ],
};

/** Twice the signed area of part `part` of the first record of a .shp: negative means clockwise. */
function partArea2(shp: Buffer, part: number): number {
  const content = 100 + 8;
  const parts = shp.readInt32LE(content + 36);
  const points = shp.readInt32LE(content + 40);
  const start = shp.readInt32LE(content + 44 + 4 * part);
  const end = part + 1 < parts ? shp.readInt32LE(content + 44 + 4 * (part + 1)) : points;
  const at = (i: number) => [shp.readDoubleLE(content + 44 + 4 * parts + 16 * i), shp.readDoubleLE(content + 44 + 4 * parts + 16 * i + 8)] as const;
  let sum = 0;
  for (let i = start; i < end - 1; i++) sum += at(i)[0] * at(i + 1)[1] - at(i + 1)[0] * at(i)[1];
  return sum;
}

async function refusal(action: () => Promise<unknown>): Promise<Error> {
  const error = await action().then(() => null, (caught: unknown) => caught);
  expect(error).to.be.instanceOf(Error);
  return error as Error;
}

describe('createShapefileWriter (pipeline/delivery/shapefile-writer)', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await removeTempDir(dir);
  });

  describe('given a polygon with a hole in RFC 7946 orientation', () => {
    it('writes the outer ring clockwise and the hole counter-clockwise, as the shapefile spec requires', async () => {
      const shp = await readFile(await writeShapefile(dir, 'dltb', [{ properties: {}, geometry: COURTYARD }]));
      expect(partArea2(shp, 0)).to.be.below(0);
      expect(partArea2(shp, 1)).to.be.above(0);
    });
  });

  describe('given some features', () => {
    const features = [
      { properties: { DLMC: '水田' }, geometry: square(39468123.456, 4035127.891) },
      { properties: { DLMC: '旱地' }, geometry: null },
      { properties: { DLMC: '林地' }, geometry: square(39468223.456, 4035027.891, 20) },
    ];

    it('states file lengths, extent and record count in the headers', async () => {
      const path = await writeShapefile(dir, 'dltb', features);
      const shp = await readFile(path);
      const shx = await readFile(sibling(path, 'shx'));
      const dbf = await readFile(sibling(path, 'dbf'));
      expect(shp.readInt32BE(24) * 2).to.equal(shp.length);
      expect(shx.readInt32BE(24) * 2).to.equal(shx.length).and.to.equal(100 + 3 * 8);
      expect([36, 44, 52, 60].map((offset) => shp.readDoubleLE(offset))).to.deep.equal([39468123.456, 4035027.891, 39468243.456, 4035137.891]);
      expect(dbf.readUInt32LE(4)).to.equal(3);
      expect(dbf.length).to.equal(dbf.readUInt16LE(8) + 3 * dbf.readUInt16LE(10) + 1);
      expect(dbf[dbf.length - 1]).to.equal(0x1a);
      expect([...dbf.subarray(1, 4)]).to.deep.equal([124, 1, 2]);
    });

    it('indexes each record in the .shx at its offset and length', async () => {
      const path = await writeShapefile(dir, 'dltb', features);
      const shp = await readFile(path);
      const shx = await readFile(sibling(path, 'shx'));
      let offset = 100;
      for (let i = 0; i < 3; i++) {
        expect([shx.readInt32BE(100 + 8 * i) * 2, shx.readInt32BE(104 + 8 * i) * 2]).to.deep.equal([offset, shp.readInt32BE(offset + 4) * 2]);
        expect(shp.readInt32BE(offset)).to.equal(i + 1);
        offset += 8 + shp.readInt32BE(offset + 4) * 2;
      }
    });

    it('writes the same bytes for the same features and date', async () => {
      const first = await writeShapefile(dir, 'first', features);
      const second = await writeShapefile(dir, 'second', features);
      for (const extension of ['shp', 'shx', 'dbf', 'cpg']) {
        expect((await readFile(sibling(first, extension))).equals(await readFile(sibling(second, extension))), extension).to.equal(true);
      }
    });
  });

  for (const [encoding, cpg, languageDriverId] of [['gbk', 'GBK', 0x4d], ['gb18030', 'GB18030', 0], ['utf-8', 'UTF-8', 0]] as const) {
    describe(`given encoding ${encoding}`, () => {
      it(`writes a .cpg saying ${cpg} and language driver id 0x${languageDriverId.toString(16)}`, async () => {
        const path = await writeShapefile(dir, 'dltb', [], { encoding });
        expect(await readFile(sibling(path, 'cpg'), 'latin1')).to.equal(cpg);
        expect((await readFile(sibling(path, 'dbf')))[29]).to.equal(languageDriverId);
      });
    });
  }

  describe('given cpg false and a .prj', () => {
    it('writes the .prj as given and no .cpg', async () => {
      const path = await writeShapefile(dir, 'dltb', [], { cpg: false, prj: 'GEOGCS["China Geodetic Coordinate System 2000"]' });
      expect(await readFile(sibling(path, 'prj'), 'utf8')).to.equal('GEOGCS["China Geodetic Coordinate System 2000"]');
      const error = await refusal(() => access(sibling(path, 'cpg')));
      expect(error).to.have.property('code', 'ENOENT');
    });
  });

  describe('given a character GBK lacks', () => {
    it('refuses the feature, naming it and the field, and writes nothing of it', async () => {
      const writer = await createShapefileWriter(join(dir, 'dltb'), OPTIONS);
      await writer.write({ DLMC: '水田' }, square(0, 0));
      const error = await refusal(() => writer.write({ QSDWMC: '𠀀庄村民委员会' }, square(10, 0)));
      expect(error.message).to.equal('feature 2, field QSDWMC: "𠀀" cannot be written in GBK');
      await writer.write({ DLMC: '旱地' }, square(20, 0));
      await writer.close();
      const read = await readAll(await openShapefile(writer.file));
      expect(read.map((feature) => feature.properties.DLMC)).to.deep.equal(['水田', '旱地']);
      expect((await stat(writer.file)).size).to.equal(100 + 2 * (8 + 44 + 4 + 5 * 16));
    });
  });

  describe('given values that do not fit their fields', () => {
    const cases: ReadonlyArray<readonly [string, Record<string, string | number>, string]> = [
      ['text longer than the field in bytes', { DLBM: '010101' }, 'feature 1, field DLBM: "010101" takes 6 bytes, the field holds 5'],
      ['GBK text longer than the field in bytes', { DLMC: '水'.repeat(31) }, `feature 1, field DLMC: "${'水'.repeat(31)}" takes 62 bytes, the field holds 60`],
      ['a fraction in a field without decimals', { SJNF: 2023.5 }, 'feature 1, field SJNF: 2023.5 is not an integer, and the field has no decimals'],
      ['a number with more digits than the field', { SJNF: 20231 }, 'feature 1, field SJNF: 20231 takes 5 bytes, the field holds 4'],
      ['a number in a text field', { DLMC: 1 }, 'feature 1, field DLMC: expected a string, got 1'],
      ['a property without a field', { DLMC_: 'x' }, 'feature 1: property DLMC_ has no field in the .dbf'],
    ];
    for (const [name, properties, message] of cases) {
      it(`refuses ${name}, naming feature and field`, async () => {
        const writer = await createShapefileWriter(join(dir, 'dltb'), OPTIONS);
        expect((await refusal(() => writer.write(properties, null))).message).to.equal(message);
        await writer.close();
      });
    }
  });

  describe('given a ring that is not closed', () => {
    it('refuses the feature, naming the ring', async () => {
      const writer = await createShapefileWriter(join(dir, 'dltb'), OPTIONS);
      const open: Polygon = { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] };
      expect((await refusal(() => writer.write({}, open))).message).to.equal('feature 1, ring 1: not closed, it ends at [0,1], not at [0,0]');
      await writer.close();
    });
  });

  describe('given invalid field specs', () => {
    const cases: ReadonlyArray<readonly [string, ShapefileWriterOptions['fields'], string]> = [
      ['a name longer than 10 characters', [{ name: 'QSDWMC_LONG', type: 'C', length: 10 }], 'fields[0].name: "QSDWMC_LONG" is not 1–10 ASCII letters, digits or _ starting with a letter'],
      ['a non-ASCII name', [{ name: '地类', type: 'C', length: 10 }], 'fields[0].name: "地类" is not 1–10 ASCII letters, digits or _ starting with a letter'],
      ['a repeated name', [{ name: 'BSM', type: 'C', length: 18 }, { name: 'bsm', type: 'C', length: 18 }], 'fields[1].name: bsm is declared twice'],
      ['a C length of 255', [{ name: 'BSM', type: 'C', length: 255 }], 'fields[0].length: 255 is out of range 1–254 for a C field'],
      ['too many decimals', [{ name: 'TBMJ', type: 'N', length: 5, decimals: 4 }], 'fields[0].decimals: 4 is out of range 0–3 for length 5'],
    ];
    for (const [name, fields, message] of cases) {
      it(`refuses ${name}, naming the option`, async () => {
        expect((await refusal(() => createShapefileWriter(join(dir, 'dltb'), { ...OPTIONS, fields }))).message).to.equal(message);
      });
    }
  });
});
