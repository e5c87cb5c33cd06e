import { z } from 'zod';

/**
 * `seed:` in the configuration: pre-computing tiles into the cache (server/seed) and offline
 * packages (server/offline). Every key has a default, so configurations without the section
 * stay valid.
 */
export const seedSchema = z.strictObject({
  /** A seed or export over more tiles than this is refused before anything is computed, naming the count. */
  maxTiles: z.number().int().min(1).default(200_000),
  /** Tiles computed at once by one seed run or export (each may hold a database connection). */
  concurrency: z.number().int().min(1).max(64).default(4),
  /**
   * After every publish or rollback, seed the published tilesets' tiles over their data bounds
   * up to this zoom (WebMercatorQuad); null: off. Low zooms are the expensive, often-viewed ones.
   */
  afterPublishMaxZoom: z.number().int().min(0).max(14).nullable().default(null),
});

export type SeedConfig = z.infer<typeof seedSchema>;
