/**
 * Area units of Chinese land statistics: square metres, hectares (公顷) and mu (亩). One mu is
 * 10000/15 m² exactly (666.67 m² rounded), so areas are converted by multiplying by 15 and
 * dividing by 10000 rather than by a rounded factor.
 */
export function hectaresFromM2(areaM2: number): number {
  return areaM2 / 10_000;
}

export function muFromM2(areaM2: number): number {
  return (areaM2 * 15) / 10_000;
}

/** The same conversions inside SQL, for an expression in m². */
export function hectaresSql(areaM2: string): string {
  return `(${areaM2}) / 10000.0`;
}

export function muSql(areaM2: string): string {
  return `(${areaM2}) * 15 / 10000.0`;
}
