import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { makeTempDir, writeLargeGeoJson, type TempDir } from './geojson-fixtures.js';
import type { LargeFileSummary } from './read-large-file.js';

const FILE_BYTES = 100 * 1024 * 1024;
/** Reading must not hold the file: a 100 MB file parsed whole takes several hundred MB. */
const MAX_GROWTH_BYTES = 60 * 1024 * 1024;
const READER_SCRIPT = fileURLToPath(new URL('./read-large-file.ts', import.meta.url));

describe('openGeoJson (pipeline/readers/geojson) on a large file', () => {
  describe('given a 100 MB FeatureCollection whose crs comes after its features', () => {
    let dir: TempDir;
    let featureCount: number;
    let summary: LargeFileSummary;

    before(async () => {
      dir = await makeTempDir('geojson-large');
      const path = join(dir.path, 'large.geojson');
      ({ featureCount } = await writeLargeGeoJson(path, FILE_BYTES));
      // In a process of its own: see read-large-file.ts for why.
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', READER_SCRIPT, path], { maxBuffer: 1 << 20 });
      summary = JSON.parse(stdout) as LargeFileSummary;
    });

    after(async () => {
      await dir.remove();
    });

    it('states the crs found after the features', () => {
      expect(summary.crs).to.deep.equal({ kind: 'name', name: 'urn:ogc:def:crs:EPSG::4490' });
    });

    it('reads every feature, numbered in order, the last one intact', () => {
      expect({ count: summary.count, isNumberedInOrder: summary.isNumberedInOrder }).to.deep.equal({ count: featureCount, isNumberedInOrder: true });
      expect(summary.lastProperties).to.deep.equal({ BSM: String(featureCount), DLMC: featureCount % 2 === 0 ? '水田' : '农村宅基地', TBMJ: featureCount + 0.25, GDLX: null });
      expect(summary.fields).to.deep.equal([
        { name: 'BSM', type: 'string' },
        { name: 'DLMC', type: 'string' },
        { name: 'TBMJ', type: 'number' },
        { name: 'GDLX', type: 'string' },
      ]);
    });

    it('keeps live memory flat while reading', () => {
      expect(summary.maxGrowthBytes, `grew by ${(summary.maxGrowthBytes / 1024 / 1024).toFixed(1)} MB in ${summary.seconds.toFixed(1)} s`).to.be.below(MAX_GROWTH_BYTES);
    });
  });
});
