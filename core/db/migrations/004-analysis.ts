/**
 * The 三区三线 analysis (pipeline/analysis): its runs, the statistics precomputed at publish
 * time for fast endpoints, and the area functions every analysis statement uses.
 *
 * Statistics are keyed by the source versions they came from: land-use class areas by the
 * land-use dataset and version, control-line and conflict areas by the analysis run, whose
 * `inputs` hold the live version of every dataset it read; version comparisons by dataset and
 * the two versions. A county code is NULL for area outside every county of the boundary.
 */
export const sql = /* sql */ `
-- The 3° Gauss-Kruger zone (with zone prefix, EPSG:4513-4533) holding the middle of a
-- geometry's bounding box, for plane areas and distances in metres.
CREATE FUNCTION meta.gauss_kruger_srid(g geometry) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT 4488 + least(45, greatest(25, round(((ST_XMin(g) + ST_XMax(g)) / 2) / 3)::integer))
$$;

-- Area in m² of a geometry in EPSG:4490. 'ellipsoid': the geodesic polygon area on the
-- ellipsoid of the SRID (PostGIS takes GRS80 for EPSG:4490, whose a and 1/f are CGCS2000's;
-- GeographicLib's algorithm), as 三调 areas are; 'gauss_kruger': the plane area in the 3° zone.
CREATE FUNCTION meta.area_m2(g geometry, method text) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN ST_IsEmpty(g) THEN 0
              WHEN method = 'gauss_kruger' THEN ST_Area(ST_Transform(g, meta.gauss_kruger_srid(g)))
              ELSE ST_Area(g::geography) END
$$;

-- Intersection (or difference) of two EPSG:4490 geometries, computed in the plane of the 3° zone
-- of a: deliveries draw straight edges in a Gauss-Kruger plane, whereas straight edges between
-- EPSG:4490 vertices (what an overlay in degrees would cut along) bow away from them, by
-- L²·tan φ / 8R: 1.3 mm for a 300 m edge at 36.5°N, enough to cut slivers out of parcels that
-- only share an edge. The overlay snap-rounds to a grid of grid_m metres (GEOS OverlayNG
-- gridSize; analysis.overlayGridM, 1 mm: deliveries state millimetres, so what is thinner is
-- rounding, not data; and the round trip through EPSG:4490 moves vertices by nanometres).
-- Polygonal part only; empty when they only touch.
CREATE FUNCTION meta.overlay_in_zone(a geometry, b geometry, is_difference boolean, grid_m double precision) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ST_Multi(ST_Transform(ST_CollectionExtract(
           CASE WHEN is_difference THEN ST_Difference(ST_Transform(a, zone.srid), ST_Transform(b, zone.srid), grid_m)
                ELSE ST_Intersection(ST_Transform(a, zone.srid), ST_Transform(b, zone.srid), grid_m) END, 3), 4490))
    FROM (SELECT meta.gauss_kruger_srid(a) AS srid) zone
$$;

CREATE TABLE meta.analysis_runs (
  id              bigserial PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('conflicts', 'changes')),
  -- The dataset the run is about: the conflicts dataset, or the compared dataset.
  subject         text NOT NULL,
  -- Live version of each dataset read, e.g. {"landuse": 3, "stbhhx": 1}; a run is skipped
  -- when the latest one already has these inputs.
  inputs          jsonb NOT NULL,
  output_dataset  text,
  output_version  integer,
  summary         jsonb NOT NULL DEFAULT '{}',
  area_method     text NOT NULL,
  started_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz
);
CREATE INDEX analysis_runs_subject_idx ON meta.analysis_runs (kind, subject, id DESC);

CREATE TABLE meta.stat_landuse_classes (
  dataset_id   text NOT NULL,
  version      integer NOT NULL,
  county_code  text,
  county_name  text,
  class_code   text NOT NULL,
  class_name   text,
  level1_code  text NOT NULL,
  level1_name  text,
  parcels      bigint NOT NULL,
  area_m2      double precision NOT NULL,
  area_method  text NOT NULL
);
CREATE INDEX stat_landuse_classes_key_idx ON meta.stat_landuse_classes (dataset_id, version);

CREATE TABLE meta.stat_control_lines (
  run_id       bigint NOT NULL REFERENCES meta.analysis_runs (id) ON DELETE CASCADE,
  role         text NOT NULL,
  datasets     text[] NOT NULL,
  county_code  text,
  county_name  text,
  features     bigint NOT NULL,
  area_m2      double precision NOT NULL
);
CREATE INDEX stat_control_lines_run_idx ON meta.stat_control_lines (run_id);

CREATE TABLE meta.stat_conflicts (
  run_id          bigint NOT NULL REFERENCES meta.analysis_runs (id) ON DELETE CASCADE,
  conflict_type   text NOT NULL,
  county_code     text,
  county_name     text,
  features        bigint NOT NULL,
  area_m2         double precision NOT NULL,
  slivers         bigint NOT NULL,
  sliver_area_m2  double precision NOT NULL
);
CREATE INDEX stat_conflicts_run_idx ON meta.stat_conflicts (run_id);

CREATE TABLE meta.stat_changes (
  dataset_id      text NOT NULL,
  from_version    integer NOT NULL,
  to_version      integer NOT NULL,
  change_type     text NOT NULL,
  parcels         bigint NOT NULL,
  area_m2         double precision NOT NULL,
  area_change_m2  double precision NOT NULL,
  computed_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dataset_id, from_version, to_version, change_type)
);
`;
