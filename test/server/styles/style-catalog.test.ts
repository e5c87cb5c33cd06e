import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createPropertyExpression, latest, validateStyleMin, type StylePropertySpecification, type StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import { loadSandiaoClasses } from '../../../core/classification/sandiao-classes.js';
import { ConfigError, NotFoundError } from '../../../core/errors.js';
import { applyClassColours, classColourExpression, FALLBACK_CLASS_COLOUR } from '../../../server/styles/class-colours.js';
import { loadStyleCatalog, STYLES_DIR } from '../../../server/styles/style-catalog.js';
import { loadTilesetCatalog, type TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger } from '../../support/test-database.js';

function readStyle(name: string): StyleSpecification {
  return JSON.parse(readFileSync(join(STYLES_DIR, name), 'utf8')) as StyleSpecification;
}

describe('styles/*.json', () => {
  for (const name of ['landuse.json', 'planning.json']) {
    describe(name, () => {
      it('passes the MapLibre style spec validator', () => {
        expect(validateStyleMin(readStyle(name)).map((error) => error.message)).to.deep.equal([]);
      });
      it('carries the class colours of data/reference/sandiao_classes.csv (npm run styles is up to date)', () => {
        const style = readStyle(name);
        expect(applyClassColours(style)).to.deep.equal(style);
      });
    });
  }

  describe('the class colour expression', () => {
    const classes = loadSandiaoClasses();
    const expression = createPropertyExpression(classColourExpression(classes.values()), 'fill-color', latest.paint_fill['fill-color'] as unknown as StylePropertySpecification);
    if (expression.result !== 'success') throw new Error('the class colour expression does not parse');
    const colourOf = (code: unknown) => {
      const colour = expression.value.evaluate({ zoom: 14 }, { type: 3, properties: { DLBM: code as string } });
      return [colour.r, colour.g, colour.b].map((channel: number) => Math.round(channel * 255));
    };
    const fallback = [1, 3, 5].map((i) => parseInt(FALLBACK_CLASS_COLOUR.slice(i, i + 2), 16));

    it('gives every class with a colour in the CSV that colour', () => {
      const coloured = [...classes.values()].filter((landUseClass) => landUseClass.rgb);
      expect(coloured.length).to.be.above(50);
      for (const landUseClass of coloured) expect(colourOf(landUseClass.code), landUseClass.code).to.deep.equal([...landUseClass.rgb!]);
    });
    it('gives classes without a colour (0603 盐田, level-1 codes) the documented fallback', () => {
      const uncoloured = [...classes.values()].filter((landUseClass) => !landUseClass.rgb).map((landUseClass) => landUseClass.code);
      expect(uncoloured).to.include('0603');
      for (const code of uncoloured) expect(colourOf(code), code).to.deep.equal(fallback);
    });
    it('gives unknown codes, numbers and null the fallback', () => {
      for (const code of ['ZZZZ', 101, null, undefined]) expect(colourOf(code), String(code)).to.deep.equal(fallback);
    });
  });
});

