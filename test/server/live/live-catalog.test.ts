import { expect } from 'chai';
import { LiveCatalog } from '../../../server/live/live-catalog.js';
import { TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { silentLogger } from '../../support/test-database.js';

/** Catalogs told apart by identity; rebuilt by a build function the test controls. */
function emptyCatalog(): TilesetCatalog {
  return new TilesetCatalog([], new Map());
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

describe('LiveCatalog (server/live)', () => {
  let builds: Deferred<TilesetCatalog>[];
  let live: LiveCatalog;
  const initial = emptyCatalog();

  beforeEach(() => {
    builds = [];
    live = new LiveCatalog(initial, () => {
      const build = deferred<TilesetCatalog>();
      builds.push(build);
      return build.promise;
    }, silentLogger, { debounceMs: 5 });
  });

  afterEach(async () => {
    for (const build of builds) build.resolve(emptyCatalog());
    await live.stop();
  });

  /** Waits (real time, bounded) until the live catalog has started `count` builds. */
  async function buildsStarted(count: number): Promise<void> {
    const deadline = performance.now() + 5000;
    while (builds.length < count && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(builds).to.have.length(count);
  }

  it('serves the start-up catalog until a rebuild has finished, then the new one, whole', async () => {
    live.requestRefresh('test');
    await buildsStarted(1);
    expect(live.current()).to.equal(initial);
    const next = emptyCatalog();
    const refreshed = live.whenRefreshed();
    builds[0]!.resolve(next);
    expect(await refreshed).to.deep.equal({ catalog: next, error: null });
    expect(live.current()).to.equal(next);
    expect(live.generation).to.equal(1);
  });

  it('rebuilds once for a burst of notices', async () => {
    for (let i = 0; i < 10; i++) live.requestRefresh(`publish ${i}`);
    await buildsStarted(1);
    const refreshed = live.whenRefreshed();
    builds[0]!.resolve(emptyCatalog());
    await refreshed;
    expect(builds).to.have.length(1);
    expect(live.generation).to.equal(1);
  });

  it('rebuilds once more after a rebuild during which another publish arrived, so the last one is never missed', async () => {
    live.requestRefresh('first');
    await buildsStarted(1);
    live.requestRefresh('second, while the first rebuild runs');
    live.requestRefresh('third, while the first rebuild runs');
    const first = live.whenRefreshed();
    builds[0]!.resolve(emptyCatalog());
    await first;
    await buildsStarted(2);
    const last = emptyCatalog();
    const second = live.whenRefreshed();
    builds[1]!.resolve(last);
    await second;
    expect(live.current()).to.equal(last);
    expect(builds).to.have.length(2);
  });

  it('keeps serving the previous catalog when a rebuild fails, and reports the error', async () => {
    live.requestRefresh('test');
    await buildsStarted(1);
    const refreshed = live.whenRefreshed();
    builds[0]!.reject(new Error('database unavailable while reading columns'));
    const result = await refreshed;
    expect(result.catalog).to.equal(initial);
    expect(result.error?.message).to.equal('database unavailable while reading columns');
    expect(live.current()).to.equal(initial);
    expect(live.generation).to.equal(0);
    live.requestRefresh('retry');
    await buildsStarted(2);
  });

  it('starts no rebuild once stopped', async () => {
    await live.stop();
    live.requestRefresh('after stop');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(builds).to.have.length(0);
  });
});
