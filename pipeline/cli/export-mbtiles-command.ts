import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import { exportMbtiles } from '../../server/offline/export-mbtiles.js';
import type { CommandExits } from './cli-database.js';
import { AREA_OPTIONS, AREA_USAGE, concurrencyOf, formatDuration, prepareFromArgs, refusalExit, withSeedContext } from './seed-cli-context.js';

export const EXPORT_MBTILES_USAGE = `  export-mbtiles ${AREA_USAGE}
                --output <file.mbtiles> [--attribution <text>]
                                write an offline package (MBTiles 1.3, WebMercatorQuad) for field apps`;

/** `npm run cli -- export-mbtiles ...`. */
export async function runExportMbtilesCommand(args: readonly string[], exits: CommandExits & { readonly failure: number }): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...args], options: { ...AREA_OPTIONS, output: { type: 'string' }, attribution: { type: 'string' } } }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\nUsage:\n${EXPORT_MBTILES_USAGE}`);
    return exits.usage;
  }
  if (values.help) {
    console.log(`Usage:\n${EXPORT_MBTILES_USAGE}`);
    return exits.ok;
  }
  if (!values.output || !values.output.endsWith('.mbtiles')) {
    console.error(`--output: give the package's file name, ending in .mbtiles\n\nUsage:\n${EXPORT_MBTILES_USAGE}`);
    return exits.usage;
  }
  const output = resolve(values.output);
  return withSeedContext(async ({ config, service, tileCache }) => {
    const concurrency = concurrencyOf(values.concurrency, config);
    if (typeof concurrency === 'string') {
      console.error(concurrency);
      return exits.usage;
    }
    const prepared = await prepareFromArgs(service, values, exits);
    if (typeof prepared === 'number') return prepared;
    const interrupt = new AbortController();
    const onSignal = () => interrupt.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    const bar = new SingleBar({ format: '{bar} {percentage}% | {value}/{total} tiles | z{zoom} | ETA {eta}', stream: process.stderr, noTTYOutput: false });
    bar.start(prepared.plan.total, 0, { zoom: '-', eta: '?' });
    try {
      const result = await exportMbtiles(prepared, output, {
        cache: tileCache,
        concurrency,
        signal: interrupt.signal,
        attribution: values.attribution ?? '聊城市国土空间规划 (planmap)',
        onProgress: (progress) => bar.update(progress.done, { zoom: progress.zoom ?? '-', eta: formatDuration(progress.etaMs) }),
      });
      bar.stop();
      const { size } = await stat(result.file);
      console.log(`${result.file}: ${result.tiles} tiles (${result.emptyTiles} empty left out), ${(size / 1024 / 1024).toFixed(1)} MB, in ${formatDuration(result.progress.elapsedMs)}`);
      return exits.ok;
    } catch (error) {
      bar.stop();
      const code = refusalExit(error, exits);
      if (code !== null) return code;
      console.error(interrupt.signal.aborted ? 'interrupted; nothing written' : (error as Error).message);
      return exits.failure;
    } finally {
      process.off('SIGINT', onSignal);
    }
  });
}
