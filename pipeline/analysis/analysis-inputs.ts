import type { AppConfig } from '../../core/config/load-config.js';
import { qualifiedVersionTable } from '../../core/db/dataset-layout.js';
import type { PoolClient } from '../../core/db/pool.js';
import { ConfigError } from '../../core/errors.js';

/**
 * What an analysis run reads: the live version of every dataset involved, taken once at the
 * start so that the whole run reads the same versions even while others publish (it reads the
 * version tables, never the live views, which a publish replaces).
 */
export type ControlLineRole = 'red_line' | 'basic_farmland' | 'development_boundary';

export const CONTROL_LINE_ROLES: readonly ControlLineRole[] = ['red_line', 'basic_farmland', 'development_boundary'];

/** 三区三线 names, for statistics and CSV. */
export const ROLE_NAMES: Readonly<Record<ControlLineRole, string>> = {
  red_line: '生态保护红线',
  basic_farmland: '永久基本农田',
  development_boundary: '城镇开发边界',
};

export interface LiveDataset {
  readonly id: string;
  readonly version: number;
  /** `data.<id>__v<N>`, quoted. */
  readonly table: string;
  readonly columns: ReadonlySet<string>;
  /** The dataset's key field (qa.keyField) when its table has it, else null (the fid is used). */
  readonly keyField: string | null;
}

export interface AnalysisInputs {
  readonly landuse: LiveDataset | null;
  readonly boundary: LiveDataset | null;
  readonly roles: Readonly<Record<ControlLineRole, readonly LiveDataset[]>>;
  /** Live version of every dataset above, keyed by id: what the results are keyed by. */
  readonly versions: Readonly<Record<string, number>>;
}

const ROLE_KEYS: Readonly<Record<ControlLineRole, 'redLine' | 'basicFarmland' | 'developmentBoundary'>> = {
  red_line: 'redLine',
  basic_farmland: 'basicFarmland',
  development_boundary: 'developmentBoundary',
};

export function roleDatasetIds(config: AppConfig, role: ControlLineRole): readonly string[] {
  return config.analysis[ROLE_KEYS[role]];
}

/** Every dataset whose publish changes the conflicts and statistics. */
export function conflictInputIds(config: AppConfig): string[] {
  const { analysis } = config;
  return [...new Set([analysis.landuse, analysis.boundary, ...analysis.redLine, ...analysis.basicFarmland, ...analysis.developmentBoundary])];
}

export async function readAnalysisInputs(client: PoolClient, config: AppConfig): Promise<AnalysisInputs> {
  const ids = conflictInputIds(config);
  const live = await readLiveDatasets(client, config, ids);
  const roles = Object.fromEntries(
    CONTROL_LINE_ROLES.map((role) => [role, roleDatasetIds(config, role).flatMap((id) => (live.has(id) ? [live.get(id)!] : []))]),
  ) as Record<ControlLineRole, LiveDataset[]>;
  const landuse = live.get(config.analysis.landuse) ?? null;
  if (landuse) {
    const { classField, landuseCountyField } = config.analysis;
    for (const [field, key] of [[classField, 'classField'], [landuseCountyField, 'landuseCountyField']] as const) {
      if (!landuse.columns.has(field)) {
        throw new ConfigError(`${config.configFile}: analysis.${key}: dataset "${landuse.id}" v${landuse.version} has no column "${field}"`);
      }
    }
  }
  const boundary = live.get(config.analysis.boundary) ?? null;
  if (boundary && !boundary.columns.has(config.analysis.boundaryCodeField)) {
    throw new ConfigError(`${config.configFile}: analysis.boundaryCodeField: dataset "${boundary.id}" v${boundary.version} has no column "${config.analysis.boundaryCodeField}"`);
  }
  const versions = Object.fromEntries([...live.values()].map((dataset) => [dataset.id, dataset.version]));
  return { landuse, boundary, roles, versions };
}

/** The live version and columns of each of `ids` that has one. */
export async function readLiveDatasets(client: PoolClient, config: AppConfig, ids: readonly string[]): Promise<Map<string, LiveDataset>> {
  const { rows } = await client.query<{ id: string; live_version: number; table_name: string; columns: string[] }>(
    `SELECT d.id, d.live_version, v.table_name,
            array(SELECT column_name::text FROM information_schema.columns c
                   WHERE c.table_schema = 'data' AND c.table_name = v.table_name ORDER BY ordinal_position) AS columns
       FROM meta.datasets d JOIN meta.dataset_versions v ON v.dataset_id = d.id AND v.version = d.live_version
      WHERE d.id = ANY ($1)`,
    [ids],
  );
  const live = new Map<string, LiveDataset>();
  for (const row of rows) {
    const columns = new Set(row.columns);
    const keyField = config.datasets.find((dataset) => dataset.id === row.id)?.qa.keyField ?? 'BSM';
    live.set(row.id, {
      id: row.id,
      version: row.live_version,
      table: qualifiedVersionTable(row.id, row.live_version),
      columns,
      keyField: columns.has(keyField) ? keyField : null,
    });
  }
  return live;
}

/** Two sets of input versions are the same run. */
export function sameVersions(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}