describe('loadStyleCatalog', () => {
  let catalog: TilesetCatalog;
  let dir: string;
  before(async () => {
    const { pool, config } = sampleFixture();
    catalog = await loadTilesetCatalog(pool, config, silentLogger);
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'planmap-styles-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const minimal = (): Record<string, unknown> => ({
    version: 8,
    name: 'Minimal',
    sources: { parcels: { type: 'vector', url: 'planmap://landuse' } },
    layers: [{ id: 'parcels', type: 'fill', source: 'parcels', 'source-layer': 'landuse', paint: { 'fill-color': '#ff0000' } }],
  });
  const write = (name: string, style: unknown) => writeFileSync(join(dir, name), typeof style === 'string' ? style : JSON.stringify(style));
  const load = () => loadStyleCatalog(dir, catalog, silentLogger, sampleFixture().config.tilesets);
  const loadError = () => {
    try {
      load();
    } catch (error) {
      return error as Error;
    }
    throw new Error('loadStyleCatalog accepted the style');
  };

  describe('given the project styles over the sample data', () => {
    it('lists landuse and planning with their tilesets, zoom range, bounds and revision', () => {
      const styles = loadStyleCatalog(STYLES_DIR, catalog, silentLogger, sampleFixture().config.tilesets);
      expect(styles.list().map((style) => style.id)).to.include.members(['landuse', 'planning']);
      const landuse = styles.get('landuse');
      expect(landuse.sourceTilesets).to.deep.equal(['landuse', 'county']);
      expect([landuse.minzoom, landuse.maxzoom]).to.deep.equal([0, 16]);
      const county = catalog.resolve('county').layers[0]!.info.bounds!;
      expect(landuse.bounds).to.deep.equal(county);
      expect(landuse.revision).to.match(/^[A-Za-z0-9_-]{16}$/);
      expect(styles.get('planning').sourceTilesets).to.include.members(['stbhhx', 'yjjbnt', 'czkfbj', 'ghfq']);
    });
  });

  it('changes the revision when the file changes', () => {
    write('a.json', minimal());
    const before = load().get('a').revision;
    write('a.json', { ...minimal(), name: 'Changed' });
    expect(load().get('a').revision).to.not.equal(before);
  });

  it('throws NotFoundError for an unknown style id, naming the styles there are', () => {
    write('a.json', minimal());
    expect(() => load().get('b')).to.throw(NotFoundError, 'unknown style "b" (available: a)');
  });

  describe('refuses to start, naming the file and the error,', () => {
    const cases: [string, (style: Record<string, unknown>) => unknown, string][] = [
      ['for a file that is not JSON', () => '{"version": 8,', 'not valid JSON'],
      ['for a style the spec validator rejects', (style) => ({ ...style, version: 7 }), 'version'],
      ['for a paint value of the wrong type', (style) => ({ ...style, layers: [{ ...(style.layers as object[])[0], paint: { 'fill-color': 12 } }] }), 'fill-color'],
      ['for a layer whose source is missing', (style) => ({ ...style, layers: [{ ...(style.layers as object[])[0], source: 'nowhere' }] }), 'nowhere'],
      ['for a source on a tileset that is not configured', (style) => ({ ...style, sources: { parcels: { type: 'vector', url: 'planmap://nonesuch' } } }), 'tileset "nonesuch", which is not configured'],
      ['for a source elsewhere than this server', (style) => ({ ...style, sources: { parcels: { type: 'vector', tiles: ['https://example.com/{z}/{x}/{y}.pbf'] } } }), 'only vector sources with "url": "planmap://{tileset}"'],
      ['for a source-layer the tileset does not have', (style) => ({ ...style, layers: [{ ...(style.layers as object[])[0], 'source-layer': 'roads' }] }), 'source-layer "roads" is not a layer of tileset "landuse"'],
      ['for a layer type the renderer does not draw', (style) => ({ ...style, layers: [{ id: 't', type: 'symbol', source: 'parcels', 'source-layer': 'landuse', layout: { 'text-field': 'x' } }] }), 'type "symbol" is not rendered'],
      ['for a paint property the renderer does not draw', (style) => ({ ...style, layers: [{ ...(style.layers as object[])[0], paint: { 'fill-translate': [1, 1] } }] }), 'paint property "fill-translate" is not rendered'],
      ['for glyphs (text would need a CDN)', (style) => ({ ...style, glyphs: 'https://example.com/{fontstack}/{range}.pbf' }), '"glyphs"'],
    ];
    for (const [title, make, message] of cases) {
      it(title, () => {
        write('broken.json', make(minimal()));
        const error = loadError();
        expect(error).to.be.instanceOf(ConfigError);
        expect(error.message).to.include(join(dir, 'broken.json')).and.include(message);
      });
    }

    it('for a file name that is not a style id', () => {
      write('Bad Name.json', minimal());
      expect(loadError().message).to.include('Bad Name.json').and.include('is not a style id');
    });

    it('for a styles folder that does not exist', () => {
      rmSync(dir, { recursive: true });
      expect(loadError().message).to.include(`cannot read the styles folder ${dir}`);
    });
  });
});
