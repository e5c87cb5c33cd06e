import { execFile, spawn } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { TileCoord } from '../../core/grid/tile-matrix-set.js';
import { MissingToolError } from './load-tools.js';
import { childServerWhenAnswering, findFreePort, type ServerProcess } from './server-process.js';

const execFileAsync = promisify(execFile);

/** Where Debian's nginx package puts the binary. */
const NGINX_PATHS = ['/usr/sbin/nginx', '/usr/bin/nginx'];

export async function findNginx(): Promise<{ path: string; version: string }> {
  for (const path of NGINX_PATHS) {
    try {
      await access(path, constants.X_OK);
    } catch {
      continue;
    }
    const { stderr } = await execFileAsync(path, ['-v']);
    return { path, version: stderr.trim() };
  }
  throw new MissingToolError('the cached-tile benchmark compares with nginx, which is not installed: run `apt-get install -y nginx` (as root; the package\'s own service is not needed and the benchmark stops its nginx at the end)');
}

/**
 * Writes tiles as static files the way a pre-rendered tile folder is served: `{root}/tiles/
 * {tileset}/{z}/{x}/{y}.mvt` with the identity bytes, and `{y}.mvt.gz` with exactly the gzip
 * bytes our server sends, for nginx's gzip_static. Returns the bytes written.
 */
export async function writeStaticTiles(
  root: string,
  tilesetId: string,
  tiles: readonly TileCoord[],
  fetchTile: (tile: TileCoord, gzip: boolean) => Promise<{ body: Buffer; isGzip: boolean }>,
): Promise<number> {
  let bytes = 0;
  for (const tile of tiles) {
    const path = join(root, 'tiles', tilesetId, String(tile.z), String(tile.x), `${tile.y}.mvt`);
    await mkdir(dirname(path), { recursive: true });
    const plain = await fetchTile(tile, false);
    await writeFile(path, plain.body);
    const gzipped = await fetchTile(tile, true);
    if (gzipped.isGzip) await writeFile(`${path}.gz`, gzipped.body);
    bytes += gzipped.body.length;
  }
  return bytes;
}

/**
 * nginx in the foreground serving `root`, with `workers` worker processes, keep-alive on,
 * access log off (as a tuned static tile server runs), gzip_static for the pre-compressed tiles.
 */
export async function startNginx(nginxPath: string, root: string, workers: number): Promise<ServerProcess> {
  const port = await findFreePort();
  const conf = join(root, `nginx-${workers}.conf`);
  await writeFile(conf, `# Written by bench/support/nginx-static.ts
user root;
worker_processes ${workers};
daemon off;
pid ${join(root, `nginx-${workers}.pid`)};
error_log ${join(root, 'nginx-error.log')} warn;
events { worker_connections 1024; }
http {
  types { application/vnd.mapbox-vector-tile mvt; }
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path ${join(root, 'tmp')};
  proxy_temp_path ${join(root, 'tmp')};
  fastcgi_temp_path ${join(root, 'tmp')};
  uwsgi_temp_path ${join(root, 'tmp')};
  scgi_temp_path ${join(root, 'tmp')};
  open_file_cache max=10000 inactive=60s;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    gzip_static on;
    add_header Cache-Control "public, max-age=300";
  }
}
`);
  await mkdir(join(root, 'tmp'), { recursive: true });
  const child = spawn(nginxPath, ['-c', conf, '-e', join(root, 'nginx-error.log')], { stdio: ['ignore', 'inherit', 'inherit'] });
  return childServerWhenAnswering(child, `http://127.0.0.1:${port}`, `nginx (see ${join(root, 'nginx-error.log')})`);
}
