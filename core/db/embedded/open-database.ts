import type { AppConfig } from '../../config/load-config.js';
import type { Logger } from '../../logger.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded-database.js';

/** Parcels of the sample loaded into an empty embedded database (SAMPLE_PARCELS overrides). */
export const EMBEDDED_SAMPLE_PARCELS = 5_000;

export interface OpenedDatabase {
  /** The configuration with `databaseUrl` pointing at the database actually in use. */
  readonly config: AppConfig;
  /** The embedded database when one was started, else null (DATABASE_URL). */
  readonly embedded: EmbeddedDatabase | null;
  /** Stops the embedded database (after the pools are closed); nothing for DATABASE_URL. */
  close(): Promise<void>;
}

/**
 * The database of a process: DATABASE_URL as configured, or, when it is not set, the embedded
 * PGlite in `config.embeddedDataDir`, started here and reached through the same `pg` URL field.
 */
export async function openDatabase(config: AppConfig, logger: Logger): Promise<OpenedDatabase> {
  if (config.embeddedDataDir === null) return { config, embedded: null, close: async () => undefined };
  const embedded = await startEmbeddedDatabase({ dataDir: config.embeddedDataDir, logger });
  return { config: Object.freeze({ ...config, databaseUrl: embedded.url }), embedded, close: () => embedded.close() };
}
