import type { AppConfig } from '../../../core/config/load-config.js';
import { versionTableDdl, qualifiedVersionTable, type AttributeColumn } from '../../../core/db/dataset-layout.js';
import type { Pool } from '../../../core/db/pool.js';
import { publishVersion, registerVersion, reserveVersion, upsertDataset } from '../../../pipeline/publish/dataset-versions.js';
import { StyleRasterRenderer } from '../../../server/render/style-raster-renderer.js';
import { loadTilesetCatalog, type TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { loadStyleCatalog, STYLES_DIR, type StyleCatalog } from '../../../server/styles/style-catalog.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';

/**
 * A tiny, exactly known map for raster tests: a 4 x 3 grid of rectangular parcels near
 * 东昌府区 (each 0.006° x 0.005°, from 115.975°E 36.45°N), the county around them, and the
 * planning layers drawn over some of them, all inserted with SQL into a database of its own
 * and published as the live versions. The goldens in golden/ were rendered from it.
 */
export const GRID_WEST = 115.975;
export const GRID_SOUTH = 36.45;
export const CELL_WIDTH = 0.006;
export const CELL_HEIGHT = 0.005;

/** DLBM of each parcel, row 0 the southernmost; null and ZZZZ (no such class) take the fallback. */
export const PARCEL_CODES: readonly (readonly (string | null)[])[] = [
  ['0101', '0102', '0103', '0201'],
  ['0301', '1101', '0702', '0603'],
  [null, 'ZZZZ', '1003', '0404'],
];

export interface FixtureParcel {
  readonly code: string | null;
  readonly row: number;
  readonly col: number;
  /** Centre, in degrees. */
  readonly lon: number;
  readonly lat: number;
}

export const PARCELS: readonly FixtureParcel[] = PARCEL_CODES.flatMap((codes, row) =>
  codes.map((code, col) => ({
    code, row, col,
    lon: GRID_WEST + (col + 0.5) * CELL_WIDTH,
    lat: GRID_SOUTH + (row + 0.5) * CELL_HEIGHT,
  })),
);

/** An envelope over cells [col0, col1) x [row0, row1), in EPSG:4490. */
function cells(col0: number, row0: number, col1: number, row1: number): string {
  const w = GRID_WEST + col0 * CELL_WIDTH;
  const s = GRID_SOUTH + row0 * CELL_HEIGHT;
  return `ST_Multi(ST_MakeEnvelope(${w}, ${s}, ${GRID_WEST + col1 * CELL_WIDTH}, ${GRID_SOUTH + row1 * CELL_HEIGHT}, 4490))`;
}

const text = (name: string): AttributeColumn => ({ name, type: 'text' });
const number = (name: string): AttributeColumn => ({ name, type: 'double precision' });

interface DatasetRows {
  readonly id: string;
  readonly columns: readonly AttributeColumn[];
  /** SELECT lists of the column values (in order) and geom. */
  readonly rows: readonly string[];
}

function datasets(): DatasetRows[] {
  const landuseColumns = ['BSM', 'DLBM', 'DLMC', 'QSXZ', 'QSDWDM', 'QSDWMC', 'ZLDWDM', 'ZLDWMC', 'XZQDM'].map(text);
  return [
    {
      id: 'landuse',
      columns: [...landuseColumns, number('TBMJ')],
      rows: PARCELS.map((p, i) => {
        const code = p.code === null ? 'NULL' : `'${p.code}'`;
        return `'3715021${String(i).padStart(11, '0')}', ${code}, NULL, '30', '371502001', NULL, '371502001', NULL, '371502', ${i === 0 ? 'NULL' : 1000 * i}, ${cells(p.col, p.row, p.col + 1, p.row + 1)}`;
      }),
    },
    {
      id: 'county',
      columns: [text('XZQDM'), text('XZQMC')],
      // One county reaching a little past the parcels: its outline runs through the fixture's tiles.
      rows: [`'371502', '东昌府区', ST_Multi(ST_Expand(ST_MakeEnvelope(${GRID_WEST}, ${GRID_SOUTH}, ${GRID_WEST + 4 * CELL_WIDTH}, ${GRID_SOUTH + 3 * CELL_HEIGHT}, 4490), 0.002))`],
    },
    { id: 'stbhhx', columns: ['BSM', 'XJXZQDM', 'XJXZQMC'].map(text).concat(number('MJ')), rows: [`'1', '371502', '东昌府区', 1, ${cells(0, 1, 2, 2)}`] },
    {
      id: 'yjjbnt',
      columns: ['BSM', 'XZQDM', 'DLBM', 'DLMC'].map(text).concat(number('YJJBNTTBMJ'), number('YJJBNTMJ')),
      rows: [`'2', '371502', '0101', '水田', 1, 1, ${cells(0, 0, 3, 1)}`],
    },
    {
      id: 'czkfbj',
      columns: ['BSM', 'XZQDM', 'GHFQDM', 'GHFQMC'].map(text).concat(number('MJ')),
      rows: [`'3', '371502', '0401', '城镇集中建设区', 1, ${cells(2, 0, 4, 2)}`],
    },
    {
      id: 'ghfq',
      columns: ['BSM', 'XZQDM', 'GHFQDM', 'GHFQMC'].map(text).concat(number('MJ')),
      rows: [
        `'4', '371502', '01', '生态保护区', 1, ${cells(0, 1, 2, 2)}`,
        `'5', '371502', '03', '农田保护区', 1, ${cells(0, 0, 2, 1)}`,
        `'6', '371502', '04', '城镇发展区', 1, ${cells(2, 0, 4, 2)}`,
        `'7', '371502', '05', '乡村发展区', 1, ${cells(0, 2, 4, 3)}`,
      ],
    },
  ];
}

export interface RasterFixture {
  readonly database: TestDatabase;
  readonly config: AppConfig;
  readonly pool: Pool;
  readonly catalog: TilesetCatalog;
  readonly styles: StyleCatalog;
  readonly renderer: StyleRasterRenderer;
  close(): Promise<void>;
}

/**
 * Makes the database, publishes the fixture and loads the project's styles over it. `adjust`
 * may change the parsed config/default.yaml first (see testConfig).
 */
export async function createRasterFixture(label: string, adjust?: (raw: Record<string, unknown>) => void): Promise<RasterFixture> {
  const database = await createTestDatabase(label);
  const config = testConfig(database.url, adjust);
  const pool = await openMigratedPool(config);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const dataset of datasets()) {
      const declared = config.datasets.find((candidate) => candidate.id === dataset.id);
      if (!declared) throw new Error(`config/default.yaml declares no dataset "${dataset.id}"`);
      await upsertDataset(client, declared);
      const version = await reserveVersion(client, dataset.id);
      await client.query(versionTableDdl(dataset.id, version, dataset.columns));
      const names = [...dataset.columns.map((column) => `"${column.name}"`), 'geom'].join(', ');
      for (const row of dataset.rows) await client.query(`INSERT INTO ${qualifiedVersionTable(dataset.id, version)} (${names}) SELECT ${row}`);
      await registerVersion(client, { datasetId: dataset.id, version, importJobId: null });
      await publishVersion(client, dataset.id, version);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
  const catalog = await loadTilesetCatalog(pool, config, silentLogger);
  const styles = loadStyleCatalog(STYLES_DIR, catalog, silentLogger, config.tilesets);
  const renderer = new StyleRasterRenderer({ styles, catalog: () => catalog });
  return {
    database, config, pool, catalog, styles, renderer,
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}
