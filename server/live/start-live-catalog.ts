import type { AppConfig } from '../../core/config/load-config.js';
import type { Logger } from '../../core/logger.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import { LiveCatalog, type LiveCatalogOptions } from './live-catalog.js';
import { PublishListener, type PublishListenerOptions } from './publish-listener.js';

export interface LiveCatalogHandle {
  readonly catalog: LiveCatalog;
  readonly listener: PublishListener;
  /** Stops listening and rebuilding (shutdown). */
  stop(): Promise<void>;
}

export interface StartLiveCatalogOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  /** Builds a catalog from the database as it is now (loadTilesetCatalog). */
  readonly build: () => Promise<TilesetCatalog>;
  readonly catalog?: LiveCatalogOptions;
  readonly listener?: Pick<PublishListenerOptions, 'reconnectDelayMs' | 'maxReconnectDelayMs' | 'connectTimeoutMs'>;
}

/**
 * The served catalog, kept in step with every publish and rollback made by any process on the
 * database. Listening starts before the first catalog is built, so a publish committed during
 * start-up is not missed; a publish of a dataset no tileset serves is ignored. The first build
 * throws as loadTilesetCatalog does (a configured column the live data lacks stops start-up).
 */
export async function startLiveCatalog({ config, logger, build, catalog: catalogOptions, listener: listenerOptions }: StartLiveCatalogOptions): Promise<LiveCatalogHandle> {
  const liveLogger = logger.child({ component: 'live-catalog' });
  const servedDatasets = new Set(config.tilesets.map((tileset) => tileset.source));
  let live: LiveCatalog | null = null;
  let changedDuringStart = false;
  const refresh = (reason: string) => {
    if (live) live.requestRefresh(reason);
    else changedDuringStart = true;
  };
  const listener = new PublishListener({
    ...listenerOptions,
    connectionString: config.databaseUrl,
    logger: liveLogger,
    onPublish: (notice) => {
      if (servedDatasets.has(notice.dataset)) refresh(`dataset ${notice.dataset} version ${notice.version} is live`);
    },
    onMissedNotices: refresh,
  });
  await listener.start();
  try {
    live = new LiveCatalog(await build(), build, liveLogger, catalogOptions);
  } catch (error) {
    await listener.stop();
    throw error;
  }
  if (changedDuringStart) live.requestRefresh('published while starting');
  const catalog = live;
  return {
    catalog,
    listener,
    async stop() {
      await listener.stop();
      await catalog.stop();
    },
  };
}
