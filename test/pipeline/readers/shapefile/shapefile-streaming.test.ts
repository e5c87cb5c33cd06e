import { expect } from 'chai';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createShapefileWriter } from '../../../../pipeline/delivery/shapefile-writer.js';
import { openShapefile } from '../../../../pipeline/readers/shapefile/open-shapefile.js';
import { makeTempDir, PARCEL_FIELDS, removeTempDir, sibling, square } from './shapefile-files.js';

const FEATURES = 200_000;
/** Bytes of JS heap plus Buffers the read may add: well under the ~60 MB of the files it reads. */
const MAX_GROWTH_BYTES = 50 * 1024 * 1024;
const SAMPLE_EVERY = 5_000;

const CLASSES = ['水田', '旱地', '农村宅基地', '乔木林地', '农村道路'] as const;

function usedBytes(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

describe('openShapefile: streaming (pipeline/readers/shapefile)', () => {
  let dir: string;
  let shp: string;

  before(async function () {
    this.timeout(30_000);
    dir = await makeTempDir();
    const writer = await createShapefileWriter(join(dir, 'dltb'), { shapeType: 'polygon', fields: PARCEL_FIELDS, encoding: 'gbk', prj: null, cpg: true });
    for (let i = 0; i < FEATURES; i++) {
      await writer.write(
        { BSM: String(371502000000000000n + BigInt(i)), DLBM: '0101', DLMC: CLASSES[i % CLASSES.length], QSDWMC: '张庄村民委员会', TBMJ: i + 0.25, SJNF: 2023 },
        square(39468000 + (i % 1000) * 10.001, 4035000 + Math.floor(i / 1000) * 10.001),
      );
    }
    await writer.close();
    shp = writer.file;
  });

  after(async () => {
    await removeTempDir(dir);
  });

  describe(`given ${FEATURES.toLocaleString('en')} features (about 60 MB of .shp and .dbf)`, () => {
    it('reads them all while memory stays flat', async () => {
      const fileBytes = (await stat(shp)).size + (await stat(sibling(shp, 'dbf'))).size;
      expect(fileBytes).to.be.greaterThan(MAX_GROWTH_BYTES);
      const source = await openShapefile(shp);
      const baseline = usedBytes();
      let peakGrowth = 0;
      let count = 0;
      let last: unknown = null;
      try {
        for await (const feature of source.features()) {
          count++;
          if (count % SAMPLE_EVERY === 0) peakGrowth = Math.max(peakGrowth, usedBytes() - baseline);
          if (count === FEATURES) last = feature;
        }
      } finally {
        await source.close();
      }
      expect(count).to.equal(FEATURES);
      expect(last).to.deep.include({ index: FEATURES, properties: { BSM: '371502000000199999', DLBM: '0101', DLMC: '农村道路', QSDWMC: '张庄村民委员会', TBMJ: 199999.25, SJNF: 2023 } });
      expect(peakGrowth, `grew by ${(peakGrowth / 1024 / 1024).toFixed(1)} MB`).to.be.below(MAX_GROWTH_BYTES);
    });
  });
});
