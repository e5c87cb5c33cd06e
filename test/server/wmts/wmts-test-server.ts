import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { createApp } from '../../../server/app.js';
import { StyleRasterRenderer } from '../../../server/render/style-raster-renderer.js';
import { loadTilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { loadStyleCatalog, STYLES_DIR, type StyleCatalog } from '../../../server/styles/style-catalog.js';
import { listen } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger } from '../../support/test-database.js';

export interface WmtsTestServer {
  readonly baseUrl: string;
  readonly config: AppConfig;
  readonly styles: StyleCatalog;
  /** Every request URL the server received, in order (to see which tiles a client asked for). */
  readonly requests: string[];
  close(): Promise<void>;
}

export interface WmtsTestServerOptions {
  /** Another pool on the sample database (e.g. through a proxy that can be cut). */
  readonly pool?: Pool;
}

/**
 * The server's WMTS over the shared sample fixture: the real style files, style catalog and
 * raster renderer in the real app (server/app.ts), on an ephemeral port.
 */
export async function startWmtsTestServer(options: WmtsTestServerOptions = {}): Promise<WmtsTestServer> {
  const { config } = sampleFixture();
  const pool = options.pool ?? sampleFixture().pool;
  const catalog = await loadTilesetCatalog(pool, config, silentLogger);
  const styles = loadStyleCatalog(STYLES_DIR, catalog, silentLogger, config.tilesets);
  const raster = new StyleRasterRenderer({ styles, catalog: () => catalog });
  const app = createApp({ config, pool, logger: silentLogger, catalog: () => catalog, styles, raster });
  const requests: string[] = [];
  const server = await listen((req, res) => {
    requests.push(req.url ?? '');
    app(req, res);
  });
  return { baseUrl: server.baseUrl, config, styles, requests, close: () => server.close() };
}
