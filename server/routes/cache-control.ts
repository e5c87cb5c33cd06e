/**
 * Cache-Control of a response made from several tilesets (a raster tile of a style): it is as
 * fresh as its least cacheable member, so the shortest max-age wins, and no-store/no-cache
 * beats any max-age. The same rule the vector tile route applies to composite tilesets.
 */
export function shortestCacheControl(a: string, b: string): string {
  return maxAgeSeconds(b) < maxAgeSeconds(a) ? b : a;
}

function maxAgeSeconds(cacheControl: string): number {
  if (/no-store|no-cache/.test(cacheControl)) return -1;
  const match = /max-age=(\d+)/.exec(cacheControl);
  return match ? Number(match[1]) : Number.POSITIVE_INFINITY;
}
