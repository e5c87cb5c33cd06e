import type { DatasetConfig } from '../../core/config/schema.js';
import type { PoolClient } from '../../core/db/pool.js';
import { ImportError } from '../../core/errors.js';
import { checkCoordinates } from '../crs/check-coordinates.js';
import { estimateCoordinateResolution } from '../crs/coordinate-resolution.js';
import { supportedCrs } from '../crs/supported-crs.js';
import type { QaFinding } from '../qa/qa-report.js';

/** Vertices sampled per file and CRS for the resolution estimate. */
const RESOLUTION_SAMPLE_POINTS = 20_000;
/** 1:10000 needs coordinates resolved to 1 m on the ground or finer. */
const MAX_GROUND_STEP_METRES = 1;

/**
 * Checks on the raw coordinates of each delivery file (`parsed`: the staging rows with their
 * geometry parsed, see parsedStaging), in its own CRS, before anything is
 * transformed: coordinates that cannot belong to the declared CRS are refused (ImportError
 * saying what was expected and what was found); a delivery resolved coarser than 1 m on the
 * ground is a QA finding (`coarseCoordinates`).
 */
export async function checkDeliveryCoordinates(client: PoolClient, parsed: string, dataset: DatasetConfig): Promise<QaFinding[]> {
  const { rows } = await client.query<{ source_file: string; source_srid: number; min_x: number | null; min_y: number; max_x: number; max_y: number }>(
    `SELECT source_file, source_srid, ST_XMin(box) AS min_x, ST_YMin(box) AS min_y, ST_XMax(box) AS max_x, ST_YMax(box) AS max_y
       FROM (SELECT source_file, source_srid, ST_Extent(geom_src) AS box FROM ${parsed} GROUP BY source_file, source_srid) extents
      ORDER BY source_file`,
  );
  const findings: QaFinding[] = [];
  for (const row of rows) {
    if (row.min_x === null) continue;
    const problem = checkCoordinates(row.source_srid, { minX: row.min_x, minY: row.min_y, maxX: row.max_x, maxY: row.max_y });
    if (problem) throw new ImportError({ file: row.source_file }, problem);
    const finding = dataset.qa.coarseCoordinates === 'off' ? null : await checkResolution(client, parsed, row.source_file, row.source_srid, dataset.qa.coarseCoordinates);
    if (finding) findings.push(finding);
  }
  return findings;
}

async function checkResolution(client: PoolClient, parsed: string, file: string, srid: number, level: 'fail' | 'warn'): Promise<QaFinding | null> {
  const { rows } = await client.query<{ x: number; y: number }>(
    `SELECT ST_X(point) AS x, ST_Y(point) AS y
       FROM (SELECT (ST_DumpPoints(geom_src)).geom AS point FROM ${parsed}
              WHERE source_file = $1 AND geom_src IS NOT NULL ORDER BY feature_index LIMIT $2) points
      LIMIT $2`,
    [file, RESOLUTION_SAMPLE_POINTS],
  );
  const flat = new Float64Array(rows.length * 2);
  rows.forEach((row, i) => {
    flat[2 * i] = row.x;
    flat[2 * i + 1] = row.y;
  });
  const unit = supportedCrs(srid)?.kind === 'geographic' ? 'degree' : 'metre';
  const resolution = estimateCoordinateResolution(flat, unit);
  if (!resolution || resolution.groundStepMetres <= MAX_GROUND_STEP_METRES) return null;
  return {
    rule: 'coarseCoordinates',
    level,
    count: rows.length,
    message: `coordinates of ${file} are resolved to about ${resolution.groundStepMetres.toPrecision(3)} m on the ground; 1:10000 needs 1 m or finer`,
    examples: [],
  };
}
