import type { Principal } from '../../core/auth/api-token.js';
import type { AppConfig } from '../../core/config/load-config.js';
import type { Pool } from '../../core/db/pool.js';
import type { TileCache } from '../cache/tile-cache.js';
import { planSeed, type SeedPlan } from './seed-plan.js';
import { parseSeedRequest, type SeedRequest } from './seed-request.js';
import { requireSeedPermission, resolveSeedTarget, type SeedTarget, type SeedTargetDeps } from './seed-target.js';

export interface SeedServiceDeps extends SeedTargetDeps {
  readonly config: AppConfig;
  /** County outlines are read here (the primary: the boundary's live view). */
  readonly pool: Pool;
  readonly tileCache: TileCache;
}

/** A checked request with its target and counted tiles: ready to run or export. */
export interface PreparedSeed {
  readonly request: SeedRequest;
  readonly target: SeedTarget;
  readonly plan: SeedPlan;
}

/**
 * The steps every seed or export takes, in the order that makes bad input cheap: the request's
 * fields (400), the tileset or style (404), the caller's permission (403), the county (404) and
 * the tile count against `seed.maxTiles` (422), all before the first tile is computed.
 */
export class SeedService {
  constructor(readonly deps: SeedServiceDeps) {}

  async prepare(body: unknown, principal?: Principal): Promise<PreparedSeed> {
    const request = parseSeedRequest(body);
    const target = resolveSeedTarget(request, this.deps);
    if (principal) requireSeedPermission(principal, request, target);
    const plan = await planSeed(request, target, this.deps.pool, this.deps.config);
    return { request, target, plan };
  }
}
