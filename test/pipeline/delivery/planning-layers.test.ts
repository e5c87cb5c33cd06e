import { join } from 'node:path';
import { expect } from 'chai';
import { PLANNING_ZONE_CODES } from '../../../pipeline/delivery/planning-tables.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { generateInTemp, LIAOCHENG_COUNTIES, readShapefile, ZONE_38_COUNTIES, type GeneratedDelivery, type ReadBack } from './read-delivery.js';

const PARCELS = 2000;
const COUNTY_NAMES: Readonly<Record<string, string>> = {
  371502: '东昌府区', 371503: '茌平区', 371521: '阳谷县', 371522: '莘县', 371524: '东阿县', 371525: '冠县', 371526: '高唐县', 371581: '临清市',
};
const GHFQ_ZONES = ['生态保护区', '农田保护区', '城镇发展区', '生态控制区', '乡村发展区'];
const CZKFBJ_ZONES = ['城镇集中建设区', '城镇弹性发展区', '特别用途区'];

interface Measured {
  /** Features that are not valid polygons. */
  invalid: number;
  /** Sum of the features' ellipsoidal areas, m². */
  sum_m2: number;
  /** Ellipsoidal area of their union, m². */
  union_m2: number;
  /** Largest difference between the area field and the ellipsoidal area, m². */
  worst_area_field: number;
}

/** Validity and areas of a layer read back, measured by PostGIS in the layer's zone. */
async function measure(read: ReadBack, areaField: string): Promise<Measured> {
  const { rows } = await sampleFixture().pool.query<Measured>(
    `WITH f AS (
       SELECT ST_SetSRID(ST_GeomFromGeoJSON(g), $2) AS geom, declared FROM unnest($1::text[], $3::float8[]) AS u(g, declared)
     )
     SELECT count(*) FILTER (WHERE NOT ST_IsValid(geom) OR GeometryType(geom) NOT IN ('POLYGON', 'MULTIPOLYGON'))::int AS invalid,
            sum(ST_Area(ST_Transform(geom, 4490)::geography)) AS sum_m2,
            ST_Area(ST_Transform(ST_Union(geom), 4490)::geography) AS union_m2,
            max(abs(declared - ST_Area(ST_Transform(geom, 4490)::geography))) AS worst_area_field
       FROM f`,
    [read.features.map((feature) => JSON.stringify(feature.geometry)), read.srid, read.features.map((feature) => feature.properties[areaField])],
  );
  return rows[0]!;
}

describe('the planning layers of a sample delivery (pipeline/delivery)', function () {
  this.timeout(120_000);
  let delivery: GeneratedDelivery;
  const read = (county: string, layer: string) => readShapefile(join(delivery.dir, county, `${layer}.shp`));

  before(async () => {
    delivery = await generateInTemp(sampleFixture().pool, { parcels: PARCELS, seed: 'planning-test', format: 'shapefile', layers: ['landuse', 'stbhhx', 'yjjbnt', 'czkfbj', 'ghfq'] });
  });

  after(async () => {
    await delivery?.remove();
  });

  for (const [layer, areaField] of [['STBHHX', 'MJ'], ['YJJBNT', 'YJJBNTTBMJ'], ['CZKFBJ', 'MJ'], ['GHFQ', 'MJ']] as const) {
    it(`${layer}: every county has valid polygons in its zone, with ${areaField} the ellipsoidal area`, async () => {
      for (const county of LIAOCHENG_COUNTIES) {
        const features = await read(county, layer);
        expect(features.srid, county).to.equal(ZONE_38_COUNTIES.includes(county) ? 4526 : 4527);
        expect(features.features.length, `${county} ${layer}`).to.be.greaterThan(0);
        const measured = await measure(features, areaField);
        expect(measured.invalid, `${county} ${layer}`).to.equal(0);
        expect(measured.worst_area_field, `${county} ${layer}`).to.be.below(0.0051);
      }
    });
  }

  it('GHFQ partitions each county: its zones cover the parcels without overlapping, coded by name', async () => {
    for (const county of LIAOCHENG_COUNTIES) {
      const zones = await read(county, 'GHFQ');
      const parcels = await read(county, 'DLTB');
      const measured = await measure(zones, 'MJ');
      const parcelsM2 = parcels.features.reduce((sum, feature) => sum + (feature.properties.TBMJ as number), 0);
      expect(measured.sum_m2 / parcelsM2, `${county} coverage`).to.be.closeTo(1, 1e-6);
      expect(measured.union_m2 / measured.sum_m2, `${county} overlaps`).to.be.closeTo(1, 1e-6);
      for (const { properties } of zones.features) {
        expect(GHFQ_ZONES, county).to.include(properties.GHFQMC);
        expect(properties.GHFQDM).to.equal(PLANNING_ZONE_CODES[properties.GHFQMC as string]);
        expect(properties).to.include({ XZQDM: county, XZQMC: COUNTY_NAMES[county], YSDM: '2090020610' });
      }
    }
  });

  it('CZKFBJ holds only the three sub-zones of the development boundary, and YJJBNT only farmland of the county\'s villages', async () => {
    for (const county of LIAOCHENG_COUNTIES) {
      for (const { properties } of (await read(county, 'CZKFBJ')).features) {
        expect(CZKFBJ_ZONES).to.include(properties.GHFQMC);
        expect(properties.GHFQDM).to.equal(PLANNING_ZONE_CODES[properties.GHFQMC as string]);
      }
      for (const { properties } of (await read(county, 'YJJBNT')).features) {
        expect(['0101', '0102', '0103']).to.include(properties.DLBM);
        expect(properties.ZLDWDM).to.match(new RegExp(`^${county}\\d{13}$`));
        expect(properties.YJJBNTMJ as number).to.be.within((properties.YJJBNTTBMJ as number) * 0.9, properties.YJJBNTTBMJ as number);
      }
      for (const { properties } of (await read(county, 'STBHHX')).features) {
        expect(properties).to.include({ XJXZQDM: county, XJXZQMC: COUNTY_NAMES[county], SJXZQMC: '山东省', SJXZQMC1: '聊城市', LHLX: '陆域' });
      }
    }
  });

  it('keeps BSM unique across the layers of a county', async () => {
    for (const county of LIAOCHENG_COUNTIES) {
      const keys: unknown[] = [];
      for (const layer of ['DLTB', 'STBHHX', 'YJJBNT', 'CZKFBJ', 'GHFQ']) keys.push(...(await read(county, layer)).features.map((feature) => feature.properties.BSM));
      expect(new Set(keys).size, county).to.equal(keys.length);
    }
  });
});
