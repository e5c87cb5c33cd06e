import { expect } from 'chai';
import { CGCS2000Quad, tileAtPoint, WebMercatorQuad, type TileCoord, type TileMatrixSet } from '../../../core/grid/tile-matrix-set.js';
import { loadTilesetCatalog, type LayerSource } from '../../../server/sources/tileset-catalog.js';
import { NodeMvtLayerSource } from '../../../server/sources/node-mvt-layer-source.js';
import { PostgisLayerSource } from '../../../server/sources/postgis-layer-source.js';
import { decodeTile, ringArea, type DecodedFeature, type DecodedLayer } from '../../support/decode-tile.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger } from '../../support/test-database.js';

/*
 * The Node encoder (geojson-vt + vt-pbf, for PGlite) against ST_AsMVT, on the same real PostGIS
 * and the same sample data, tile by tile. "The same" means: the same layers, the same feature ids,
 * the same properties (names, values and decoded types), and geometry within one tile unit.
 *
 * Why one unit: both encoders start from the same float coordinates in tile space and snap them
 * to the integer grid, each rounding once, so an original vertex lands at most one unit apart in
 * each axis (the Node path also passes through 1/100-unit text, which can tip a .5 the other
 * way). Vertices made by clipping at the buffer edge are computed by different clippers, but
 * both lie on the same buffered edge. So every vertex of one tile's feature is checked to lie
 * within one unit (plus a rounding hair) of the other's outline, both ways (a symmetric
 * Hausdorff distance), and the areas to differ by no more than a one-unit band along the outline.
 */

/** Where tiles are taken: inside the data, and on the outer boundary of 莘县 (half the tile empty). */
const PLACES = [
  ['centre of Liaocheng', 115.985, 36.457],
  ['outer boundary of 莘县', 115.42779, 35.83894],
] as const;

interface Case {
  readonly grid: TileMatrixSet;
  readonly z: number;
}

const cases: Case[] = [
  { grid: WebMercatorQuad, z: 8 },
  { grid: WebMercatorQuad, z: 11 },
  { grid: WebMercatorQuad, z: 13 },
  { grid: WebMercatorQuad, z: 15 },
  { grid: CGCS2000Quad, z: 7 },
  { grid: CGCS2000Quad, z: 10 },
  { grid: CGCS2000Quad, z: 12 },
  { grid: CGCS2000Quad, z: 14 },
];

function tileAt(grid: TileMatrixSet, z: number, lon: number, lat: number): TileCoord {
  if (grid === CGCS2000Quad) return tileAtPoint(grid, z, lon, lat);
  const x = (lon * Math.PI * 6378137) / 180;
  const y = Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) * 6378137;
  return tileAtPoint(grid, z, x, y);
}

