import { expect } from 'chai';
import { gunzipSync } from 'node:zlib';
import { CGCS2000Quad, WebMercatorQuad, tileBounds } from '../../../core/grid/tile-matrix-set.js';
import { decodeTileBody, EMPTY_TILE, encodeTile } from '../../../server/cache/cached-tile.js';
import { CorruptEntryError, decodeEntry, encodeEntry } from '../../../server/cache/entry-codec.js';
import { SingleFlight } from '../../../server/cache/single-flight.js';
import { buildTileKey, parseTileKey } from '../../../server/cache/tile-key.js';
import { bboxTileRange, parsePurgeRequest, TileSelection } from '../../../server/cache/tile-selection.js';
import { VectorTileKeys } from '../../../server/cache/vector-tile-keys.js';
import { isStaleRasterNamespace } from '../../../server/cache/raster-tile-staleness.js';
import { CachedRasterTiles, type CachedRasterTilesDeps } from '../../../server/render/cached-raster-tiles.js';
import type { TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import type { StyleInfo } from '../../../server/styles/style-catalog.js';
import { testConfig } from '../../support/test-database.js';

/** A promise and its resolve function (Promise.withResolvers is Node 22). */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

const parts = { tileset: 'landuse', versions: ['v3-0123abcd'], grid: 'WebMercatorQuad', z: 14, x: 13456, y: 6123, format: 'mvt', scale: 1 };

describe('tile cache keys', () => {
  it('name every part, as a path whose first two segments are the namespace', () => {
    const key = buildTileKey(parts);
    expect(key.id).to.equal('landuse/v3-0123abcd/WebMercatorQuad/14/13456/6123.mvt');
    expect(key.namespace).to.equal('landuse/v3-0123abcd');
    expect(buildTileKey({ ...parts, tileset: 'landuse,county', versions: ['v3-0123abcd', 'v1-89abcdef'], format: 'png', scale: 2 }).id)
      .to.equal('landuse,county/v3-0123abcd+v1-89abcdef/WebMercatorQuad/14/13456/6123.png@2x');
  });

  it('accept raster key parts: a style id and its revision among the versions', () => {
    const key = buildTileKey({ ...parts, tileset: 'landuse-style', versions: ['v3-0123abcd', 'r.5f3e9a'], format: 'webp', scale: 2 });
    expect(parseTileKey(key.id)).to.deep.equal(key);
  });

  it('parse back to the same key, and refuse what is not a key', () => {
    expect(parseTileKey(buildTileKey(parts).id)).to.deep.equal(buildTileKey(parts));
    for (const bad of ['landuse/v3/WebMercatorQuad/14/1/2', '../v3/WebMercatorQuad/1/1/1.mvt', 'a/b/c/1/x/2.mvt', '']) {
      expect(parseTileKey(bad), bad).to.equal(null);
    }
  });

  it('refuse parts outside the safe alphabet, so a key is always a safe path', () => {
    expect(() => buildTileKey({ ...parts, tileset: '..' })).to.throw(/tileset/);
    expect(() => buildTileKey({ ...parts, tileset: 'a/b' })).to.throw(/tileset/);
    expect(() => buildTileKey({ ...parts, versions: ['v1+v2'] })).to.throw(/version/);
    expect(() => buildTileKey({ ...parts, versions: [] })).to.throw(/version/);
    expect(() => buildTileKey({ ...parts, z: Number.NaN })).to.throw(/z/);
    expect(() => buildTileKey({ ...parts, x: -1 })).to.throw(/x/);
    expect(() => buildTileKey({ ...parts, format: 'M/T' })).to.throw(/format/);
    expect(() => buildTileKey({ ...parts, scale: 0 })).to.throw(/scale/);
  });
});

describe('VectorTileKeys', () => {
  const config = testConfig('postgres://unused@127.0.0.1/unused');
  const keys = new VectorTileKeys(config);
  const layer = (id: string, dataVersion: number) => ({ id, info: { dataVersion } });

  it('changes the key when a dataset version changes, and only then', () => {
    const tile = { z: 12, x: 3400, y: 1560 };
    const v3 = keys.keyFor('landuse', [layer('landuse', 3)], WebMercatorQuad, tile);
    expect(keys.keyFor('landuse', [layer('landuse', 3)], WebMercatorQuad, tile).id).to.equal(v3.id);
    expect(keys.keyFor('landuse', [layer('landuse', 4)], WebMercatorQuad, tile).id).to.not.equal(v3.id);
    expect(keys.keyFor('landuse', [layer('landuse', 3)], CGCS2000Quad, tile).id).to.not.equal(v3.id);
  });

  it('gives the namespace every tile key of the tileset shares, and refuses unsafe ids', () => {
    const layers = [layer('landuse', 3), layer('county', 1)];
    const { namespace, versions } = keys.namespaceFor('landuse,county', layers);
    expect(namespace).to.equal(keys.keyFor('landuse,county', layers, WebMercatorQuad, { z: 14, x: 13_500, y: 6_200 }).namespace);
    expect(versions).to.deep.equal(namespace.split('/')[1]!.split('+'));
    expect(() => keys.namespaceFor('a/b', [layer('landuse', 3)])).to.throw(/tileset/);
    expect(() => keys.namespaceFor('landuse', [layer('nowhere', 3)])).to.throw(/nowhere/);
  });

  it('changes the key when the tileset configuration that shapes tiles changes', () => {
    const changed = testConfig('postgres://unused@127.0.0.1/unused', (raw) => {
      (raw.tilesets as { id: string; buffer?: number }[]).find((tileset) => tileset.id === 'landuse')!.buffer = 32;
    });
    const tile = { z: 12, x: 3400, y: 1560 };
    expect(new VectorTileKeys(changed).keyFor('landuse', [layer('landuse', 3)], WebMercatorQuad, tile).id)
      .to.not.equal(keys.keyFor('landuse', [layer('landuse', 3)], WebMercatorQuad, tile).id);
  });

  it('judges a namespace stale when a member version is not live, and leaves foreign namespaces alone', () => {
    const tile = { z: 12, x: 1, y: 1 };
    const composite = keys.keyFor('landuse,county', [layer('landuse', 3), layer('county', 1)], WebMercatorQuad, tile).namespace;
    expect(keys.isStale(composite, new Map([['landuse', 3], ['county', 1]]))).to.equal(false);
    expect(keys.isStale(composite, new Map([['landuse', 4], ['county', 1]]))).to.equal(true);
    expect(keys.isStale(composite, new Map([['county', 1]]))).to.equal(true);
    expect(keys.isStale('some-style/v3-0123abcd+r.77', new Map())).to.equal(false);
    expect(keys.isStale('removed_tileset/v3-0123abcd', new Map())).to.equal(false);
  });

  it('judges a raster namespace stale when its style was edited or any tileset it draws changed version or got data', () => {
    const style = { id: 'landuse', revision: 'rev1', sourceTilesets: ['landuse', 'county'] };
    // The namespace as the raster route makes it: county has no data yet in this catalog.
    const catalog = { list: () => [layer('landuse', 3)] } as unknown as TilesetCatalog;
    const raster = new CachedRasterTiles({ tileKeys: keys, catalog: () => catalog } as unknown as CachedRasterTilesDeps);
    const { namespace } = raster.keyFor(style as unknown as StyleInfo, { z: 12, x: 1, y: 1 }, WebMercatorQuad, { format: 'png', scale: 1 });
    const styles = (revision: string) => new Map([[style.id, { ...style, revision }]]);
    expect(isStaleRasterNamespace(namespace, new Map([['landuse', 3]]), styles('rev1'), keys)).to.equal(false);
    expect(isStaleRasterNamespace(namespace, new Map([['landuse', 3]]), styles('rev2'), keys), 'style edited').to.equal(true);
    expect(isStaleRasterNamespace(namespace, new Map([['landuse', 4]]), styles('rev1'), keys), 'new landuse version').to.equal(true);
    expect(isStaleRasterNamespace(namespace, new Map([['landuse', 3], ['county', 1]]), styles('rev1'), keys), 'county published').to.equal(true);
    expect(isStaleRasterNamespace(namespace, new Map([['landuse', 3]]), new Map(), keys), 'unknown style').to.equal(false);
    expect(isStaleRasterNamespace(keys.keyFor('landuse', [layer('landuse', 2)], WebMercatorQuad, { z: 1, x: 0, y: 0 }).namespace, new Map([['landuse', 3]]), styles('rev1'), keys)).to.equal(false);
  });
});

describe('cache entries', () => {
  const key = buildTileKey(parts);

  it('keep a gzip tile with its ETag, and give the tile back for clients without gzip', async () => {
    const raw = Buffer.alloc(5000, 7);
    const tile = await encodeTile(raw, { gzipLevel: 6 });
    expect(tile.encoding).to.equal('gzip');
    expect(gunzipSync(tile.body!)).to.deep.equal(raw);
    const decoded = decodeEntry(key.id, encodeEntry(key.id, tile));
    expect(decoded).to.deep.equal(tile);
    expect(await decodeTileBody(decoded)).to.deep.equal(raw);
  });

  it('keep small tiles as they are, and empty tiles as tombstones', async () => {
    const small = await encodeTile(Buffer.from('tiny tile'), { gzipLevel: 6 });
    expect(small.encoding).to.equal('identity');
    expect(await encodeTile(null, { gzipLevel: 6 })).to.equal(EMPTY_TILE);
    expect(decodeEntry(key.id, encodeEntry(key.id, EMPTY_TILE))).to.deep.equal(EMPTY_TILE);
  });

  it('detect truncation, garbage, a flipped bit and an entry of another key', async () => {
    const entry = encodeEntry(key.id, await encodeTile(Buffer.alloc(3000, 1), { gzipLevel: 1 }));
    const flipped = Buffer.from(entry);
    flipped[flipped.length - 3]! ^= 0x10;
    const cases: [string, Buffer, RegExp][] = [
      ['truncated', entry.subarray(0, entry.length - 10), /header says/],
      ['shorter than a header', entry.subarray(0, 5), /shorter than the header/],
      ['garbage', Buffer.from('definitely not a tile entry, just text'), /magic/],
      ['flipped bit', flipped, /checksum/],
    ];
    for (const [label, bad, message] of cases) {
      expect(() => decodeEntry(key.id, bad), label).to.throw(CorruptEntryError, message);
    }
    expect(() => decodeEntry(buildTileKey({ ...parts, y: 1 }).id, entry)).to.throw(CorruptEntryError, /holds key/);
  });
});

describe('SingleFlight', () => {
  it('runs concurrent work for one key once and shares the result', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    const release = deferred<void>();
    const work = async () => {
      runs += 1;
      await release.promise;
      return 42;
    };
    const waiting = Array.from({ length: 10 }, () => flights.run('k', work));
    release.resolve();
    expect(await Promise.all(waiting)).to.deep.equal(Array(10).fill(42));
    expect(runs).to.equal(1);
    expect(flights.size).to.equal(0);
  });

  it('keeps no failure: the next call runs the work again', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    const failing = async () => {
      runs += 1;
      throw new Error('database unavailable');
    };
    const results = await Promise.allSettled([flights.run('k', failing), flights.run('k', failing)]);
    expect(results.map((result) => result.status)).to.deep.equal(['rejected', 'rejected']);
    expect(runs).to.equal(1);
    expect(await flights.run('k', async () => 7)).to.equal(7);
  });

  it('cancels the work only when every waiting caller has gone', async () => {
    const flights = new SingleFlight<string>();
    const started = deferred<AbortSignal>();
    // Work that only ends when it is cancelled, like a slow statement.
    const work = (signal: AbortSignal) => {
      started.resolve(signal);
      return new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(new Error('cancelled'))));
    };
    const first = new AbortController();
    const second = new AbortController();
    const a = flights.run('k', work, first.signal);
    const b = flights.run('k', work, second.signal);
    const workSignal = await started.promise;
    first.abort(new Error('client 1 gone'));
    await a.catch((error: Error) => expect(error.message).to.equal('client 1 gone'));
    expect(workSignal.aborted).to.equal(false);
    second.abort(new Error('client 2 gone'));
    await b.catch((error: Error) => expect(error.message).to.equal('client 2 gone'));
    expect(workSignal.aborted).to.equal(true);
  });
});

