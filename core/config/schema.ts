import { z } from 'zod';
import { checkDatasetSchedules, datasetScheduleSchema } from './schedule-schema.js';
import { cacheSchema } from './cache-schema.js';
import { analysisSchema, checkAnalysisReferences } from './analysis-schema.js';
import { accessSchema, tilesetAccessSchema } from './access-schema.js';
import { seedSchema } from './seed-schema.js';

/**
 * The shape of `config/*.yaml`. Every object is strict: an unknown key is an error that names
 * its path. `config/default.yaml` documents every key with a comment.
 */

/** Dataset and tileset ids: lower case, so they are also safe PostgreSQL names and URL parts. */
// 40 characters at most: a dataset id becomes part of PostgreSQL names (`<id>__staging_<job>`,
// `<id>__v<N>_geom_3857_gist`) that must stay within PostgreSQL's 63-byte limit, which would
// otherwise truncate them silently and let two names collide.
const idSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be a lower-case letter followed by up to 39 of [a-z0-9_]');

/** Column names as they come from the survey standards (DLBM, TBMJ...): letters, digits, `_`. */
const columnSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a column name of letters, digits and _');

const zoomSchema = z.number().int().min(0).max(24);

/** `derived`: made by the pipeline from other datasets (pipeline/analysis), never imported. */
export const datasetKinds = ['landuse', 'admin_boundary', 'control_line', 'planning_zone', 'derived'] as const;

export const qaLevels = ['fail', 'warn', 'off'] as const;
const qaLevelSchema = z.enum(qaLevels);

/** Quality checks of an import; `fail` stops the publish, `warn` only reports. */
const qaSchema = z.strictObject({
  /** Features the reader or the repair could not turn into a geometry. */
  rejectedFeatures: qaLevelSchema.default('fail'),
  /** Geometries that were invalid and repaired with ST_MakeValid. */
  repairedGeometries: qaLevelSchema.default('warn'),
  /** Two features with the same key (`keyField`). */
  duplicateKeys: qaLevelSchema.default('fail'),
  keyField: columnSchema.default('BSM'),
  /** Class codes (`classField`) not in the 三调 classification (landuse datasets only). */
  unknownClassCodes: qaLevelSchema.default('fail'),
  classField: columnSchema.default('DLBM'),
  /** Declared area (`areaField`, m²) against the area on the CGCS2000 ellipsoid. */
  areaMismatch: qaLevelSchema.default('warn'),
  areaField: columnSchema.default('TBMJ'),
  /** Allowed difference between declared and computed area, as a share (0.01 = 1 %). */
  areaToleranceShare: z.number().min(0).max(1).default(0.01),
  /** Features smaller than the minimum mapping unit. */
  slivers: qaLevelSchema.default('warn'),
  sliverAreaM2: z.number().min(0).default(1),
  /** Features of the delivery overlapping each other by more than `overlapMinAreaM2`. */
  overlaps: qaLevelSchema.default('warn'),
  overlapMinAreaM2: z.number().min(0).default(0.01),
  /** Features reaching outside their county (the live `admin_boundary` dataset) by more than `outsideToleranceM2`. */
  outsideCounty: qaLevelSchema.default('warn'),
  outsideToleranceM2: z.number().min(0).default(1),
  /** Coordinates must be resolved to 1 m on the ground or finer (1:10000). */
  coarseCoordinates: qaLevelSchema.default('fail'),
  /** Stored geometry must read back in the source CRS within 1 mm. */
  precisionLoss: qaLevelSchema.default('fail'),
});

