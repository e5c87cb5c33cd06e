import { join } from 'node:path';
import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { COUNTY_WITHOUT_CPG } from '../../../pipeline/delivery/generate-delivery.js';
import { importDataset } from '../../../pipeline/import/import-dataset.js';
import { FIXTURE_PARCELS, sampleFixture } from '../../support/sample-fixture.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';
import { generateInTemp, LIAOCHENG_COUNTIES, readShapefile, ZONE_38_COUNTIES, type GeneratedDelivery } from './read-delivery.js';

const CLI = { trigger: 'cli', startedBy: 'test' } as const;

describe('a generated sample delivery, imported (pipeline/delivery → pipeline/import)', function () {
  this.timeout(120_000);
  let delivery: GeneratedDelivery;
  let database: TestDatabase;
  let config: AppConfig;
  let pool: Pool;

  before(async () => {
    delivery = await generateInTemp(sampleFixture().pool, { parcels: 2000, seed: 'import-test', format: 'shapefile', layers: ['landuse', 'stbhhx'] });
    database = await createTestDatabase('delivery');
    config = testConfig(database.url, (raw) => {
      raw.pipeline = { importRoots: [delivery.dir] };
      const landuse = (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!;
      landuse.source = { path: '*/DLTB.shp' };
    });
    pool = await openMigratedPool(config);
  });

  after(async () => {
    await pool?.end();
    await database?.drop();
    await delivery?.remove();
  });

  describe('given the DLTB files of the eight counties, in two zones, one without .cpg', () => {
    it('passes QA and publishes every parcel written, of all eight counties, with GBK text exact', async () => {
      const written = delivery.result.layers.filter((layer) => layer.layer === 'landuse').reduce((sum, layer) => sum + layer.features, 0);
      const result = await importDataset(pool, config, 'landuse', CLI, silentLogger);
      expect(result.report.passed).to.equal(true);
      // The only finding: slivers where a county delivered in zone 38 meets one in zone 39. Each
      // rounds the shared border in its own zone, and a border segment straight in one zone is
      // a different chord in EPSG:4490 than in the other. Counties in the same zone meet exactly.
      expect(result.report.findings.filter((finding) => finding.rule !== 'overlaps' || finding.level !== 'warn')).to.deep.equal([]);
      const { rows: overlapping } = await pool.query(
        `SELECT a."BSM", b."BSM" FROM live.landuse a JOIN live.landuse b ON a.geom && b.geom AND a."BSM" < b."BSM"
          WHERE (a."XZQDM" = ANY ($1::text[])) = (b."XZQDM" = ANY ($1::text[]))
            AND ST_Relate(a.geom, b.geom, '2********') AND ST_Area(ST_Intersection(a.geom, b.geom)::geography) > 0.01`,
        [ZONE_38_COUNTIES],
      );
      expect(overlapping).to.deep.equal([]);
      expect(result.version).to.equal(1);
      expect(result.report).to.include({ featuresRead: written, featuresLoaded: written, featuresRejected: 0 });
      const { rows } = await pool.query<{ XZQDM: string; count: number }>(
        `SELECT "XZQDM", count(*)::int AS count FROM live.landuse GROUP BY "XZQDM" ORDER BY "XZQDM"`,
      );
      expect(rows.map((row) => row.XZQDM)).to.deep.equal(LIAOCHENG_COUNTIES);
      expect(rows.reduce((sum, row) => sum + row.count, 0)).to.equal(written);
      const first = (await readShapefile(join(delivery.dir, COUNTY_WITHOUT_CPG, 'DLTB.shp'))).features[0]!.properties;
      const { rows: imported } = await pool.query(`SELECT "ZLDWMC", "DLMC", "TBMJ" FROM live.landuse WHERE "BSM" = $1`, [first.BSM]);
      expect(imported).to.deep.equal([{ ZLDWMC: first.ZLDWMC, DLMC: first.DLMC, TBMJ: first.TBMJ }]);
    });
  });

  describe('given 371502\'s STBHHX, as the configured dataset stbhhx_371502 expects it', () => {
    it('passes QA and publishes every red-line polygon', async () => {
      const written = delivery.result.layers.find((layer) => layer.layer === 'stbhhx' && layer.county === '371502')!.features;
      const result = await importDataset(pool, config, 'stbhhx_371502', CLI, silentLogger);
      expect(result.report.passed).to.equal(true);
      expect(result.report.featuresLoaded).to.equal(written);
    });
  });
});

describe('the parcels of a sample delivery (pipeline/delivery)', function () {
  this.timeout(120_000);

  describe('given the seed and size of the suite fixture, made by generateSample', () => {
    it('are the published sample\'s parcels, rounded to the millimetre in the zone', async () => {
      const { pool } = sampleFixture();
      const delivery = await generateInTemp(pool, { parcels: FIXTURE_PARCELS, seed: 'test', format: 'shapefile', layers: ['landuse'] });
      const client = await pool.connect();
      try {
        // A temp table on one session: the shared fixture database is left as it was.
        await client.query('CREATE TEMP TABLE delivered (bsm text, dlbm text, zldwmc text, kcxs float8, tbmj float8, srid int, geojson text)');
        for (const layer of delivery.result.layers) {
          const read = await readShapefile(layer.files[0]!);
          await client.query(
            `INSERT INTO delivered SELECT u.bsm, u.dlbm, u.zldwmc, u.kcxs, u.tbmj, $6::int, u.geojson
               FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $7::text[]) AS u(bsm, dlbm, zldwmc, kcxs, tbmj, geojson)`,
            [...(['BSM', 'DLBM', 'ZLDWMC', 'KCXS', 'TBMJ'] as const).map((field) => read.features.map((feature) => feature.properties[field])),
              layer.zoneSrid, read.features.map((feature) => JSON.stringify(feature.geometry))],
          );
        }
        const { rows } = await client.query<{ delivered: number; published: number; matched: number; moved_m: number; moved_across_zones_m: number; worst_area_share: number }>(
          `SELECT (SELECT count(*)::int FROM delivered) AS delivered, (SELECT count(*)::int FROM live.landuse) AS published,
                  count(*)::int AS matched,
                  max(moved_m) FILTER (WHERE srid = 4527) AS moved_m,
                  max(moved_m) FILTER (WHERE srid <> 4527) AS moved_across_zones_m,
                  max(abs(tbmj - published_m2) / published_m2) AS worst_area_share
             FROM (SELECT d.srid, d.tbmj, l."TBMJ" AS published_m2,
                          ST_HausdorffDistance(ST_Transform(l.geom, d.srid), ST_SetSRID(ST_GeomFromGeoJSON(d.geojson), d.srid)) AS moved_m
                     FROM delivered d JOIN live.landuse l
                       ON l."BSM" = d.bsm AND l."DLBM" = d.dlbm AND l."ZLDWMC" = d.zldwmc AND l."KCXS" IS NOT DISTINCT FROM d.kcxs) compared`,
        );
        expect(rows[0]!.matched).to.equal(rows[0]!.published);
        expect(rows[0]!.delivered).to.equal(rows[0]!.published);
        // Half a millimetre diagonally, plus the round trip through EPSG:4490.
        expect(rows[0]!.moved_m).to.be.below(0.0008);
        // The sample lays parcels out in zone 39; in zone 38, the points that edge-matching puts
        // on a border segment straight in zone 39 lie off the segment straight in zone 38.
        expect(rows[0]!.moved_across_zones_m).to.be.below(0.002);
        expect(rows[0]!.worst_area_share).to.be.below(1e-5);
      } finally {
        await client.query('DROP TABLE IF EXISTS delivered').catch(() => undefined);
        client.release();
        await delivery.remove();
      }
    });
  });
});
