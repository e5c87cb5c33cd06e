import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  DEFAULT_DATABASE_URL,
  loadConfig,
  parseConfig,
  readConfigFile,
  resolveConfigFile,
  type AppConfig,
} from '../../../core/config/load-config.js';
import { configSchema } from '../../../core/config/schema.js';
import { ConfigError } from '../../../core/errors.js';
import { projectRoot } from '../../../core/project-root.js';

/** Name given to parseConfig for in-memory configurations; every message must start with it. */
const FILE = 'under-test.yaml';

/** The parsed YAML of config/default.yaml, a fresh copy each time so a test may change it. */
function defaultRaw(): Record<string, any> {
  return structuredClone(readConfigFile(resolveConfigFile(undefined))) as Record<string, any>;
}

/** The ConfigError that validating `raw` throws (fails the test when none is thrown). */
function refusal(raw: unknown, env: Record<string, string> = {}): ConfigError {
  try {
    parseConfig(raw, FILE, env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  expect.fail('the configuration was accepted');
}

/** Every object and array reachable from `value` that is not frozen, by path. */
function unfrozenPaths(value: unknown, path = 'config'): string[] {
  if (value === null || typeof value !== 'object') return [];
  const own = Object.isFrozen(value) ? [] : [path];
  return own.concat(...Object.entries(value).map(([key, child]) => unfrozenPaths(child, `${path}.${key}`)));
}

describe('configuration (core/config/load-config)', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'planmap-config-test-'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a configuration file in the temporary folder and returns its absolute path. */
  function writeConfig(fileName: string, text: string): string {
    const file = join(dir, fileName);
    writeFileSync(file, text);
    return file;
  }

  describe('given config/default.yaml', () => {
    it('loads and validates it when CONFIG_FILE is not set', () => {
      const config = loadConfig({});
      expect(config.configFile).to.equal(join(projectRoot, 'config', 'default.yaml'));
      expect(config.datasets.map((dataset) => dataset.id)).to.deep.equal([
        'landuse', 'stbhhx_371502', 'county', 'stbhhx', 'yjjbnt', 'czkfbj', 'ghfq', 'conflicts', 'landuse_changes',
      ]);
      expect(config.tilesets.map((tileset) => [tileset.id, tileset.source, tileset.minzoom, tileset.maxzoom])).to.deep.equal([
        ['landuse', 'landuse', 10, 16],
        ['county', 'county', 0, 16],
        ['stbhhx', 'stbhhx', 6, 16],
        ['yjjbnt', 'yjjbnt', 8, 16],
        ['czkfbj', 'czkfbj', 6, 16],
        ['ghfq', 'ghfq', 6, 16],
        ['conflicts', 'conflicts', 8, 16],
        ['landuse_changes', 'landuse_changes', 10, 16],
      ]);
      expect(config.server.port).to.equal(8080);
      expect(config.databaseUrl).to.equal(DEFAULT_DATABASE_URL);
    });

    it('lists every key of the schema, so that it documents them all', () => {
      const raw = defaultRaw();
      const keysOf = (objects: Record<string, unknown>[]) => [...new Set(objects.flatMap((object) => Object.keys(object)))].sort();
      const shape = configSchema.shape;
      expect(keysOf([raw])).to.deep.equal(Object.keys(shape).sort());
      expect(keysOf([raw.server])).to.deep.equal(Object.keys(shape.server.unwrap().shape).sort());
      expect(keysOf([raw.database])).to.deep.equal(Object.keys(shape.database.unwrap().shape).sort());
      expect(keysOf(raw.datasets)).to.deep.equal(Object.keys(shape.datasets.unwrap().element.shape).sort());
      expect(keysOf(raw.tilesets)).to.deep.equal(Object.keys(shape.tilesets.unwrap().element.shape).sort());
    });
  });

  describe('given an empty file', () => {
    it('gives every default', () => {
      const config = loadConfig({ CONFIG_FILE: writeConfig('empty.yaml', '') });
      expect(config.server).to.deep.equal({
        port: 8080,
        publicUrl: null,
        trustProxy: true,
        tileCacheControl: 'public, max-age=300',
        maxPathLength: 1024,
        shutdownTimeoutMs: 10000,
        workers: 1,
      });
      expect(config.database).to.deep.equal({ poolSize: 10, statementTimeoutMs: 15000, connectTimeoutMs: 5000, planCacheMode: 'force_generic_plan', replicaUrl: null });
      expect(config.datasets).to.deep.equal([]);
      expect(config.tilesets).to.deep.equal([]);
    });
  });

  describe('given an unknown key', () => {
    const cases: ReadonlyArray<readonly [string, (raw: Record<string, any>) => void, string]> = [
      ['at the top level', (raw) => { raw.colour = 'red'; }, 'colour'],
      ['inside server', (raw) => { raw.server.colour = 'red'; }, 'server.colour'],
      ['inside tilesets[1]', (raw) => { raw.tilesets[1].colour = 'red'; }, 'tilesets[1].colour'],
      ['inside datasets[0]', (raw) => { raw.datasets[0].colour = 'red'; }, 'datasets[0].colour'],
    ];
    for (const [where, change, path] of cases) {
      describe(where, () => {
        it(`refuses it, naming the file and "${path}"`, () => {
          const raw = defaultRaw();
          change(raw);
          const error = refusal(raw);
          expect(error.message).to.match(new RegExp(`^${FILE}: invalid configuration\\n`));
          expect(error.message.split('\n')).to.include(`  ${path}: unknown key`);
        });
      });
    }
  });

  describe('given a value of the wrong type', () => {
    it('refuses it, naming the key path', () => {
      const raw = defaultRaw();
      raw.tilesets[0].maxzoom = 'sixteen';
      expect(refusal(raw).message).to.match(/\n {2}tilesets\[0\]\.maxzoom: .*expected number/);
    });
  });

  describe('given a value out of range', () => {
    it('refuses it, naming the key path', () => {
      const raw = defaultRaw();
      raw.tilesets[1].maxzoom = 25;
      expect(refusal(raw).message).to.match(/\n {2}tilesets\[1\]\.maxzoom: .*24/);
    });
  });

  describe('given several problems', () => {
    it('names every one', () => {
      const raw = defaultRaw();
      raw.server.colour = 'red';
      raw.database.poolSize = 'many';
      const lines = refusal(raw).message.split('\n');
      expect(lines).to.include('  server.colour: unknown key');
      expect(lines.some((line) => line.startsWith('  database.poolSize: '))).to.equal(true);
    });
  });

  describe('given inconsistent tilesets and datasets', () => {
    const cases: ReadonlyArray<readonly [string, (raw: Record<string, any>) => void, RegExp]> = [
      ['a minzoom above the maxzoom', (raw) => { raw.tilesets[0].minzoom = 17; }, /\n {2}tilesets\[0\]\.minzoom: minzoom 17 is above maxzoom 16/],
      ['a source that is not a declared dataset', (raw) => { raw.tilesets[1].source = 'parcels'; }, /\n {2}tilesets\[1\]\.source: unknown dataset "parcels"/],
      ['two tilesets with one id', (raw) => { raw.tilesets[1].id = 'landuse'; }, /\n {2}tilesets\[1\]\.id: duplicate tileset id "landuse"/],
      ['two datasets with one id', (raw) => { raw.datasets[1].id = 'landuse'; }, /\n {2}datasets\[1\]\.id: duplicate dataset id "landuse"/],
      ['a property listed twice', (raw) => { raw.tilesets[0].properties = ['BSM', 'DLBM', 'BSM']; }, /\n {2}tilesets\[0\]\.properties\[2\]: "BSM" is listed twice/],
      ['the id column listed as a property', (raw) => { raw.tilesets[1].properties = ['XZQDM', 'fid']; }, /\n {2}tilesets\[1\]\.properties\[1\]: "fid" is the geometry or id column/],
    ];
    for (const [what, change, message] of cases) {
      describe(`given ${what}`, () => {
        it('refuses it, naming the key path', () => {
          const raw = defaultRaw();
          change(raw);
          expect(refusal(raw).message).to.match(message);
        });
      });
    }
  });

  describe('given ids that are not lower-case names', () => {
    // Tileset ids are joined by "," in URLs for composite tiles and become PostgreSQL names.
    const cases: ReadonlyArray<readonly [string, (raw: Record<string, any>) => void, string]> = [
      ['a tileset id with upper case', (raw) => { raw.tilesets[0].id = 'Landuse'; }, 'tilesets[0].id'],
      ['a tileset id with a comma', (raw) => { raw.tilesets[1].id = 'landuse,county'; }, 'tilesets[1].id'],
      ['a dataset id with upper case', (raw) => { raw.datasets[1].id = 'County'; }, 'datasets[1].id'],
      ['a dataset id with a comma', (raw) => { raw.datasets[0].id = 'land,use'; }, 'datasets[0].id'],
      ['a tileset source with upper case', (raw) => { raw.tilesets[0].source = 'LANDUSE'; }, 'tilesets[0].source'],
      // 41 characters: `<id>__staging_<job id>` would pass PostgreSQL's 63-byte name limit.
      ['a dataset id longer than 40 characters', (raw) => { raw.datasets[0].id = `l${'a'.repeat(40)}`; }, 'datasets[0].id'],
    ];
    for (const [what, change, path] of cases) {
      describe(`given ${what}`, () => {
        it(`refuses it, naming "${path}"`, () => {
          const raw = defaultRaw();
          change(raw);
          expect(refusal(raw).message).to.include(`\n  ${path}: must be a lower-case letter`);
        });
      });
    }
  });

  describe('given the environment', () => {
    it('takes PORT over server.port', () => {
      expect(parseConfig(defaultRaw(), FILE, { PORT: '9090' }).server.port).to.equal(9090);
      expect(loadConfig({ CONFIG_FILE: writeConfig('port.yaml', 'server:\n  port: 8081\n'), PORT: '0' }).server.port).to.equal(0);
    });

    for (const badPort of ['http', '80.5', '-1', '65536', '', ' 8080', '0x50']) {
      describe(`given PORT=${JSON.stringify(badPort)}`, () => {
        it('refuses it, naming PORT', () => {
          expect(refusal(defaultRaw(), { PORT: badPort }).message).to.equal(`PORT: "${badPort}" is not a TCP port number`);
        });
      });
    }

    it('takes PUBLIC_URL over server.publicUrl and DATABASE_URL as the database', () => {
      const config = parseConfig(defaultRaw(), FILE, {
        PUBLIC_URL: 'https://maps.example.cn/planmap',
        DATABASE_URL: 'postgres://planmap@db.example.cn/planmap',
      });
      expect(config.server.publicUrl).to.equal('https://maps.example.cn/planmap');
      expect(config.databaseUrl).to.equal('postgres://planmap@db.example.cn/planmap');
    });

    it('takes WORKERS over server.workers: a count, or auto', () => {
      expect(parseConfig(defaultRaw(), FILE, {}).server.workers).to.equal(1);
      expect(parseConfig(defaultRaw(), FILE, { WORKERS: '4' }).server.workers).to.equal(4);
      expect(parseConfig(defaultRaw(), FILE, { WORKERS: 'auto' }).server.workers).to.equal('auto');
    });

    for (const badWorkers of ['0', '65', 'many', '2.5', '-1']) {
      describe(`given WORKERS=${JSON.stringify(badWorkers)}`, () => {
        it('refuses it, naming WORKERS', () => {
          expect(refusal(defaultRaw(), { WORKERS: badWorkers }).message).to.equal(`WORKERS: "${badWorkers}" is not auto or a whole number from 1 to 64`);
        });
      });
    }

    describe('given a PUBLIC_URL that is not a URL', () => {
      // server.publicUrl must be a URL in the file; the environment must not bypass that.
      it('refuses it, naming PUBLIC_URL', () => {
        expect(refusal(defaultRaw(), { PUBLIC_URL: 'maps dot example' }).message).to.match(/^PUBLIC_URL: "maps dot example" /);
      });
    });
  });

  describe('the configuration it returns', () => {
    let config: AppConfig;

    before(() => {
      config = parseConfig(defaultRaw(), FILE, { PORT: '9090' });
    });

    it('is frozen all the way down', () => {
      expect(unfrozenPaths(config)).to.deep.equal([]);
    });

    it('throws on any attempt to change it', () => {
      expect(() => { (config.server as { port: number }).port = 1; }).to.throw(TypeError);
      expect(() => { (config.tilesets[0]!.properties as string[]).push('XZQMC'); }).to.throw(TypeError);
      expect(() => { (config.datasets as unknown[]).pop(); }).to.throw(TypeError);
      expect(config.server.port).to.equal(9090);
      expect(config.datasets).to.have.length(9);
    });

    it('is a fresh object each time: an override in one call does not leak into the next', () => {
      // Sections left out of the file come from schema defaults; those must not be shared.
      expect(parseConfig({}, FILE, { PORT: '9091' }).server.port).to.equal(9091);
      expect(parseConfig({}, FILE, {}).server.port).to.equal(8080);
      expect(parseConfig({}, FILE, { PORT: '9092' }).server.port).to.equal(9092);
      expect(parseConfig(defaultRaw(), FILE, {}).server.port).to.equal(8080);
    });
  });

  describe('given a file that is not valid YAML', () => {
    it('refuses it, naming the file', () => {
      const file = writeConfig('broken.yaml', 'server:\n  port: [8080\n  trustProxy: true\n');
      expect(() => loadConfig({ CONFIG_FILE: file })).to.throw(ConfigError, new RegExp(`^${escapeRegExp(file)}: not valid YAML: `));
      expect(() => readConfigFile(file)).to.throw(ConfigError, file);
    });
  });

  describe('given a file that does not exist', () => {
    it('refuses it, naming the file', () => {
      const file = join(dir, 'missing.yaml');
      expect(() => loadConfig({ CONFIG_FILE: file })).to.throw(ConfigError, `${file}: cannot read the configuration file`);
    });
  });

  describe('given an invalid file named by CONFIG_FILE', () => {
    it('names that file in front of the key path', () => {
      const file = writeConfig('unknown-key.yaml', 'server:\n  colour: red\n');
      expect(() => loadConfig({ CONFIG_FILE: file })).to.throw(ConfigError, `${file}: invalid configuration\n  server.colour: unknown key`);
    });
  });

  describe('given a relative CONFIG_FILE', () => {
    it('reads it from the working directory', () => {
      const file = writeConfig('relative.yaml', 'server:\n  port: 8123\n');
      const config = loadConfig({ CONFIG_FILE: relative(process.cwd(), file) });
      expect(config.configFile).to.equal(file);
      expect(config.server.port).to.equal(8123);
    });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