const datasetSourceSchema = z.strictObject({
  /** A file, a folder or a glob (`*`, `**`), relative to one of `pipeline.importRoots`. */
  path: z.string().min(1),
  format: z.enum(['auto', 'shapefile', 'geojson', 'gpkg', 'zip']).default('auto'),
  /** EPSG code of the files' CRS, when they declare none (or declare it wrongly). */
  srid: z.number().int().positive().optional(),
  /** Attribute encoding of Shapefiles without a .cpg (e.g. `gbk`); detected when absent. */
  encoding: z.string().min(1).optional(),
  /** The table (GeoPackage) or layer (FileGDB, ...) to read when a file holds several. */
  layer: z.string().min(1).optional(),
});

const datasetSchema = z.strictObject({
  id: idSchema,
  title: z.string().min(1),
  kind: z.enum(datasetKinds),
  /** Number of previous versions kept for rollback after a publish. */
  keepVersions: z.number().int().min(1).max(100).default(3),
  /** Six-digit code of the county the dataset belongs to (a city-wide dataset has none). */
  countyCode: z.string().regex(/^\d{6}$/, 'must be a six-digit administrative code').optional(),
  /** Where deliveries of this dataset are read from; datasets without one are not imported. */
  source: datasetSourceSchema.optional(),
  /** When to check the source for a new delivery (cron); datasets without one are imported on request only. */
  schedule: datasetScheduleSchema.optional(),
  qa: qaSchema.default(qaSchema.parse({})),
});

const tilesetSchema = z.strictObject({
  id: idSchema,
  title: z.string().min(1).optional(),
  description: z.string().optional(),
  /** Id of the dataset whose live version this tileset serves. */
  source: idSchema,
  geometryColumn: columnSchema.default('geom'),
  idColumn: columnSchema.default('fid'),
  /** Attribute columns written into each feature, in this order. */
  properties: z.array(columnSchema).default([]),
  minzoom: zoomSchema.default(0),
  maxzoom: zoomSchema.default(16),
  /** Tile coordinate resolution (MVT extent). */
  extent: z.number().int().min(256).max(65536).default(4096),
  /** Margin around each tile, in tile units, kept so that strokes do not show seams. */
  buffer: z.number().int().min(0).max(4096).default(64),
  /** Overrides `server.tileCacheControl` for this tileset. */
  cacheControl: z.string().min(1).optional(),
  /** Who may read it: public, internal (any valid token) or restricted (granted tokens); see access-schema.ts. */
  access: tilesetAccessSchema,
});

/** An absolute http(s) URL; also used to check PUBLIC_URL. */
export const publicUrlSchema = z.url({ protocol: /^https?$/ });

/** `auto` (one per CPU) or a count. */
export const serverWorkersSchema = z.union([z.literal('auto'), z.number().int().min(1).max(64)]);

const serverSchema = z.strictObject({
  port: z.number().int().min(0).max(65535).default(8080),
  /** Absolute URL clients reach this server at; when null it is derived from each request. */
  publicUrl: publicUrlSchema.nullable().default(null),
  /** Trust X-Forwarded-Proto/-Host/-Prefix from a reverse proxy when deriving URLs. */
  trustProxy: z.boolean().default(true),
  tileCacheControl: z.string().min(1).default('public, max-age=300'),
  /** Requests whose path is longer than this are refused with 400 before any parsing. */
  maxPathLength: z.number().int().min(64).max(8192).default(1024),
  /** On SIGTERM: how long requests in flight may take to finish before connections are cut and queries cancelled. */
  shutdownTimeoutMs: z.number().int().min(0).max(600_000).default(10_000),
  /**
   * Server processes sharing the port (server/lifecycle/cluster-primary.ts): `auto` is one per
   * CPU. Each is a full replica with its own pool (poolSize connections) and memory tier. The
   * embedded database (no DATABASE_URL) always runs one.
   */
  workers: serverWorkersSchema.default(1),
});

