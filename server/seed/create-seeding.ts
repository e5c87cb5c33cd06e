import type { Router } from 'express';
import type { AppConfig } from '../../core/config/load-config.js';
import type { Pool } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';
import type { EventStreams } from '../admin/job-events.js';
import type { TileCache } from '../cache/tile-cache.js';
import { VectorTileKeys } from '../cache/vector-tile-keys.js';
import { createExportRouter } from '../offline/export-router.js';
import type { RasterTileService } from '../render/raster-tile-service.js';
import type { ActionRunner } from '../routes/cache-purge-route.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import type { StyleCatalog } from '../styles/style-catalog.js';
import { AfterPublishSeeder } from './after-publish-seeder.js';
import { createSeedRouter } from './seed-router.js';
import { SeedRuns } from './seed-runs.js';
import { SeedService } from './seed-service.js';

export interface SeedingDeps {
  readonly config: AppConfig;
  readonly pool: Pool;
  readonly logger: Logger;
  readonly catalog: () => TilesetCatalog;
  readonly tileCache: TileCache;
  readonly styles?: StyleCatalog;
  readonly raster?: RasterTileService;
  /** The admin API's open event streams (ended at shutdown). */
  readonly streams: EventStreams;
  /** The admin API's audit log around starting a run or an export. */
  readonly runAction: ActionRunner;
  /** MBTiles `attribution`; default names the project. */
  readonly attribution?: string;
}

export interface Seeding {
  /** `POST /seed`, `/seed/{id}[/events]`, `POST /exports`, `GET /exports/mbtiles`: for `extraRouters`. */
  readonly routers: Router[];
  readonly runs: SeedRuns;
  /** Starts after-publish seeding when `seed.afterPublishMaxZoom` is set. */
  start(): void;
  /** Stops it and aborts running runs (shutdown). */
  close(): Promise<void>;
}

/** Seeding and offline packages as `main.ts` mounts them (server/seed, server/offline). */
export function createSeeding(deps: SeedingDeps): Seeding {
  const { config, logger, tileCache } = deps;
  const service = new SeedService({ config, pool: deps.pool, tileCache, catalog: deps.catalog, tileKeys: new VectorTileKeys(config), styles: deps.styles, raster: deps.raster });
  const runs = new SeedRuns({ tileCache, concurrency: config.seed.concurrency, logger });
  const afterPublish = new AfterPublishSeeder({ config, catalog: deps.catalog, service, runs, logger });
  const routers = [
    createSeedRouter({ service, runs, logger, streams: deps.streams, runAction: deps.runAction }),
    createExportRouter({
      service, tileCache, concurrency: config.seed.concurrency, logger, runAction: deps.runAction,
      attribution: deps.attribution ?? '聊城市国土空间规划 (planmap)',
    }),
  ];
  return {
    routers,
    runs,
    start: () => afterPublish.start(),
    close: async () => {
      afterPublish.stop();
      await runs.close();
    },
  };
}
