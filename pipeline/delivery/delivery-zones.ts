import type { PoolClient } from '../../core/db/pool.js';

/**
 * The Gauss-Kruger zone each county delivers in. Liaocheng straddles the 115.5°E line between
 * zone 38 (EPSG:4526) and zone 39 (EPSG:4527); 冠县 and 莘县 lie across it and deliver in zone 38,
 * the others in zone 39 (data/reference/SOURCES.md).
 *
 * The counties are named rather than found by "centroid west of 115.5°E": the centroids of the
 * bundled (generalised) outlines of 冠县 and 莘县 are at 115.53°E and 115.54°E, so that rule
 * puts every county in zone 39 — which is what pipeline/sample does when it lays out the
 * parcels. The parcels are therefore made in zone 39 everywhere, as the published sample's are,
 * and those of the two western counties are transformed to zone 38 for delivery.
 */
export const ZONE_38_COUNTIES: readonly string[] = ['371522', '371525'];
const ZONE_38 = 4526;
const ZONE_39 = 4527;

/**
 * `delivery_county`: each county of `sample_county` in its delivery zone: code, name,
 * zone_srid, outline, seat, area (m² in the generation zone) and spacing (of the parcel seeds).
 * $1 county codes of zone 38.
 */
const DELIVERY_COUNTY_SQL = `CREATE TEMP TABLE delivery_county ON COMMIT DROP AS
  WITH zoned AS (
    SELECT c.*, CASE WHEN c.code = ANY ($1::text[]) THEN ${ZONE_38} ELSE ${ZONE_39} END AS delivery_srid FROM sample_county c
  )
  SELECT code, name, delivery_srid AS zone_srid, ST_Transform(geom_gk, delivery_srid) AS outline, ST_Transform(seat, delivery_srid) AS seat, area,
         (SELECT p.spacing FROM sample_parcel p WHERE p.county_code = zoned.code LIMIT 1) AS spacing
    FROM zoned`;

export async function createDeliveryCounties(client: PoolClient): Promise<void> {
  await client.query(DELIVERY_COUNTY_SQL, [ZONE_38_COUNTIES]);
}