const databaseSchema = z.strictObject({
  poolSize: z.number().int().min(1).max(200).default(10),
  /** Deadline for every statement (PostgreSQL statement_timeout). */
  statementTimeoutMs: z.number().int().min(100).default(15000),
  connectTimeoutMs: z.number().int().min(100).default(5000),
  /**
   * PostgreSQL plan_cache_mode of the server's connections. Tile statements are prepared once
   * per connection; a generic plan (GIST index scan for every tile) skips re-planning, which
   * costs more than running a z16 tile (bench/README.md).
   */
  planCacheMode: z.enum(['auto', 'force_generic_plan', 'force_custom_plan']).default('force_generic_plan'),
  /**
   * A read replica (streaming standby) that tile queries use; writes, migrations and LISTEN stay
   * on DATABASE_URL. DATABASE_REPLICA_URL in the environment overrides it (it may hold a password).
   */
  replicaUrl: z.url({ protocol: /^postgres(ql)?$/ }).nullable().default(null),
});

const pipelineSchema = z.strictObject({
  /** Folders deliveries may be read from (relative to the project root); nothing outside them is opened. */
  importRoots: z.array(z.string().min(1)).min(1).default(['imports']),
});

export const configSchema = z
  .strictObject({
    server: serverSchema.default(serverSchema.parse({})),
    database: databaseSchema.default(databaseSchema.parse({})),
    pipeline: pipelineSchema.default(pipelineSchema.parse({})),
    cache: cacheSchema.default(cacheSchema.parse({})),
    analysis: analysisSchema.default(analysisSchema.parse({})),
    access: accessSchema.default(accessSchema.parse({})),
    seed: seedSchema.default(seedSchema.parse({})),
    datasets: z.array(datasetSchema).default([]),
    tilesets: z.array(tilesetSchema).default([]),
  })
  .superRefine((config, ctx) => {
    checkDatasetSchedules(config.datasets, ctx);
    checkAnalysisReferences(config, ctx);
    const datasetIds = new Set<string>();
    config.datasets.forEach((dataset, i) => {
      if (datasetIds.has(dataset.id)) {
        ctx.addIssue({ code: 'custom', path: ['datasets', i, 'id'], message: `duplicate dataset id "${dataset.id}"` });
      }
      datasetIds.add(dataset.id);
    });
    const tilesetIds = new Set<string>();
    config.tilesets.forEach((tileset, i) => {
      if (tilesetIds.has(tileset.id)) {
        ctx.addIssue({ code: 'custom', path: ['tilesets', i, 'id'], message: `duplicate tileset id "${tileset.id}"` });
      }
      tilesetIds.add(tileset.id);
      if (!datasetIds.has(tileset.source)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tilesets', i, 'source'],
          message: `unknown dataset "${tileset.source}" (declared: ${[...datasetIds].join(', ') || 'none'})`,
        });
      }
      if (tileset.minzoom > tileset.maxzoom) {
        ctx.addIssue({ code: 'custom', path: ['tilesets', i, 'minzoom'], message: `minzoom ${tileset.minzoom} is above maxzoom ${tileset.maxzoom}` });
      }
      const reserved = new Set([tileset.geometryColumn, tileset.idColumn]);
      tileset.properties.forEach((property, j) => {
        if (reserved.has(property)) {
          ctx.addIssue({ code: 'custom', path: ['tilesets', i, 'properties', j], message: `"${property}" is the geometry or id column` });
        }
        if (tileset.properties.indexOf(property) !== j) {
          ctx.addIssue({ code: 'custom', path: ['tilesets', i, 'properties', j], message: `"${property}" is listed twice` });
        }
      });
    });
  });

export type ConfigInput = z.input<typeof configSchema>;
export type FileConfig = z.output<typeof configSchema>;
export type DatasetConfig = FileConfig['datasets'][number];
export type TilesetConfig = FileConfig['tilesets'][number];
export type ServerConfig = FileConfig['server'];
export type DatabaseConfig = FileConfig['database'];
export type PipelineConfig = FileConfig['pipeline'];
export type QaConfig = DatasetConfig['qa'];
export type DatasetSourceConfig = NonNullable<DatasetConfig['source']>;
