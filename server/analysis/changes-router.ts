import { Router } from 'express';
import type { AppConfig } from '../../core/config/load-config.js';
import type { Pool } from '../../core/db/pool.js';
import { BadRequestError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { hectaresFromM2, muFromM2 } from '../../pipeline/analysis/area-units.js';
import { CHANGE_NAMES, type ChangeSummaryRow } from '../../pipeline/analysis/compare-versions.js';
import { versionChanges } from '../../pipeline/analysis/version-changes.js';
import type { CsvColumn } from './csv-table.js';
import { checkParameterNames, parseFormat, parsePositiveInteger } from './query-parameters.js';
import { sendTable } from './table-response.js';

/**
 * `GET /datasets/{id}/changes?from=&to=&format=json|csv`: what changed between two versions of a
 * dataset (default: the live one against the one before it), counts and areas per change type.
 * Mounted under /admin by the application, behind the admin auth.
 */
export interface ChangesRouterDeps {
  readonly pool: Pool;
  readonly config: AppConfig;
  readonly logger: Logger;
}

const DATASET_ID = /^[a-z][a-z0-9_]{0,47}$/;

type ChangeRow = ChangeSummaryRow & { readonly typeName: string; readonly areaHa: number; readonly areaMu: number };

const CHANGE_COLUMNS: readonly CsvColumn<ChangeRow>[] = [
  { title: '变化类型代码', value: (row) => row.changeType },
  { title: '变化类型', value: (row) => row.typeName },
  { title: '图斑数', value: (row) => row.parcels },
  { title: '面积（平方米）', value: (row) => row.areaM2, decimals: 2 },
  { title: '面积（公顷）', value: (row) => row.areaHa, decimals: 4 },
  { title: '面积（亩）', value: (row) => row.areaMu, decimals: 2 },
  { title: '面积增减（平方米）', value: (row) => row.areaChangeM2, decimals: 2 },
];

export function createChangesRouter({ pool, config, logger }: ChangesRouterDeps): Router {
  const router = Router();
  router.get('/datasets/:id/changes', async (req, res) => {
    const datasetId = req.params.id;
    if (!DATASET_ID.test(datasetId)) throw new BadRequestError(`dataset id ${JSON.stringify(datasetId.slice(0, 60))} is not [a-z][a-z0-9_]*`);
    checkParameterNames(req.query, ['from', 'to', 'format']);
    const format = parseFormat(req.query);
    const fromVersion = parsePositiveInteger(req.query, 'from');
    const toVersion = parsePositiveInteger(req.query, 'to');
    const changes = await versionChanges(pool, config, logger, { datasetId, fromVersion, toVersion });
    const rows: ChangeRow[] = changes.summary.map((row) => ({
      ...row,
      typeName: CHANGE_NAMES[row.changeType],
      areaHa: hectaresFromM2(row.areaM2),
      areaMu: muFromM2(row.areaM2),
    }));
    sendTable(res, {
      format,
      fileName: `${datasetId}-changes-v${changes.fromVersion}-v${changes.toVersion}`,
      title: `${datasetId}_版本${changes.fromVersion}至${changes.toVersion}变化统计`,
      meta: {
        dataset: changes.dataset,
        from: changes.fromVersion,
        to: changes.toVersion,
        keyField: changes.keyField,
        toleranceM: changes.toleranceM,
        layer: changes.layer,
      },
      columns: CHANGE_COLUMNS,
      rows,
    });
  });
  return router;
}
