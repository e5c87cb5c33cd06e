import { expect } from 'chai';
import type { TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { TileAddressMemo } from '../../../server/routes/tile-address-memo.js';

describe('TileAddressMemo', () => {
  const catalogA = {} as TilesetCatalog;
  const catalogB = {} as TilesetCatalog;

  it('learns a path once per catalog, and a rebuilt catalog learns it again', () => {
    const memo = new TileAddressMemo<string>(10);
    const learned: string[] = [];
    const learn = (version: string) => (path: string) => {
      learned.push(`${version}:${path}`);
      return `${path}@${version}`;
    };
    expect(memo.lookup(catalogA, 'landuse/14/1/2.mvt', learn('v1'))).to.equal('landuse/14/1/2.mvt@v1');
    expect(memo.lookup(catalogA, 'landuse/14/1/2.mvt', learn('v1'))).to.equal('landuse/14/1/2.mvt@v1');
    expect(memo.lookup(catalogB, 'landuse/14/1/2.mvt', learn('v2'))).to.equal('landuse/14/1/2.mvt@v2');
    expect(learned).to.deep.equal(['v1:landuse/14/1/2.mvt', 'v2:landuse/14/1/2.mvt']);
  });

  it('does not remember paths that led nowhere', () => {
    const memo = new TileAddressMemo<string>(10);
    let asked = 0;
    const nothing = () => {
      asked++;
      return null;
    };
    expect(memo.lookup(catalogA, 'no/such/tile', nothing)).to.equal(null);
    expect(memo.lookup(catalogA, 'no/such/tile', nothing)).to.equal(null);
    expect(asked).to.equal(2);
  });

  it('starts afresh past its bound, so request paths cannot grow it without limit', () => {
    const memo = new TileAddressMemo<number>(3);
    let asked = 0;
    const learn = (path: string) => {
      asked++;
      return path.length;
    };
    for (const path of ['a', 'bb', 'ccc', 'dddd']) memo.lookup(catalogA, path, learn);
    expect(asked).to.equal(4);
    memo.lookup(catalogA, 'dddd', learn);
    expect(asked, 'the newest path is kept after the reset').to.equal(4);
    memo.lookup(catalogA, 'a', learn);
    expect(asked, 'older paths were dropped').to.equal(5);
  });
});
