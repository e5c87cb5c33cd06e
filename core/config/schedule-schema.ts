import { validateDetailed } from 'node-cron';
import { z } from 'zod';

/**
 * `datasets[].schedule`: when the dataset's source is checked for a new delivery. The check is
 * cheap (file sizes and modification times; contents are hashed only when those moved), and an
 * import runs only when the content fingerprint differs from the last successful import's.
 */

/** Cron times are local to the city's planning bureau unless a dataset says otherwise. */
export const DEFAULT_SCHEDULE_TIMEZONE = 'Asia/Shanghai';

/**
 * A node-cron expression: five fields (minute hour day-of-month month day-of-week), or six with
 * seconds first, or a nickname (`@daily`, `@hourly`...). Checked with node-cron's own parser in
 * checkDatasetSchedules, where the message can name the dataset.
 */
const cronSchema = z.string().min(1);

/** An IANA time zone name that this Node's Intl knows (Asia/Shanghai, UTC...). */
const timezoneSchema = z.string().refine(isKnownTimezone, { message: 'must be an IANA time zone name such as Asia/Shanghai or UTC' });

export const datasetScheduleSchema = z.strictObject({
  /** When to check the source, e.g. `"*\/15 * * * *"` (every quarter hour) or `"0 2 * * *"` (02:00 daily). */
  cron: cronSchema,
  /** The time zone the cron fields are read in. */
  timezone: timezoneSchema.default(DEFAULT_SCHEDULE_TIMEZONE),
});

export type DatasetScheduleConfig = z.output<typeof datasetScheduleSchema>;

/** What the cross-dataset check needs of a dataset: a schedule is pointless without a source. */
interface ScheduledDataset {
  readonly id: string;
  readonly source?: unknown;
  readonly schedule?: DatasetScheduleConfig | undefined;
}

/**
 * Refuses, at `datasets[i].schedule...`, a cron expression node-cron cannot read (saying which
 * field is wrong) and a schedule on a dataset without a `source`.
 */
export function checkDatasetSchedules<T>(datasets: readonly ScheduledDataset[], ctx: z.RefinementCtx<T>): void {
  datasets.forEach((dataset, i) => {
    if (!dataset.schedule) return;
    const result = validateDetailed(dataset.schedule.cron);
    if (!result.valid) {
      const problems = result.errors.map((error) => error.message).join('; ') || 'unreadable';
      ctx.addIssue({ code: 'custom', path: ['datasets', i, 'schedule', 'cron'], message: `dataset "${dataset.id}": "${dataset.schedule.cron}" is not a valid cron expression (${problems})` });
    }
    if (!dataset.source) {
      ctx.addIssue({ code: 'custom', path: ['datasets', i, 'schedule'], message: `dataset "${dataset.id}" has a schedule but no source to check` });
    }
  });
}

function isKnownTimezone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
