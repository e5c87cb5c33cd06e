import { BadRequestError } from '../../core/errors.js';

/**
 * Validation of the statistics endpoints' query parameters, before any database work. Every
 * message names the parameter: `parameter county: "37150" is not a six-digit county code`.
 */
export type Query = Readonly<Record<string, unknown>>;

export const FORMATS = ['json', 'csv'] as const;
export type TableFormat = (typeof FORMATS)[number];

/** Refuses parameters the endpoint does not know (a typo would otherwise be silently ignored) and repeated ones. */
export function checkParameterNames(query: Query, allowed: readonly string[]): void {
  for (const [name, value] of Object.entries(query)) {
    if (!allowed.includes(name)) {
      throw new BadRequestError(`unknown parameter ${describe(name)} (this endpoint takes: ${allowed.join(', ')})`);
    }
    if (typeof value !== 'string') throw new BadRequestError(`parameter ${name}: give it once, as plain text`);
  }
}

export function parseChoice<T extends string>(query: Query, name: string, choices: readonly T[], fallback: T): T {
  const value = query[name];
  if (value === undefined || value === '') return fallback;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new BadRequestError(`parameter ${name}: ${describe(value)} is not one of ${choices.join(', ')}`);
}

export function parseFormat(query: Query): TableFormat {
  return parseChoice(query, 'format', FORMATS, 'json');
}

/** A six-digit county code, or null when the parameter is absent (all counties). */
export function parseCounty(query: Query): string | null {
  const value = query.county;
  if (value === undefined || value === '') return null;
  if (typeof value === 'string' && /^\d{6}$/.test(value)) return value;
  throw new BadRequestError(`parameter county: ${describe(value)} is not a six-digit county code (e.g. 371502)`);
}

/** A whole number from 1 to `max`, or null when absent. */
export function parsePositiveInteger(query: Query, name: string, max = 2_147_483_647): number | null {
  const value = query[name];
  if (value === undefined || value === '') return null;
  if (typeof value === 'string' && /^[1-9]\d{0,9}$/.test(value) && Number(value) <= max) return Number(value);
  throw new BadRequestError(`parameter ${name}: ${describe(value)} is not a whole number from 1 to ${max}`);
}

function describe(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
