/**
 * The floor of Node's own HTTP stack on this machine, for bench:cache: a bare `http` server
 * answering the same tiles (the `.mvt.gz` files bench:cache wrote for nginx, held in memory)
 * with the same response headers as planmap's cached route, one `writeHead(200, list)` and
 * `end(body)` per request, and nothing else: no routing, no access control, no metrics. What
 * planmap loses against nginx beyond this row is planmap's own; what this row loses is Node's.
 *
 * Run as a child process: `node http-floor-server.js <port> <root> <tileset> <headers JSON>`,
 * the headers a flat [name, value, ...] list without the per-response ones (X-Request-Id,
 * ETag, Content-Length), which are made here as the server makes them.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [portArg, root, tilesetId, headersJson] = process.argv.slice(2);
if (!portArg || !root || !tilesetId || !headersJson) {
  console.error('usage: http-floor-server <port> <root> <tileset> <headers JSON>');
  process.exit(2);
}
const constantHeaders = JSON.parse(headersJson) as string[];

interface Tile {
  readonly body: Buffer;
  readonly etag: string;
}

const tiles = new Map<string, Tile>();
const tilesetRoot = join(root, 'tiles', tilesetId);
for (const entry of await readdir(tilesetRoot, { recursive: true })) {
  if (!entry.endsWith('.mvt.gz')) continue;
  const body = await readFile(join(tilesetRoot, entry));
  const path = `/tiles/${tilesetId}/${entry.slice(0, -'.gz'.length)}`;
  tiles.set(path, { body, etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"` });
}

createServer((req, res) => {
  const tile = tiles.get(req.url ?? '');
  if (!tile) {
    res.writeHead(404, ['Content-Length', '0']).end();
    return;
  }
  res.writeHead(200, ['X-Request-Id', randomUUID(), ...constantHeaders, 'ETag', tile.etag, 'Content-Length', String(tile.body.length)]).end(tile.body);
}).listen(Number(portArg), '127.0.0.1', () => console.error(`http floor: ${tiles.size} tiles on port ${portArg}`));
