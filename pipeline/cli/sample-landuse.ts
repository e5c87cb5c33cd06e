import { parseArgs } from 'node:util';
import { loadConfig } from '../../core/config/load-config.js';
import { migrate } from '../../core/db/migrate.js';
import { createPool } from '../../core/db/pool.js';
import { createLogger } from '../../core/logger.js';
import { parseParcelCount } from '../sample/ensure-sample-data.js';
import { generateSample } from '../sample/generate-sample.js';
import { generateSampleControlLines } from '../sample/sample-control-lines.js';
import { refreshAnalysis } from '../analysis/refresh-analysis.js';

const USAGE = `Usage: npm run sample -- [--parcels N] [--seed TEXT]

Generates the Liaocheng sample (三调 land-use parcels and county outlines) and publishes it as
new versions of the datasets "landuse" and "county" in DATABASE_URL, then the control lines
drawn on them ("stbhhx", "yjjbnt", "czkfbj", when declared) and their conflict analysis.

  --parcels N   about how many parcels (default 50000)
  --seed TEXT   seed of the deterministic generator (default "liaocheng")
  --help        this text`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { parcels: { type: 'string', default: '50000' }, seed: { type: 'string', default: 'liaocheng' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let parcels: number;
  try {
    parcels = parseParcelCount(values.parcels, '--parcels');
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const logger = createLogger('sample');
  const pool = createPool({ url: config.databaseUrl, database: config.database, applicationName: 'planmap-sample', logger });
  try {
    await migrate(pool, logger);
    const started = Date.now();
    const result = await generateSample(pool, config, { parcels, seed: values.seed }, logger);
    console.log(`landuse v${result.landuse.version}: ${result.landuse.featureCount} parcels; ` +
      `county v${result.county.version}: ${result.county.featureCount} outlines (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    // The 三区三线 control lines drawn on the same parcels, and the analysis of both (pipeline/analysis).
    const lines = await generateSampleControlLines(pool, config, { parcels, seed: values.seed }, logger);
    console.log(Object.entries(lines).map(([id, line]) => `${id} v${line.version}: ${line.featureCount} features`).join('; ') || 'no control-line datasets declared');
    const analysis = await refreshAnalysis(pool, config, logger);
    if (analysis.conflicts?.version) console.log(`conflicts v${analysis.conflicts.version} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return 0;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
