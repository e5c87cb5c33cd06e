import type { AppConfig } from '../../core/config/load-config.js';
import type { Logger } from '../../core/logger.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import { TooManyTilesError } from './seed-plan.js';
import type { SeedRuns } from './seed-runs.js';
import type { SeedService } from './seed-service.js';

export interface AfterPublishSeederDeps {
  readonly config: AppConfig;
  readonly catalog: () => TilesetCatalog;
  readonly service: SeedService;
  readonly runs: SeedRuns;
  readonly logger: Logger;
  /** How often the catalog is looked at (a reference comparison); default 2 s. */
  readonly checkIntervalMs?: number;
}

/**
 * `seed.afterPublishMaxZoom`: when the live catalog is rebuilt (a publish or rollback taken in),
 * every tileset whose data version changed is seeded over its data bounds, from its minzoom up
 * to that zoom, as a seed run (visible at `GET /admin/seed/{id}`, started by `after-publish`).
 * The first catalog is not seeded (a restart is no publish). A tileset over `seed.maxTiles` is
 * skipped with a warning. With several replicas each seeds; tiles another has stored in the
 * shared tier are skipped, so the cost is at most some duplicated work at the start.
 */
export class AfterPublishSeeder {
  private timer: NodeJS.Timeout | null = null;
  private last: TilesetCatalog;

  constructor(private readonly deps: AfterPublishSeederDeps) {
    this.last = deps.catalog();
  }

  start(): void {
    if (this.timer || this.deps.config.seed.afterPublishMaxZoom === null) return;
    this.timer = setInterval(() => void this.check(), this.deps.checkIntervalMs ?? 2000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Starts the runs for what changed since the last look; the ids of the runs started. */
  async check(): Promise<string[]> {
    const maxZoom = this.deps.config.seed.afterPublishMaxZoom;
    const current = this.deps.catalog();
    if (current === this.last || maxZoom === null) return [];
    const before = new Map(this.last.list().map((layer) => [layer.id, layer.info.dataVersion]));
    this.last = current;
    const started: string[] = [];
    for (const layer of current.list()) {
      const { bounds, minzoom, dataVersion } = layer.info;
      if (before.get(layer.id) === dataVersion || !bounds || minzoom > maxZoom) continue;
      try {
        const prepared = await this.deps.service.prepare({ tileset: layer.id, bbox: [...bounds], zooms: [minzoom, maxZoom] });
        started.push(this.deps.runs.start(prepared, 'after-publish').id);
        this.deps.logger.info({ tileset: layer.id, version: dataVersion, tiles: prepared.plan.total }, 'seeding low zooms after a publish');
      } catch (error) {
        const message = error instanceof TooManyTilesError ? error.message : `cannot seed: ${(error as Error).message}`;
        this.deps.logger.warn({ tileset: layer.id, version: dataVersion }, `after-publish seeding skipped: ${message}`);
      }
    }
    return started;
  }
}
