import { z } from 'zod';

/**
 * Access control (server/access): who may read which tileset and style, rate limits, CORS and
 * security headers. Every key has a default, so a configuration without `access:` serves every
 * tileset and style publicly, as before.
 */

/**
 * `public`: anyone; `internal`: any valid token; `restricted`: tokens granted the tileset
 * (`tokens create --tileset`), and admin tokens.
 */
export const accessLevels = ['public', 'internal', 'restricted'] as const;
export type AccessLevel = (typeof accessLevels)[number];

/** The `access:` key of a tileset. */
export const tilesetAccessSchema = z.enum(accessLevels).default('public');

/** A token bucket: `ratePerSecond` requests a second on average, bursts of up to `burst`. */
const bucketSchema = z.strictObject({
  ratePerSecond: z.number().positive().max(1_000_000),
  burst: z.number().int().min(1).max(10_000_000),
});

/** Limits of one class of requests: per token (when one is sent) and per client address. */
const requestClassLimitsSchema = z.strictObject({
  perToken: bucketSchema,
  perAddress: bucketSchema,
});

const rateLimitsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Tiles, TileJSON, catalog, styles, WMTS: a map view asks for hundreds of tiles at once. */
  tiles: requestClassLimitsSchema.default({ perToken: { ratePerSecond: 2000, burst: 4000 }, perAddress: { ratePerSecond: 1000, burst: 2000 } }),
  /** The admin API (/admin). */
  admin: requestClassLimitsSchema.default({ perToken: { ratePerSecond: 20, burst: 100 }, perAddress: { ratePerSecond: 10, burst: 60 } }),
  /** Client addresses never limited (e.g. a monitoring host, a load-test machine). */
  exemptAddresses: z.array(z.string().min(1)).default([]),
  /** At most this many buckets are kept (least recently used are forgotten). */
  maxTrackedKeys: z.number().int().min(100).max(10_000_000).default(100_000),
});

const corsSchema = z.strictObject({
  /**
   * Origins (`https://gis.example.gov.cn`) allowed to read anything with a token from a browser,
   * and every public resource. `*` allows any origin for public resources only.
   */
  origins: z.array(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, 'must be * or an origin such as https://maps.example.org')).default([]),
  /** Public tilesets, styles and WMTS are readable from any origin (Access-Control-Allow-Origin: *). */
  publicAnyOrigin: z.boolean().default(true),
  /** How long browsers may cache a preflight answer. */
  maxAgeSeconds: z.number().int().min(0).max(86_400).default(600),
});

const styleAccessSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9_-]*$/, 'must be a style id (the file name in styles/ without .json)'),
  z.enum(accessLevels),
);

export const accessSchema = z.strictObject({
  /**
   * Access level of styles by id (styles/<id>.json); default public. A style is never less
   * strict than the strictest of the tilesets it draws.
   */
  styles: styleAccessSchema.default({}),
  rateLimits: rateLimitsSchema.default(rateLimitsSchema.parse({})),
  cors: corsSchema.default(corsSchema.parse({})),
  /** How long a verified token is remembered (revocation takes effect within this time). */
  tokenCacheSeconds: z.number().int().min(0).max(3600).default(30),
  /** Reads of internal and restricted data are written to meta.audit_log aggregated per this many seconds. */
  auditWindowSeconds: z.number().int().min(1).max(3600).default(60),
});

export type AccessConfig = z.output<typeof accessSchema>;
export type BucketConfig = z.output<typeof bucketSchema>;