describe('purge selections', () => {
  it('cover a tileset and the composites holding it, in the zoom range', () => {
    const selection = new TileSelection({ tileset: 'landuse', zooms: [10, 12] });
    const key = (tileset: string, z: number) => buildTileKey({ ...parts, tileset, versions: tileset.split(',').map(() => 'v1-00000000'), z, x: 0, y: 0 });
    expect(selection.matchesKey(key('landuse', 10))).to.equal(true);
    expect(selection.matchesKey(key('county,landuse', 12))).to.equal(true);
    expect(selection.matchesKey(key('landuse', 13))).to.equal(false);
    expect(selection.matchesKey(key('county', 11))).to.equal(false);
    expect(selection.matchesKey(key('landuse_old', 11))).to.equal(false);
  });

  it('turn a bbox in degrees into the tiles touching it, in both grids', () => {
    const bbox = [115.9, 36.4, 116.1, 36.6] as const;
    // CGCS2000Quad is in degrees: the corner tiles' bounds must enclose the bbox, tightly.
    const range = bboxTileRange(CGCS2000Quad, 12, bbox);
    const [west, , , north] = tileBounds(CGCS2000Quad, { z: 12, x: range.minX, y: range.minY });
    const [, south, east] = tileBounds(CGCS2000Quad, { z: 12, x: range.maxX, y: range.maxY });
    const span = 180 / 2 ** 12;
    expect(west).to.be.within(115.9 - span, 115.9);
    expect(east).to.be.within(116.1, 116.1 + span);
    expect(south).to.be.within(36.4 - span, 36.4);
    expect(north).to.be.within(36.6, 36.6 + span);
    // Web Mercator: the slippy-map formulas (OSM wiki "Slippy map tilenames").
    const column = (lon: number, z: number) => Math.floor(((lon + 180) / 360) * 2 ** z);
    const row = (lat: number, z: number) => {
      const phi = (lat * Math.PI) / 180;
      return Math.floor(((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * 2 ** z);
    };
    expect(bboxTileRange(WebMercatorQuad, 14, bbox)).to.deep.equal({
      minX: column(115.9, 14), maxX: column(116.1, 14), minY: row(36.6, 14), maxY: row(36.4, 14),
    });
  });

  describe('parsePurgeRequest, given a malformed body', () => {
    const tilesets = ['landuse', 'county'];
    const cases: [string, unknown, RegExp][] = [
      ['not an object', [1, 2], /JSON object/],
      ['no tileset', { bbox: [115, 36, 116, 37] }, /^tileset: /],
      ['an unknown tileset', { tileset: 'roads' }, /^tileset: unknown tileset "roads" \(configured: landuse, county\)/],
      ['an unknown field', { tileset: 'landuse', zoom: 3 }, /unknown field "zoom"/],
      ['a bbox of three numbers', { tileset: 'landuse', bbox: [115, 36, 116] }, /^bbox: /],
      ['a bbox of strings', { tileset: 'landuse', bbox: ['115', 36, 116, 37] }, /^bbox\[0\]: /],
      ['a bbox as a string', { tileset: 'landuse', bbox: '115,36,116,37' }, /^bbox: must be \[west, south, east, north\]/],
      ['a bbox with west beyond east', { tileset: 'landuse', bbox: [116, 36, 115, 37] }, /^bbox: west \(116\) must be less than east \(115\)/],
      ['a bbox with south beyond north', { tileset: 'landuse', bbox: [115, 37, 116, 36] }, /^bbox: south \(37\) must be less than north \(36\)/],
      ['a bbox in metres', { tileset: 'landuse', bbox: [12900000, 4300000, 13000000, 4400000] }, /^bbox: west and east must lie in \[-180, 180\]/],
      ['a bbox with latitude 95', { tileset: 'landuse', bbox: [115, 36, 116, 95] }, /^bbox: south and north must lie in \[-90, 90\]/],
      ['zooms reversed', { tileset: 'landuse', zooms: [14, 10] }, /^zooms: min zoom must not exceed max zoom/],
      ['a zoom of 25', { tileset: 'landuse', zooms: [10, 25] }, /^zooms\[1\]: /],
      ['a fractional zoom', { tileset: 'landuse', zooms: [10.5, 12] }, /^zooms\[0\]: /],
    ];
    for (const [label, body, message] of cases) {
      it(`refuses ${label}, naming the field`, () => {
        expect(() => parsePurgeRequest(body, tilesets)).to.throw(message);
      });
    }
  });
});
