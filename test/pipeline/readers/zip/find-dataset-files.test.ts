import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { findDatasetFiles } from '../../../../pipeline/readers/zip/find-dataset-files.js';
import { extractZip } from '../../../../pipeline/readers/zip/open-zip.js';
import { writeZip } from './zip-fixtures.js';

/** A delivery as it comes: datasets in folders, with their side files, macOS debris and documents. */
const DELIVERY = [
  '土地利用/地类图斑.shp',
  '土地利用/地类图斑.shx',
  '土地利用/地类图斑.dbf',
  '土地利用/地类图斑.prj',
  '土地利用/地类图斑.shp.xml', // ArcGIS metadata
  '土地利用/村级调查区.SHP', // Windows tools write upper case
  '土地利用/._地类图斑.shp', // AppleDouble, from Finder
  '__MACOSX/土地利用/._村级调查区.SHP',
  '规划/bounds.geojson',
  '规划/meta.json', // not GeoJSON: listed, and its reader says what it is
  'gpkg/DLTB.gpkg',
  'gpkg/DLTB.gpkg-wal',
  'readme.txt',
];

describe('findDatasetFiles (pipeline/readers/zip)', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'planmap-find-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('given a zipped delivery, extracted', () => {
    it('finds the shapefiles, GeoJSON and GeoPackages in every folder, sorted, labelled inside the zip', async () => {
      const zip = join(dir, 'delivery.zip');
      await writeZip(zip, DELIVERY.map((name) => ({ name, data: name })));
      const extracted = await extractZip(zip, join(dir, 'delivery'));
      const files = await findDatasetFiles(extracted.dir, zip);
      expect(files.map(({ label, format }) => [label, format])).to.deep.equal([
        [`${zip}!/gpkg/DLTB.gpkg`, 'geopackage'],
        [`${zip}!/土地利用/地类图斑.shp`, 'shapefile'],
        [`${zip}!/土地利用/村级调查区.SHP`, 'shapefile'],
        [`${zip}!/规划/bounds.geojson`, 'geojson'],
        [`${zip}!/规划/meta.json`, 'geojson'],
      ]);
      expect(files[1]!.path).to.equal(join(dir, 'delivery', '土地利用', '地类图斑.shp'));
    });
  });

  describe('given a folder', () => {
    it('labels files by their paths, and does not follow symbolic links', async () => {
      const folder = join(dir, 'folder');
      await mkdir(join(folder, 'sub'), { recursive: true });
      await writeFile(join(folder, 'sub', 'DLTB.geojson'), '{}');
      await symlink(join(folder, 'sub', 'DLTB.geojson'), join(folder, 'link.geojson'));
      await symlink(join(folder, 'sub'), join(folder, 'linked-folder'));
      const files = await findDatasetFiles(folder);
      expect(files).to.deep.equal([{ path: join(folder, 'sub', 'DLTB.geojson'), label: join(folder, 'sub', 'DLTB.geojson'), format: 'geojson' }]);
    });
  });
});
