import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { runSeed, type SeedProgress } from '../../server/seed/run-seed.js';
import type { CommandExits } from './cli-database.js';
import { AREA_OPTIONS, AREA_USAGE, concurrencyOf, formatDuration, prepareFromArgs, withSeedContext } from './seed-cli-context.js';

export const SEED_USAGE = `  seed ${AREA_USAGE}
                                pre-compute tiles into the shared cache tier (progress bar, ETA);
                                tiles already cached are skipped: after an interruption, run the
                                same command again to resume`;

/** `npm run cli -- seed ...`. */
export async function runSeedCommand(args: readonly string[], exits: CommandExits & { readonly failure: number }): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...args], options: AREA_OPTIONS }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\nUsage:\n${SEED_USAGE}`);
    return exits.usage;
  }
  if (values.help) {
    console.log(`Usage:\n${SEED_USAGE}`);
    return exits.ok;
  }
  return withSeedContext(async ({ config, service, tileCache }) => {
    const concurrency = concurrencyOf(values.concurrency, config);
    if (typeof concurrency === 'string') {
      console.error(concurrency);
      return exits.usage;
    }
    if (!config.cache.enabled || config.cache.shared === 'none') {
      console.error('cache.enabled is false or cache.shared is none: nothing outlives this command, so there is nothing to seed into');
      return exits.usage;
    }
    const prepared = await prepareFromArgs(service, values, exits);
    if (typeof prepared === 'number') return prepared;
    const { target, plan } = prepared;
    console.error(`${target.kind} ${target.id}: ${plan.total} tiles, zoom ${plan.levels[0]?.z ?? '-'} to ${plan.levels.at(-1)?.z ?? '-'}, ${plan.grid.id}, ${plan.county ? `county ${plan.county.name} (${plan.county.code})` : `bbox ${plan.bbox.join(',')}`}`);
    const interrupt = new AbortController();
    const onSignal = () => interrupt.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const bar = new SingleBar({
      format: '{bar} {percentage}% | {value}/{total} tiles | z{zoom} | {computed} computed, {cached} cached | {elapsed} elapsed, ETA {eta}',
      stream: process.stderr,
      // Without a terminal (a log, cron): a line every 5 s and the final state, rather than nothing.
      noTTYOutput: true,
      notTTYSchedule: 5000,
    });
    bar.start(plan.total, 0, { zoom: '-', computed: 0, cached: 0, elapsed: '0s', eta: '?' });
    let last: SeedProgress | null = null;
    try {
      last = await runSeed(plan, target, tileCache, {
        concurrency,
        signal: interrupt.signal,
        onProgress: (progress) => {
          last = progress;
          bar.update(progress.done, { zoom: progress.zoom ?? '-', computed: progress.computed, cached: progress.cached, elapsed: formatDuration(progress.elapsedMs), eta: formatDuration(progress.etaMs) });
        },
      });
    } catch (error) {
      bar.stop();
      const done = last ? `${(last as SeedProgress).done} of ${plan.total} tiles done` : 'no tile done';
      if (interrupt.signal.aborted) {
        console.error(`interrupted (${done}); run the same command again to resume`);
        return exits.failure;
      }
      console.error(`${(error as Error).message} (${done}; run the same command again to resume)`);
      return exits.failure;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    bar.stop();
    console.log(`${target.kind} ${target.id}: ${last.total} tiles in the cache (${last.computed} computed, ${last.cached} were cached) in ${formatDuration(last.elapsedMs)}`);
    return exits.ok;
  });
}
