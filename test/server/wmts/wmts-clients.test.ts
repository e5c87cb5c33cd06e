import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import WMTSCapabilities from 'ol/format/WMTSCapabilities.js';
import { addProjection, get as getProjection } from 'ol/proj.js';
import Projection from 'ol/proj/Projection.js';
import WMTS, { optionsFromCapabilities } from 'ol/source/WMTS.js';
import sharp from 'sharp';
import { cellSize, CGCS2000Quad, tileAtPoint, WebMercatorQuad, type TileMatrixSet } from '../../../core/grid/tile-matrix-set.js';
import { rawGet } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { knownParcels, type KnownParcel } from './known-parcels.js';
import { provideDomForOpenLayers } from './openlayers-in-node.js';
import { startWmtsTestServer, type WmtsTestServer } from './wmts-test-server.js';

const execFileAsync = promisify(execFile);

/** Levels read in each grid: the layer's full resolution, and an overview level. */
const FULL_RESOLUTION_LEVEL = 16;
const OVERVIEW_LEVEL = 13;
/** Interior clearance of the known parcels: 6 pixels at the overview level, 56 at full resolution. */
const CLEARANCE_METRES = 60;

const GRIDS = [CGCS2000Quad, WebMercatorQuad] as const;

/** The parcel's interior point in the grid's CRS, (easting, northing) / (longitude, latitude). */
function pointIn(grid: TileMatrixSet, parcel: KnownParcel): [number, number] {
  return grid === CGCS2000Quad ? [parcel.lon, parcel.lat] : [parcel.x3857, parcel.y3857];
}

/** RGBA of one pixel of an encoded image. */
async function pixelAt(image: Buffer | string, column: number, row: number): Promise<number[]> {
  const { data, info } = await sharp(image).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  expect(column, 'pixel column inside the image').to.be.within(0, info.width - 1);
  expect(row, 'pixel row inside the image').to.be.within(0, info.height - 1);
  const offset = (row * info.width + column) * 4;
  return [...data.subarray(offset, offset + 4)];
}

