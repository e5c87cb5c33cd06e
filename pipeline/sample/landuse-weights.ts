/**
 * How often each 三调 class occurs in the sample, as relative weights. Liaocheng lies on the
 * North China Plain: irrigated land (0102) dominates the countryside, with villages (0702),
 * field roads (1006) and ditches (1107); near a county seat, urban classes take over.
 * Plausible shares for a test data set, not statistics.
 */
export const RURAL_CLASS_WEIGHTS: Readonly<Record<string, number>> = {
  '0102': 30, '0103': 12, '0101': 0.5, '0201': 3, '0204': 1, '0301': 4, '0307': 2, '0404': 1,
  '0702': 14, '1006': 6, '1003': 1, '1107': 4, '1104': 2.5, '1101': 0.5, '1202': 2.5, '0601': 2.5,
  '0602': 0.2, '08H2': 0.8, '0809': 0.3, '09': 0.2, '1001': 0.2, '1201': 0.5, '1206': 0.3,
  '0508': 0.5, '05H1': 0.5, '1109': 0.3, '1203': 0.5,
};

export const URBAN_CLASS_WEIGHTS: Readonly<Record<string, number>> = {
  '0701': 30, '05H1': 10, '0601': 10, '0508': 3, '08H1': 4, '08H2': 6, '0809': 2, '0810': 5,
  '0810A': 1, '1004': 12, '1005': 1, '0702': 4, '0102': 4, '1201': 3, '1104': 1, '1101': 1, '09': 1,
};

/** Classes held in state ownership (QSXZ 10); everything else is collective (QSXZ 30). */
export const STATE_OWNED_PREFIXES = ['05', '06', '08', '09', '1001', '1002', '1003', '1004', '1005', '1007', '1008', '1101', '1109', '0701'];

/** Codes and cumulative shares in [0, 1], for picking a class from a uniform number. */
export function cumulativeShares(weights: Readonly<Record<string, number>>): { codes: string[]; cumulative: number[] } {
  const codes = Object.keys(weights);
  const total = codes.reduce((sum, code) => sum + weights[code]!, 0);
  let running = 0;
  const cumulative = codes.map((code) => (running += weights[code]! / total));
  cumulative[cumulative.length - 1] = 1;
  return { codes, cumulative };
}
