import type { AppConfig } from '../../core/config/load-config.js';
import type { TilesetConfig } from '../../core/config/schema.js';
import { LIVE_SCHEMA } from '../../core/db/dataset-layout.js';
import type { Pool } from '../../core/db/pool.js';
import { BadRequestError, ConfigError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { CompositeSource } from './composite-source.js';
import { detectMvtEncoder, type MvtEncoder } from './node-mvt-capability.js';
import { NodeMvtLayerSource } from './node-mvt-layer-source.js';
import { PostgisLayerSource } from './postgis-layer-source.js';
import type { TileSource } from './tile-source.js';

/** A served tileset: ST_AsMVT where the database has it, else encoded in Node (embedded PGlite). */
export type LayerSource = PostgisLayerSource | NodeMvtLayerSource;

/**
 * The tilesets this server can serve right now: every configured tileset whose dataset has a
 * live version, checked against the live table's columns. Built at start-up (and again after
 * a publish); requests only look things up here.
 */
export class TilesetCatalog {
  private readonly layers: ReadonlyMap<string, LayerSource>;
  /** Configured tilesets without published data, with the reason, for clear 404s. */
  private readonly unavailable: ReadonlyMap<string, string>;

  constructor(layers: readonly LayerSource[], unavailable: ReadonlyMap<string, string>) {
    this.layers = new Map(layers.map((layer) => [layer.id, layer]));
    this.unavailable = unavailable;
  }

  /** Served layers in configuration order. */
  list(): LayerSource[] {
    return [...this.layers.values()];
  }

  /**
   * The source for a tileset id from a URL: one id, or several joined by `,`.
   * Throws NotFoundError for an unknown or unpublished member, BadRequestError for a repeated one.
   */
  resolve(tilesetId: string): { source: TileSource; layers: LayerSource[] } {
    const ids = tilesetId.split(',');
    const layers: LayerSource[] = [];
    for (const id of ids) {
      const layer = this.layers.get(id);
      if (!layer) {
        const reason = this.unavailable.get(id);
        throw new NotFoundError(reason ? `tileset "${id}" ${reason}` : `unknown tileset "${truncate(id)}"`);
      }
      if (layers.includes(layer)) throw new BadRequestError(`tileset "${id}" is listed twice in "${truncate(tilesetId)}"`);
      layers.push(layer);
    }
    const source = layers.length === 1 ? layers[0]! : new CompositeSource(layers);
    return { source, layers };
  }
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  udt_name: string;
}

interface LiveVersionRow {
  id: string;
  live_version: number;
  bounds: number[] | null;
}

/**
 * Reads the live datasets' columns and bounds and builds the catalog. A tileset whose
 * dataset is not published yet is left out (its tiles answer 404 saying so); a configured
 * property that the live data lacks stops start-up, naming the tileset and column.
 * The encoder is chosen by what the database can do (detectMvtEncoder); `encoder` overrides
 * that only for tests and benchmarks comparing the two on one database.
 * `tilePool` (a read replica, `database.replicaUrl`) runs the tile queries; the catalog itself
 * is read from `pool`, the primary, so it never lags behind the publish that triggered it.
 */
export async function loadTilesetCatalog(pool: Pool, config: AppConfig, logger: Logger, encoder?: MvtEncoder, tilePool: Pool = pool): Promise<TilesetCatalog> {
  const chosenEncoder = encoder ?? (await detectMvtEncoder(pool));
  if (chosenEncoder === 'node') logger.info('this PostGIS has no working ST_AsMVT: vector tiles are encoded in Node (geojson-vt)');
  const sourceIds = [...new Set(config.tilesets.map((tileset) => tileset.source))];
  const [{ rows: columns }, { rows: versions }] = await Promise.all([
    pool.query<ColumnRow>(
      `SELECT table_name, column_name, data_type, udt_name FROM information_schema.columns
        WHERE table_schema = $1 AND table_name = ANY ($2) ORDER BY ordinal_position`,
      [LIVE_SCHEMA, sourceIds],
    ),
    pool.query<LiveVersionRow>(
      `SELECT d.id, d.live_version, v.bounds FROM meta.datasets d
         JOIN meta.dataset_versions v ON v.dataset_id = d.id AND v.version = d.live_version
        WHERE d.id = ANY ($1)`,
      [sourceIds],
    ),
  ]);
  const layers: LayerSource[] = [];
  const unavailable = new Map<string, string>();
  config.tilesets.forEach((tileset, index) => {
    const live = versions.find((row) => row.id === tileset.source);
    const liveColumns = new Map(columns.filter((row) => row.table_name === tileset.source).map((row) => [row.column_name, row]));
    if (!live || liveColumns.size === 0) {
      unavailable.set(tileset.id, `has no published data yet (dataset "${tileset.source}")`);
      logger.warn({ tileset: tileset.id, dataset: tileset.source }, 'tileset not served: its dataset has no live version');
      return;
    }
    checkColumns(config, tileset, index, liveColumns);
    const fields = Object.fromEntries(tileset.properties.map((column) => [column, fieldType(liveColumns.get(column)!)]));
    const Source = chosenEncoder === 'node' ? NodeMvtLayerSource : PostgisLayerSource;
    layers.push(
      new Source(tilePool, tileset, {
        id: tileset.id,
        title: tileset.title ?? tileset.id,
        description: tileset.description ?? '',
        minzoom: tileset.minzoom,
        maxzoom: tileset.maxzoom,
        fields,
        bounds: live.bounds ? [live.bounds[0]!, live.bounds[1]!, live.bounds[2]!, live.bounds[3]!] : null,
        cacheControl: tileset.cacheControl ?? config.server.tileCacheControl,
        dataVersion: live.live_version,
      }),
    );
  });
  return new TilesetCatalog(layers, unavailable);
}

function checkColumns(config: AppConfig, tileset: TilesetConfig, index: number, liveColumns: ReadonlyMap<string, ColumnRow>): void {
  const available = () => [...liveColumns.keys()].join(', ');
  const require = (column: string, path: string, accept: (row: ColumnRow) => boolean, expected: string) => {
    const row = liveColumns.get(column);
    if (!row) {
      throw new ConfigError(`${config.configFile}: tilesets[${index}].${path}: column "${column}" is not in the live data of dataset "${tileset.source}" (it has: ${available()})`);
    }
    if (!accept(row)) {
      throw new ConfigError(`${config.configFile}: tilesets[${index}].${path}: column "${column}" of dataset "${tileset.source}" is ${row.data_type}, expected ${expected}`);
    }
  };
  require(tileset.geometryColumn, 'geometryColumn', (row) => row.udt_name === 'geometry', 'a geometry');
  require(`${tileset.geometryColumn}_3857`, 'geometryColumn', (row) => row.udt_name === 'geometry', 'its stored EPSG:3857 copy');
  require(tileset.idColumn, 'idColumn', (row) => ['integer', 'bigint', 'smallint'].includes(row.data_type), 'an integer');
  tileset.properties.forEach((column, j) => require(column, `properties[${j}]`, () => true, 'any type'));
}

/** TileJSON vector_layers field types, as Martin and tippecanoe write them. */
function fieldType(row: ColumnRow): string {
  if (['smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision'].includes(row.data_type)) return 'Number';
  if (row.data_type === 'boolean') return 'Boolean';
  return 'String';
}