describe('Node MVT encoder against ST_AsMVT (same PostGIS, same tiles)', () => {
  let postgisLayers: LayerSource[];
  let nodeLayers: LayerSource[];

  before(async () => {
    const { pool, config } = sampleFixture();
    postgisLayers = (await loadTilesetCatalog(pool, config, silentLogger, 'postgis')).list();
    nodeLayers = (await loadTilesetCatalog(pool, config, silentLogger, 'node')).list();
  });

  it('builds Node sources when asked for the node encoder and ST_AsMVT sources otherwise', () => {
    expect(nodeLayers.map((layer) => layer.id)).to.deep.equal(postgisLayers.map((layer) => layer.id));
    expect(nodeLayers.every((layer) => layer instanceof NodeMvtLayerSource)).to.equal(true);
    expect(postgisLayers.every((layer) => layer instanceof PostgisLayerSource)).to.equal(true);
  });

  it('finds no feature in a tile away from the data, like ST_AsMVT (the route answers 204)', async () => {
    for (const grid of [WebMercatorQuad, CGCS2000Quad]) {
      const tile = tileAt(grid, 12, 121.5, 31.2); // Shanghai: no Liaocheng parcel there
      for (const id of ['landuse', 'county']) {
        expect(await postgisLayers.find((layer) => layer.id === id)!.getTile(tile, grid), `${id} ST_AsMVT ${grid.id}`).to.equal(null);
        expect(await nodeLayers.find((layer) => layer.id === id)!.getTile(tile, grid), `${id} Node ${grid.id}`).to.equal(null);
      }
    }
  });

  for (const { grid, z } of cases) {
    for (const [label, lon, lat] of PLACES) {
      it(`matches for landuse and county at ${grid.id} z${z} (${label})`, async () => {
        const tile = tileAt(grid, z, lon, lat);
        let compared = 0;
        for (const id of ['landuse', 'county']) {
          const reference = postgisLayers.find((layer) => layer.id === id)!;
          const candidate = nodeLayers.find((layer) => layer.id === id)!;
          if (z < reference.minzoom || z > reference.maxzoom) continue;
          const [expectedBytes, actualBytes] = await Promise.all([reference.getTile(tile, grid), candidate.getTile(tile, grid)]);
          expect(actualBytes === null, `${id} ${z}/${tile.x}/${tile.y}: one encoder found no feature`).to.equal(expectedBytes === null);
          if (!expectedBytes || !actualBytes) continue;
          const expected = decodeTile(expectedBytes).get(id)!;
          const actual = decodeTile(actualBytes).get(id)!;
          compareLayers(expected, actual, `${id} ${grid.id} ${z}/${tile.x}/${tile.y}`);
          compared += expected.features.length;
        }
        expect(compared, 'the tile should hold features to compare').to.be.greaterThan(0);
      });
    }
  }
});

function compareLayers(expected: DecodedLayer, actual: DecodedLayer, where: string): void {
  expect(actual.name).to.equal(expected.name);
  expect(actual.extent, `${where}: extent`).to.equal(expected.extent);
  expect(actual.features.map((feature) => feature.id), `${where}: feature ids`).to.deep.equal(expected.features.map((feature) => feature.id));
  expected.features.forEach((reference, i) => {
    const candidate = actual.features[i]!;
    const at = `${where} feature ${reference.id}`;
    expect(candidate.type, `${at}: geometry type`).to.equal(reference.type);
    expect(candidate.properties, `${at}: properties`).to.deep.equal(reference.properties);
    const distance = Math.max(outlineDistance(reference, candidate), outlineDistance(candidate, reference));
    expect(distance, `${at}: farthest vertex from the other outline (tile units)`).to.be.at.most(1 + 1e-9);
    const band = perimeter(reference) * 1 + 4;
    expect(Math.abs(area(candidate) - area(reference)), `${at}: area (tile units²)`).to.be.at.most(band);
  });
}

/** The largest distance from a vertex of `from` to the nearest segment of `to`. */
function outlineDistance(from: DecodedFeature, to: DecodedFeature): number {
  const segments = to.geometry.flatMap((ring) => ring.map((point, i) => [point, ring[(i + 1) % ring.length]!] as const));
  let worst = 0;
  for (const ring of from.geometry) {
    for (const point of ring) {
      let best = Infinity;
      for (const [a, b] of segments) best = Math.min(best, pointToSegment(point, a, b));
      worst = Math.max(worst, best);
    }
  }
  return worst;
}

function pointToSegment(p: { x: number; y: number }, a: { x: number; y: number }, b: { x: number; y: number }): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const lengthSquared = dx * dx + dy * dy;
  const t = lengthSquared === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / lengthSquared));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

function area(feature: DecodedFeature): number {
  return feature.geometry.reduce((sum, ring) => sum + ringArea(ring), 0);
}

function perimeter(feature: DecodedFeature): number {
  return feature.geometry.reduce((sum, ring) => sum + ring.reduce((length, point, i) => {
    const next = ring[(i + 1) % ring.length]!;
    return length + Math.hypot(next.x - point.x, next.y - point.y);
  }, 0), 0);
}
