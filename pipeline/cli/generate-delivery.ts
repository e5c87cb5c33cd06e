import { parseArgs } from 'node:util';
import { loadConfig } from '../../core/config/load-config.js';
import { migrate } from '../../core/db/migrate.js';
import { createPool } from '../../core/db/pool.js';
import { ConfigError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { LAYER_KEYS } from '../delivery/delivery-layers.js';
import { DEFAULT_SEED, MAX_PARCELS, MIN_PARCELS, parseDeliveryOptions, type DeliveryOptions } from '../delivery/delivery-options.js';
import { ZONE_38_COUNTIES } from '../delivery/delivery-zones.js';
import { COUNTY_WITHOUT_CPG, generateDelivery, LEGACY_CRS_COUNTY, type DeliveryProgress } from '../delivery/generate-delivery.js';

const USAGE = `Usage: npm run generate-delivery -- --out DIR --parcels N [--format shapefile|geojson|all] [--seed S] [--layers ${LAYER_KEYS.join(',')}]

Writes a sample delivery of the eight Liaocheng counties as counties hand theirs over:
DIR/<XZQDM>/DLTB.shp (三调 land-use parcels) and the planning layers STBHHX (生态保护红线),
YJJBNT (永久基本农田), CZKFBJ (城镇开发边界) and GHFQ (规划分区), each in the county's own
Gauss-Kruger zone (EPSG:4526 for ${ZONE_38_COUNTIES.join(' and ')}, 4527 for the others), GBK, with .prj and
.cpg (${COUNTY_WITHOUT_CPG} without .cpg). GeoJSON is EPSG:4490 longitude/latitude; ${LEGACY_CRS_COUNTY} also gets
DLTB_4527.geojson in its zone with a legacy crs member. Generated in PostGIS (DATABASE_URL)
in temporary tables: no data is written to the database.

  --out DIR       folder to write to (created when missing; same-named files are replaced)
  --parcels N     about how many parcels in all, ${MIN_PARCELS}–${MAX_PARCELS}
  --format F      shapefile (default), geojson, or all
  --seed S        seed of the deterministic generator (default "${DEFAULT_SEED}")
  --layers LIST   layers to write, comma-separated (default: all)
  --help          this text

Exit codes: 0 written; 1 failure; 2 bad command line.`;

const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

async function main(argv: string[]): Promise<number> {
  let options: DeliveryOptions;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        parcels: { type: 'string' },
        format: { type: 'string' },
        seed: { type: 'string' },
        layers: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    options = parseDeliveryOptions(values);
  } catch (error) {
    // parseArgs throws TypeError for unknown options and missing values.
    if (!(error instanceof ConfigError) && !(error instanceof TypeError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const config = loadConfig();
  const logger = createLogger('generate-delivery', process.env.LOG_LEVEL ?? 'warn');
  const pool = createPool({ url: config.databaseUrl, database: config.database, applicationName: 'planmap-generate-delivery', logger });
  try {
    await migrate(pool, logger);
    const started = Date.now();
    const progress = createProgressLine(started);
    const result = await generateDelivery(pool, options, progress.report);
    progress.end();
    const features = result.layers.reduce((sum, layer) => sum + layer.features, 0);
    const parcels = result.layers.filter((layer) => layer.layer === 'landuse').reduce((sum, layer) => sum + layer.features, 0);
    const files = result.layers.reduce((sum, layer) => sum + layer.files.length, 0);
    console.log(`${options.outDir}: ${files} files, ${features} features (${parcels} parcels) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return EXIT.ok;
  } finally {
    await pool.end();
  }
}

/** One line on stderr, rewritten in place on a terminal; elsewhere (logs, CI) one line per stage and file. */
function createProgressLine(started: number): { report: (progress: DeliveryProgress) => void; end: () => void } {
  const isTty = process.stderr.isTTY === true;
  const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  let shown = false;
  const show = (text: string, isFinal: boolean) => {
    if (isTty) {
      process.stderr.write(`\r\x1b[K${text}`);
      shown = true;
    } else if (isFinal) {
      process.stderr.write(`${text}\n`);
    }
  };
  return {
    report(progress) {
      switch (progress.stage) {
        case 'parcels':
          return show(`[${seconds()}] generating parcels in PostGIS`, true);
        case 'planning':
          return show(`[${seconds()}] deriving the planning layers`, true);
        case 'writing':
          return show(`[${seconds()}] ${progress.file}: ${progress.features} features${progress.done ? '' : '…'}`, progress.done);
      }
    },
    end() {
      if (isTty && shown) process.stderr.write('\n');
    },
  };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(EXIT.failure);
  },
);