describe('real WMTS clients against the server', () => {
  let server: WmtsTestServer;
  let parcels: KnownParcel[];

  before(async () => {
    server = await startWmtsTestServer();
    parcels = await knownParcels(sampleFixture().pool, 2, CLEARANCE_METRES);
  });

  after(() => server.close());

  describe('OpenLayers (ol/format/WMTSCapabilities, optionsFromCapabilities, ol/source/WMTS)', () => {
    let capabilities: ReturnType<WMTSCapabilities['read']>;

    before(async () => {
      provideDomForOpenLayers();
      // A client must know EPSG:4490 to use it: latitude first, degrees on the CGCS2000 ellipsoid
      // (a = 6378137 m, as OpenLayers' own EPSG:4326).
      if (!getProjection('EPSG:4490')) {
        addProjection(
          new Projection({ code: 'EPSG:4490', units: 'degrees', axisOrientation: 'neu', extent: [-180, -90, 180, 90], global: true, metersPerUnit: (Math.PI * 6378137) / 180 }),
        );
      }
      const response = await rawGet(`${server.baseUrl}/wmts/1.0.0/WMTSCapabilities.xml`);
      capabilities = new WMTSCapabilities().read(response.body.toString('utf8'));
    });

    for (const grid of GRIDS) {
      for (const requestEncoding of ['KVP', 'REST'] as const) {
        it(`computes ${grid.id} tile URLs (${requestEncoding}) that the server answers with the parcel in its class colour`, async () => {
          const options = optionsFromCapabilities(capabilities, { layer: 'landuse', matrixSet: grid.id, format: 'image/png', requestEncoding });
          expect(options, 'options from capabilities').to.not.equal(null);
          expect(options!.projection && getProjection(options!.projection)!.getCode()).to.equal(`EPSG:${grid.srid}`);
          if (requestEncoding === 'REST') {
            // OpenLayers takes every tile ResourceURL as an alternative server, whatever its
            // format; keep the PNG template, as an application asking for PNG does.
            options!.urls = options!.urls!.filter((url) => url.endsWith('.png'));
            expect(options!.urls).to.have.length(1);
          }
          const source = new WMTS(options!);
          const tileGrid = source.getTileGrid()!;
          const matrixIds = (tileGrid as unknown as { getMatrixIds(): string[] }).getMatrixIds();
          const levelIndex = matrixIds.indexOf('15');
          expect(levelIndex, 'tile matrix 15 in the layer limits').to.be.greaterThan(-1);
          // The resolution OpenLayers derives from ScaleDenominator and the CRS is the grid's.
          expect(tileGrid.getResolution(levelIndex)).to.be.closeTo(cellSize(grid, 15), cellSize(grid, 15) * 1e-9);
          for (const parcel of parcels) {
            const point = pointIn(grid, parcel);
            const tileCoord = tileGrid.getTileCoordForCoordAndZ(point, levelIndex);
            const url = source.getTileUrlFunction()(tileCoord, 1, getProjection(`EPSG:${grid.srid}`)!);
            expect(url, 'tile URL').to.be.a('string');
            const expectedTile = tileAtPoint(grid, 15, point[0], point[1]);
            expect([tileCoord[1], tileCoord[2]], 'OpenLayers tile column and row').to.deep.equal([expectedTile.x, expectedTile.y]);
            const response = await rawGet(url!);
            expect(response.status, `${url}: ${response.body.toString('utf8').slice(0, 300)}`).to.equal(200);
            expect(response.headers['content-type']).to.equal('image/png');
            const extent = tileGrid.getTileCoordExtent(tileCoord);
            const resolution = tileGrid.getResolution(levelIndex);
            const column = Math.floor((point[0] - extent[0]!) / resolution);
            const row = Math.floor((extent[3]! - point[1]) / resolution);
            expect(await pixelAt(response.body, column, row), `parcel ${parcel.fid} (${parcel.classCode}) at ${url}`).to.deep.equal([...parcel.rgb, 255]);
          }
        });
      }
    }
  });

  describe("GDAL's WMTS driver (gdalinfo, gdal_translate)", () => {
    let workDir: string;

    before(async () => {
      workDir = await mkdtemp(join(tmpdir(), 'planmap-wmts-gdal-'));
    });

    after(() => rm(workDir, { recursive: true, force: true }));

    /** Runs a GDAL program without blocking the server, which lives in this process. */
    async function gdal(program: string, args: string[]): Promise<string> {
      const { stdout } = await execFileAsync(program, args, {
        cwd: workDir,
        timeout: 60_000,
        env: { ...process.env, GDAL_HTTP_TIMEOUT: '30', CPL_DEBUG: 'OFF' },
      });
      return stdout;
    }

    const datasetName = (grid: TileMatrixSet): string => `WMTS:${server.baseUrl}/wmts/1.0.0/WMTSCapabilities.xml,layer=landuse,tilematrixset=${grid.id}`;

    for (const grid of GRIDS) {
      describe(`in ${grid.id}`, () => {
        it(`reads the layer in EPSG:${grid.srid} at the full resolution of level ${FULL_RESOLUTION_LEVEL}, within the data bounds`, async () => {
          const info = JSON.parse(await gdal('gdalinfo', ['-json', datasetName(grid)])) as GdalInfo;
          expect(info.driverShortName).to.equal('WMTS');
          expect(info.coordinateSystem.wkt).to.include(`ID["EPSG",${grid.srid}]`);
          const [originX, pixelWidth, , originY, , pixelHeight] = info.geoTransform;
          expect(pixelWidth).to.be.closeTo(cellSize(grid, FULL_RESOLUTION_LEVEL), cellSize(grid, FULL_RESOLUTION_LEVEL) * 1e-9);
          expect(pixelHeight).to.be.closeTo(-cellSize(grid, FULL_RESOLUTION_LEVEL), cellSize(grid, FULL_RESOLUTION_LEVEL) * 1e-9);
          const bounds = server.styles.get('landuse').bounds!;
          if (grid === CGCS2000Quad) {
            // GDAL's geotransform is longitude, latitude even though EPSG:4490 is latitude first.
            expect(originX).to.be.closeTo(bounds[0], 1e-4);
            expect(originY).to.be.closeTo(bounds[3], 1e-4);
            expect(originX + info.size[0] * pixelWidth).to.be.closeTo(bounds[2], 1e-4);
            expect(originY + info.size[1] * pixelHeight).to.be.closeTo(bounds[1], 1e-4);
          } else {
            expect(originX).to.be.closeTo((bounds[0] * Math.PI * 6378137) / 180, 10);
            expect(originX + info.size[0] * pixelWidth).to.be.closeTo((bounds[2] * Math.PI * 6378137) / 180, 10);
          }
        });

        for (const level of [FULL_RESOLUTION_LEVEL, OVERVIEW_LEVEL]) {
          it(`cuts a window around known parcels at level ${level} whose pixel at each parcel's interior point has its class colour`, async () => {
            for (const parcel of parcels) {
              const [x, y] = pointIn(grid, parcel);
              const pixel = cellSize(grid, level);
              const half = 10.5 * pixel;
              const output = join(workDir, `${grid.id}-${level}-${parcel.fid}.png`);
              server.requests.length = 0;
              await gdal('gdal_translate', [
                '-q', '-of', 'PNG', '-outsize', '21', '21',
                '-projwin', String(x - half), String(y + half), String(x + half), String(y - half),
                datasetName(grid), output,
              ]);
              // GDAL read the tiles of this level (the scale denominators map to the right level)...
              const tile = tileAtPoint(grid, level, x, y);
              const tilePath = `/wmts/1.0.0/landuse/default/${grid.id}/${level}/${tile.y}/${tile.x}.png`;
              expect(server.requests.filter((url) => url.startsWith('/wmts/1.0.0/landuse/')), 'tiles GDAL requested').to.include(tilePath);
              // ...and placed them where they belong (the axis order is right).
              const written = JSON.parse(await gdal('gdalinfo', ['-json', output])) as GdalInfo;
              const [outX, outWidth, , outY, , outHeight] = written.geoTransform;
              const column = Math.floor((x - outX) / outWidth);
              const row = Math.floor((y - outY) / outHeight);
              expect(await pixelAt(output, column, row), `parcel ${parcel.fid} (${parcel.classCode}) in ${grid.id} level ${level}`).to.deep.equal([...parcel.rgb, 255]);
            }
          });
        }
      });
    }

    it('also opens the KVP capabilities URL', async () => {
      const info = JSON.parse(
        await gdal('gdalinfo', ['-json', `WMTS:${server.baseUrl}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities,layer=landuse,tilematrixset=CGCS2000Quad`]),
      ) as GdalInfo;
      expect(info.driverShortName).to.equal('WMTS');
      expect(info.coordinateSystem.wkt).to.include('ID["EPSG",4490]');
    });
  });
});

/** The parts of `gdalinfo -json` read here. */
interface GdalInfo {
  readonly driverShortName: string;
  readonly size: [number, number];
  readonly geoTransform: [number, number, number, number, number, number];
  readonly coordinateSystem: { readonly wkt: string };
}
