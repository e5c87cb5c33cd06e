import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ImportError } from '../../../../core/errors.js';
import { openWithOgr } from '../../../../pipeline/readers/ogr/open-with-ogr.js';
import type { SourceFeature } from '../../../../pipeline/readers/feature-source.js';

/**
 * MapInfo TAB made from GeoJSON with GDAL itself (gdal-bin is installed by .ci/run). MapInfo
 * stores coordinates as integers within the layer's bounds, so they come back rounded to the
 * centimetre, and its CRS carries no EPSG code.
 */
const PARCEL = {
  type: 'FeatureCollection',
  crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4527' } },
  features: [{
    type: 'Feature',
    properties: { DLBM: '0101', DLMC: '水田' },
    geometry: { type: 'Polygon', coordinates: [[[39428300.125, 4029000.5], [39428400.125, 4029000.5], [39428400.125, 4029050.5], [39428300.125, 4029050.5], [39428300.125, 4029000.5]]] },
  }],
};

describe('openWithOgr (pipeline/readers/ogr)', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'planmap-ogr-test-'));
    await writeFile(join(dir, 'in.geojson'), JSON.stringify(PARCEL));
    execFileSync('ogr2ogr', ['-f', 'MapInfo File', join(dir, 'DLTB.tab'), join(dir, 'in.geojson')]);
  });

  after(() => rm(dir, { recursive: true, force: true }));

  describe('given a MapInfo TAB file and GDAL installed', () => {
    it('reads its features with their Chinese attributes', async () => {
      const source = await openWithOgr(join(dir, 'DLTB.tab'), { label: 'delivery/DLTB.tab' });
      try {
        const features: SourceFeature[] = [];
        for await (const feature of source.features()) features.push(feature);
        expect(source.file).to.equal('delivery/DLTB.tab');
        expect(features).to.have.length(1);
        expect(features[0]!.properties).to.deep.equal({ DLBM: '0101', DLMC: '水田' });
        const ring = (features[0]!.geometry as { coordinates: number[][][] }).coordinates[0]!;
        expect(ring[0]![0]).to.be.closeTo(39428300.125, 0.01);
        expect(ring[0]![1]).to.be.closeTo(4029000.5, 0.01);
      } finally {
        await source.close();
      }
    });
  });

  describe('given GDAL is not installed', () => {
    it('refuses the file, naming it and saying how to install GDAL', async () => {
      const error = await openWithOgr(join(dir, 'DLTB.tab'), { label: 'delivery/DLTB.tab', env: { PATH: join(dir, 'no-such-bin') } })
        .then(() => null, (caught: unknown) => caught);
      expect(error).to.be.instanceOf(ImportError);
      expect((error as ImportError).file).to.equal('delivery/DLTB.tab');
      expect((error as Error).message).to.match(/apt-get install gdal-bin/);
    });
  });

  describe('given a file GDAL cannot read', () => {
    it('refuses it with GDAL\'s reason', async () => {
      await writeFile(join(dir, 'broken.dxf'), 'not a dxf at all');
      const error = await openWithOgr(join(dir, 'broken.dxf')).then(() => null, (caught: unknown) => caught);
      expect(error).to.be.instanceOf(ImportError);
      expect((error as Error).message).to.match(/broken\.dxf: GDAL could not open it/);
    });
  });
});
