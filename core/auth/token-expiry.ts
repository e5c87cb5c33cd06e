/** Units of a relative expiry (`30d`), in milliseconds. */
const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** The longest lifetime a token may be given: longer ones are forgotten rather than managed. */
export const MAX_TOKEN_LIFETIME_DAYS = 3660;

/**
 * When a token expires: a duration from now (`90m`, `12h`, `30d`, `8w`) or an ISO 8601 date or
 * date-time (`2027-06-30`, `2027-06-30T18:00:00+08:00`; a date alone means its start in UTC, a
 * date-time without offset the machine's local time).
 * Throws an Error saying what is accepted when the text is neither, or when the time is not in
 * the future.
 */
export function parseExpiry(text: string, now: Date = new Date()): Date {
  const relative = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  let expires: Date;
  if (relative) {
    const amount = Number(relative[1]);
    if (amount === 0) throw new Error(`"${text}" is no time at all: give a positive duration`);
    expires = new Date(now.getTime() + amount * UNIT_MS[relative[2]!]!);
  } else if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) {
    expires = new Date(text.trim());
    if (Number.isNaN(expires.getTime()) || !isCalendarDate(text.trim().slice(0, 10))) throw new Error(`"${text}" is not a real date`);
  } else {
    throw new Error(`"${text}" is neither a duration (90m, 12h, 30d, 8w) nor an ISO 8601 date (2027-06-30, 2027-06-30T18:00:00+08:00)`);
  }
  if (expires.getTime() <= now.getTime()) throw new Error(`"${text}" (${expires.toISOString()}) is not in the future`);
  if (expires.getTime() - now.getTime() > MAX_TOKEN_LIFETIME_DAYS * UNIT_MS.d!) {
    throw new Error(`"${text}" is more than ${MAX_TOKEN_LIFETIME_DAYS} days away`);
  }
  return expires;
}

/** `2027-02-30` parses (as 2 March): refuse days the month does not have. */
function isCalendarDate(ymd: string): boolean {
  const [year, month, day] = ymd.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
