import { expect } from 'chai';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openGeoPackage } from '../../../../pipeline/readers/geopackage/open-geopackage.js';
import { geometryBlob } from './geometry-blobs.js';
import { EPSG_4527, makeTempDir, removeTempDir, square, writeGeoPackage, type RowSpec } from './geopackage-files.js';

const FEATURES = 100_000;
/**
 * Live bytes of JS heap plus Buffers the read may add: below the file's size, and far below its
 * features held at once (about 100 MB, measured when this test was written).
 */
const MAX_GROWTH_BYTES = 40 * 1024 * 1024;
const MAX_READ_MILLISECONDS = 10_000;
const SAMPLE_EVERY = 5_000;

const CLASSES = ['水田', '旱地', '农村宅基地', '乔木林地', '农村道路'] as const;
/** A remark of 150 Chinese characters (450 bytes of UTF-8), so that the file outweighs the growth bound. */
const REMARK = '依据第三次全国国土调查成果及年度变更调查数据整理，'.repeat(6);

/**
 * A full garbage collection, so that samples count what the reading keeps alive rather than
 * garbage not yet collected (which depends on what ran before, and made this test flaky). The
 * mocha command line has no --expose-gc, so the flag is set here and `gc` taken from a new context.
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function liveBytes(): number {
  collectGarbage();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

function* rows(): Generator<RowSpec> {
  for (let i = 0; i < FEATURES; i++) {
    yield {
      geometry: geometryBlob(square(39468000 + (i % 1000) * 10.001, 4035000 + Math.floor(i / 1000) * 10.001), { srsId: 4527, hasEnvelope: true }),
      values: { BSM: String(371502000000000000n + BigInt(i)), DLBM: '0101', DLMC: CLASSES[i % CLASSES.length]!, QSDWMC: '张庄村民委员会', TBMJ: i + 0.25, SJNF: 2023, BZ: REMARK },
    };
  }
}

describe('openGeoPackage: streaming (pipeline/readers/geopackage)', () => {
  let dir: string;
  let path: string;

  before(async function () {
    this.timeout(60_000);
    dir = await makeTempDir();
    path = writeGeoPackage(join(dir, 'dltb.gpkg'), {
      srs: [EPSG_4527],
      tables: [
        {
          name: 'dltb',
          srsId: 4527,
          columns: [
            { name: 'BSM', type: 'TEXT(18)' },
            { name: 'DLBM', type: 'TEXT(5)' },
            { name: 'DLMC', type: 'TEXT(60)' },
            { name: 'QSDWMC', type: 'TEXT(60)' },
            { name: 'TBMJ', type: 'DOUBLE' },
            { name: 'SJNF', type: 'INTEGER' },
            { name: 'BZ', type: 'TEXT' },
          ],
          rows: rows(),
        },
      ],
    });
  });

  after(async () => {
    await removeTempDir(dir);
  });

  describe(`given ${FEATURES.toLocaleString('en')} features (about 60 MB of GeoPackage)`, () => {
    it(`reads them all in under ${MAX_READ_MILLISECONDS / 1000} s while memory stays flat`, async () => {
      expect((await stat(path)).size).to.be.greaterThan(MAX_GROWTH_BYTES);
      const started = performance.now();
      const source = await openGeoPackage(path);
      const baseline = liveBytes();
      let peakGrowth = 0;
      let count = 0;
      let last: unknown = null;
      try {
        for await (const feature of source.features()) {
          count++;
          if (count % SAMPLE_EVERY === 0) peakGrowth = Math.max(peakGrowth, liveBytes() - baseline);
          if (count === FEATURES) last = feature;
        }
      } finally {
        await source.close();
      }
      const elapsed = performance.now() - started;
      expect(count).to.equal(FEATURES);
      expect(last).to.deep.include({
        index: FEATURES,
        properties: { BSM: '371502000000099999', DLBM: '0101', DLMC: '农村道路', QSDWMC: '张庄村民委员会', TBMJ: 99999.25, SJNF: 2023, BZ: REMARK },
        geometry: square(39468000 + 999 * 10.001, 4035000 + 99 * 10.001),
      });
      expect(peakGrowth, `grew by ${(peakGrowth / 1024 / 1024).toFixed(1)} MB`).to.be.below(MAX_GROWTH_BYTES);
      expect(elapsed, `took ${elapsed.toFixed(0)} ms`).to.be.below(MAX_READ_MILLISECONDS);
    });
  });
});
