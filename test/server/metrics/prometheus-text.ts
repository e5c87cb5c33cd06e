/**
 * The value of one series in Prometheus text exposition, e.g.
 * `metricValue(text, 'planmap_tile_cache_lookups_total', { tier: 'disk', result: 'hit' })`;
 * 0 when the series is absent (a counter never incremented), as Prometheus reads it.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([label, value]) => present[label] === value)) return Number(match[3]);
  }
  return 0;
}

/** Every label value a metric has for one label name (to check that cardinality stays bounded). */
export function labelValues(text: string, name: string, label: string): Set<string> {
  const values = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name}_bucket{`) && !line.startsWith(`${name}_count{`)) continue;
    const match = new RegExp(`${label}="([^"]*)"`).exec(line);
    if (match) values.add(match[1]!);
  }
  return values;
}
