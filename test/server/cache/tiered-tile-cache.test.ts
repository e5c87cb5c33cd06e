import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTile, EMPTY_TILE, type CachedTile } from '../../../server/cache/cached-tile.js';
import { DiskTier } from '../../../server/cache/disk-tier.js';
import { decodeEntry } from '../../../server/cache/entry-codec.js';
import { MemoryTier } from '../../../server/cache/memory-tier.js';
import { TieredTileCache } from '../../../server/cache/tiered-tile-cache.js';
import { buildTileKey, type TileKey } from '../../../server/cache/tile-key.js';
import { TileSelection } from '../../../server/cache/tile-selection.js';
import { RecordingObserver, recordingLogger } from './recording.js';

const RETRY_MS = 30_000;

function key(overrides: Partial<Parameters<typeof buildTileKey>[0]> = {}): TileKey {
  return buildTileKey({ tileset: 'landuse', versions: ['v1-0000aaaa'], grid: 'WebMercatorQuad', z: 12, x: 3400, y: 1560, format: 'mvt', scale: 1, ...overrides });
}

/** A distinct tile per key, big enough to be stored gzip. */
function tileBytes(label: string): Buffer {
  return Buffer.from(`${label} `.repeat(400));
}

describe('TieredTileCache (memory, then disk)', () => {
  let directory: string;
  let clock: number;
  let observer: RecordingObserver;
  let log: ReturnType<typeof recordingLogger>;

  function makeCache({ memoryBytes = 1 << 20, diskDirectory = directory } = {}): TieredTileCache {
    const disk = new DiskTier({ directory: diskDirectory, logger: log.logger, observer, retryAfterMs: RETRY_MS, now: () => clock });
    return new TieredTileCache({ memory: memoryBytes > 0 ? new MemoryTier(memoryBytes) : null, shared: [disk], observer });
  }

  /** A computation that counts its runs. */
  function counting(label: string): { compute: () => Promise<CachedTile>; runs: () => number } {
    let runs = 0;
    return {
      compute: async () => {
        runs += 1;
        return encodeTile(tileBytes(label), { gzipLevel: 6 });
      },
      runs: () => runs,
    };
  }

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'planmap-cache-test-'));
    clock = 1_000_000;
    observer = new RecordingObserver();
    log = recordingLogger();
  });

  afterEach(() => rm(directory, { recursive: true, force: true }));

  describe('given a tile asked for twice', () => {
    it('computes it once, then serves it from memory', async () => {
      const cache = makeCache();
      const work = counting('a');
      const first = await cache.getOrCompute(key(), work.compute);
      const second = await cache.getOrCompute(key(), work.compute);
      expect(work.runs()).to.equal(1);
      expect(second).to.equal(first);
      expect(observer.lookups).to.deep.equal({ 'memory:miss': 1, 'disk:miss': 1, 'memory:hit': 1 });
    });

    it('writes it to disk under its key, as a checked entry', async () => {
      const cache = makeCache();
      const tile = await cache.getOrCompute(key(), counting('a').compute);
      const entry = await readFile(join(directory, key().id));
      expect(decodeEntry(key().id, entry)).to.deep.equal(tile);
    });
  });

  describe('given a process that starts again (a new cache on the same folder)', () => {
    it('serves the tile from disk without computing it', async () => {
      await makeCache().getOrCompute(key(), counting('a').compute);
      observer = new RecordingObserver();
      const restarted = makeCache();
      const work = counting('never');
      const tile = await restarted.getOrCompute(key(), work.compute);
      expect(work.runs()).to.equal(0);
      expect((await restarted.get(key()))).to.deep.equal(tile);
      expect(observer.lookups).to.deep.equal({ 'memory:miss': 1, 'disk:hit': 1 });
    });
  });

  describe('given a memory bound smaller than two tiles', () => {
    it('evicts from memory and finds the evicted tile on disk', async () => {
      const one = await encodeTile(tileBytes('a'), { gzipLevel: 6 });
      const cache = makeCache({ memoryBytes: one.body!.length + 200 });
      await cache.getOrCompute(key({ x: 1 }), counting('a').compute);
      await cache.getOrCompute(key({ x: 2 }), counting('b').compute);
      const work = counting('a');
      await cache.getOrCompute(key({ x: 1 }), work.compute);
      expect(work.runs()).to.equal(0);
      expect(observer.lookups['disk:hit']).to.equal(1);
      expect(cache.memoryBytes).to.be.at.most(one.body!.length + 200);
    });
  });

  describe('given 20 concurrent requests for one missing tile', () => {
    it('computes it once and gives all of them the same tile', async () => {
      const cache = makeCache();
      const work = counting('a');
      const tiles = await Promise.all(Array.from({ length: 20 }, () => cache.getOrCompute(key(), work.compute)));
      expect(work.runs()).to.equal(1);
      expect(new Set(tiles).size).to.equal(1);
      expect(cache.inFlightCount).to.equal(0);
    });
  });

  describe('given a computation that fails', () => {
    it('stores nothing, and the next request computes again', async () => {
      const cache = makeCache();
      await cache.getOrCompute(key(), async () => {
        throw new Error('database unavailable while reading tile');
      }).then(() => expect.fail('should reject'), (error: Error) => expect(error.message).to.match(/database unavailable/));
      expect(await cache.has(key())).to.equal(false);
      const work = counting('a');
      await cache.getOrCompute(key(), work.compute);
      expect(work.runs()).to.equal(1);
    });
  });

  describe('given a tile without features', () => {
    it('stores a tombstone, so the empty tile is not computed again', async () => {
      const cache = makeCache();
      let runs = 0;
      const empty = async () => {
        runs += 1;
        return EMPTY_TILE;
      };
      await cache.getOrCompute(key(), empty);
      const fromDisk = await makeCache().getOrCompute(key(), empty);
      expect(runs).to.equal(1);
      expect(fromDisk.body).to.equal(null);
    });
  });

  describe('given a corrupt entry on disk', () => {
    for (const [label, spoil] of [
      ['a truncated file', (path: string) => truncate(path, 30)],
      ['garbage', (path: string) => writeFile(path, 'not a tile at all')],
    ] as const) {
      it(`detects ${label}, discards it, computes the tile again and stores it whole`, async () => {
        const expected = await makeCache({ memoryBytes: 0 }).getOrCompute(key(), counting('a').compute);
        const path = join(directory, key().id);
        await spoil(path);
        const work = counting('a');
        const tile = await makeCache({ memoryBytes: 0 }).getOrCompute(key(), work.compute);
        expect(work.runs()).to.equal(1);
        expect(tile).to.deep.equal(expected);
        expect(observer.corruptEntries).to.deep.equal({ disk: 1 });
        expect(decodeEntry(key().id, await readFile(path))).to.deep.equal(expected);
      });
    }
  });

  describe('given a disk tier that cannot be written (its folder is under a regular file: ENOTDIR)', () => {
    let blocked: string;

    beforeEach(async () => {
      blocked = join(directory, 'not-a-folder');
      await writeFile(blocked, 'a file where the cache folder should be');
    });

    it('serves every tile, bypasses the tier and logs the outage once', async () => {
      const cache = makeCache({ memoryBytes: 0, diskDirectory: join(blocked, 'tiles') });
      for (let i = 0; i < 5; i++) {
        const tile = await cache.getOrCompute(key({ x: i }), counting(`t${i}`).compute);
        expect(tile.body).to.not.equal(null);
      }
      const warnings = log.lines.filter((line) => line.level === 40);
      expect(warnings).to.have.length(1);
      expect(warnings[0]!.msg).to.match(/disk tier unavailable .*ENOTDIR/);
      expect(warnings[0]!.code).to.equal('ENOTDIR');
    });

    it('uses the tier again once it works and the retry pause has passed, and says so once', async () => {
      const cache = makeCache({ memoryBytes: 0, diskDirectory: join(blocked, 'tiles') });
      await cache.getOrCompute(key({ x: 1 }), counting('a').compute);
      await rm(blocked);
      await mkdir(blocked);
      await cache.getOrCompute(key({ x: 2 }), counting('b').compute);
      expect(await cache.has(key({ x: 2 })), 'still bypassed within the pause').to.equal(false);
      clock += RETRY_MS;
      await cache.getOrCompute(key({ x: 3 }), counting('c').compute);
      expect((await stat(join(blocked, 'tiles', key({ x: 3 }).id))).isFile()).to.equal(true);
      expect(log.lines.filter((line) => /available again/.test(line.msg))).to.have.length(1);
    });
  });

  describe('given a disk tier on a full or read-only file system (tmpfs; needs mount privileges)', () => {
    let mountPoint: string;

    /** A real full or read-only file system needs a mount, so these tests need root (as .ci/run has); they fail, never skip, without it. */
    function mountTmpfs(options: string): void {
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mountPoint], { stdio: 'pipe' });
      } catch (error) {
        throw new Error(`cannot mount a tmpfs at ${mountPoint} (these tests need root): ${(error as Error).message}`, { cause: error });
      }
    }

    beforeEach(async () => {
      mountPoint = join(directory, 'mnt');
      await mkdir(mountPoint);
    });

    afterEach(() => {
      try {
        execFileSync('umount', [mountPoint], { stdio: 'ignore' });
      } catch {
        // Not mounted: the test already failed on the mount, which is the error to read.
      }
    });

    it('keeps serving when the disk is full (ENOSPC), bypassing the tier, logged once', async function () {
      mountTmpfs('size=64k');
      // Fill the file system to the last block.
      await writeFile(join(mountPoint, 'filler'), Buffer.alloc(64 * 1024)).catch(() => undefined);
      const cache = makeCache({ memoryBytes: 0, diskDirectory: join(mountPoint, 'tiles') });
      for (let i = 0; i < 3; i++) expect((await cache.getOrCompute(key({ x: i }), counting(`t${i}`).compute)).body).to.not.equal(null);
      const warnings = log.lines.filter((line) => line.level === 40);
      expect(warnings.map((line) => line.code)).to.deep.equal(['ENOSPC']);
    });

    it('keeps serving when the disk is read-only (EROFS), bypassing the tier, logged once', async function () {
      mountTmpfs('size=64k');
      // A cache folder that was in use (its folders exist), then the file system went read-only.
      for (let i = 0; i < 3; i++) await mkdir(join(mountPoint, key({ x: i }).id, '..'), { recursive: true });
      execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
      const cache = makeCache({ memoryBytes: 0, diskDirectory: mountPoint });
      for (let i = 0; i < 3; i++) expect((await cache.getOrCompute(key({ x: i }), counting(`t${i}`).compute)).body).to.not.equal(null);
      const warnings = log.lines.filter((line) => line.level === 40);
      expect(warnings.map((line) => line.code)).to.deep.equal(['EROFS']);
    });
  });

  describe('sweep', () => {
    it('removes the namespaces judged stale from memory and disk, and keeps the live ones', async () => {
      const cache = makeCache();
      const old = key({ versions: ['v1-0000aaaa'] });
      const current = key({ versions: ['v2-0000aaaa'] });
      await cache.getOrCompute(old, counting('old').compute);
      await cache.getOrCompute(current, counting('new').compute);
      const removed = await cache.sweep((namespace) => namespace === old.namespace);
      expect(removed).to.deep.equal({ memory: 1, disk: 1 });
      expect(await cache.has(old)).to.equal(false);
      expect(await cache.has(current)).to.equal(true);
    });
  });

  describe('purge', () => {
    it('removes the selected tiles of a tileset and its composites from every tier, and counts them', async () => {
      const cache = makeCache();
      const inside = [key({ z: 12, x: 3400, y: 1560 }), key({ z: 12, x: 3401, y: 1560 }), key({ tileset: 'county,landuse', versions: ['v1-0000bbbb', 'v1-0000aaaa'], z: 12, x: 3400, y: 1560 })];
      const outside = [key({ z: 12, x: 10, y: 10 }), key({ z: 16, x: 54400, y: 24960 }), key({ tileset: 'county', z: 12, x: 3400, y: 1560 })];
      for (const k of [...inside, ...outside]) await cache.getOrCompute(k, counting(k.id).compute);
      // Tiles 3400-3401 / 1560 at z12 cover 118.83-119.00°E, 39.30-39.37°N.
      const selection = new TileSelection({ tileset: 'landuse', bbox: [118.85, 39.32, 118.95, 39.35], zooms: [10, 14] });
      expect(await cache.purge(selection)).to.deep.equal({ memory: 3, disk: 3 });
      for (const k of inside) expect(await cache.has(k), k.id).to.equal(false);
      for (const k of outside) expect(await cache.has(k), k.id).to.equal(true);
    });
  });
});
