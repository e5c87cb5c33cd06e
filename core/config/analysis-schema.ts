import { z } from 'zod';

/**
 * `analysis:` in the configuration: the 三区三线 conflict analysis, the area statistics and the
 * comparison of versions (pipeline/analysis). Every key has a default, so configurations written
 * before the analysis existed stay valid; `config/default.yaml` comments each one.
 */

const datasetIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,47}$/, 'must be a lower-case letter followed by up to 47 of [a-z0-9_]');

const columnSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a column name of letters, digits and _');

/** A 三调 class code or the start of one: `05` matches every class of level-1 class 05, `1004` one class. */
const classPrefixSchema = z.string().regex(/^[0-9]{2}[0-9A-Z]{0,4}$/, 'must be a 三调 class code or its first digits (05, 0101, 1004)');

/** The kinds of conflict the analysis can look for; `checks` chooses among them. */
export const conflictTypes = [
  'red_line_farmland',
  'farmland_development',
  'red_line_development',
  'built_up_in_red_line',
  'farmland_outside_basic_farmland',
  'non_farmland_in_basic_farmland',
] as const;
export type ConflictType = (typeof conflictTypes)[number];

export const areaMethods = ['ellipsoid', 'gauss_kruger'] as const;
export type AreaMethod = (typeof areaMethods)[number];

const comparisonSchema = z.strictObject({
  /** The dataset whose versions are compared (live against the one before it, after each publish). */
  dataset: datasetIdSchema,
  /** The derived dataset the changed parcels are published as. */
  target: datasetIdSchema,
  /** Parcels of two versions are the same parcel when this field is equal. */
  keyField: columnSchema.default('BSM'),
  /** A parcel whose outline moved by no more than this (Hausdorff distance, metres) keeps its geometry. */
  toleranceM: z.number().min(0).max(100).default(0.01),
});

export const analysisSchema = z.strictObject({
  /** When false nothing is recomputed after a publish (the endpoints answer from what was computed). */
  enabled: z.boolean().default(true),
  /** The 三调 land-use dataset. */
  landuse: datasetIdSchema.default('landuse'),
  /** The county outlines (admin_boundary) that control lines and conflicts are counted per. */
  boundary: datasetIdSchema.default('county'),
  boundaryCodeField: columnSchema.default('XZQDM'),
  boundaryNameField: columnSchema.default('XZQMC'),
  /** Land-use parcels are counted in the county of the first six characters of this field. */
  landuseCountyField: columnSchema.default('ZLDWDM'),
  classField: columnSchema.default('DLBM'),
  /** The three control lines, each the union of the listed datasets' live versions. */
  redLine: z.array(datasetIdSchema).default([]),
  basicFarmland: z.array(datasetIdSchema).default([]),
  developmentBoundary: z.array(datasetIdSchema).default([]),
  /** The derived dataset the conflicts are published as. */
  conflictsDataset: datasetIdSchema.default('conflicts'),
  checks: z.array(z.enum(conflictTypes)).default([...conflictTypes]),
  /** Land-use classes counted as built-up land (建设用地): level-1 classes 05–10 by default. */
  builtUpClasses: z.array(classPrefixSchema).min(1).default(['05', '06', '07', '08', '09', '10']),
  /** Land-use classes counted as farmland (耕地). */
  farmlandClasses: z.array(classPrefixSchema).min(1).default(['01']),
  /**
   * Overlays snap-round to this grid (metres, in the Gauss-Kruger plane): deliveries state
   * millimetres, so a piece thinner than that is rounding, not data.
   */
  overlayGridM: z.number().min(1e-9).max(0.1).default(0.001),
  /** Conflict pieces smaller than this are flagged as slivers (and counted apart), never dropped. */
  sliverAreaM2: z.number().min(0).default(1),
  /** ellipsoid: on the CGCS2000 ellipsoid, as 三调 areas (TBMJ); gauss_kruger: in the 3° zone of the piece. */
  areaMethod: z.enum(areaMethods).default('ellipsoid'),
  /** Datasets whose successive versions are compared after each publish. */
  comparisons: z.array(comparisonSchema).default([]),
});

export type AnalysisConfig = z.output<typeof analysisSchema>;
export type ComparisonConfig = AnalysisConfig['comparisons'][number];

interface ReferencedDatasets {
  readonly analysis: AnalysisConfig;
  readonly datasets: readonly { readonly id: string; readonly source?: unknown }[];
}

/**
 * Cross-checks `analysis` against `datasets` (called from the configuration's superRefine): a
 * derived dataset must not be imported, and a comparison of a declared dataset needs a declared
 * target. Control lines naming undeclared datasets are not errors here, so that a configuration
 * replacing the datasets may keep the default analysis: the analysis skips their checks, names
 * them in its run summary and logs them (undeclaredAnalysisDatasets).
 */
export function checkAnalysisReferences({ analysis, datasets }: ReferencedDatasets, ctx: z.RefinementCtx): void {
  const declared = new Map(datasets.map((dataset) => [dataset.id, dataset]));
  const known = [...declared.keys()].join(', ') || 'none';
  const requireUnimported = (id: string, path: (string | number)[]) => {
    if (declared.get(id)?.source !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['analysis', ...path], message: `dataset "${id}" is derived by the analysis and must have no source` });
    }
  };
  requireUnimported(analysis.conflictsDataset, ['conflictsDataset']);
  analysis.comparisons.forEach((comparison, i) => {
    const path = ['analysis', 'comparisons', i, 'target'];
    if (comparison.target === comparison.dataset) ctx.addIssue({ code: 'custom', path, message: 'must differ from the compared dataset' });
    else if (declared.has(comparison.dataset) && !declared.has(comparison.target)) {
      ctx.addIssue({ code: 'custom', path, message: `unknown dataset "${comparison.target}" (declared: ${known})` });
    } else requireUnimported(comparison.target, ['comparisons', i, 'target']);
  });
}

/** Datasets the analysis names that the configuration does not declare, as `analysis.redLine[0]: "x"`. */
export function undeclaredAnalysisDatasets({ analysis, datasets }: ReferencedDatasets): string[] {
  const declared = new Set(datasets.map((dataset) => dataset.id));
  const named: [string, string][] = [
    ['analysis.landuse', analysis.landuse],
    ['analysis.boundary', analysis.boundary],
    ...(['redLine', 'basicFarmland', 'developmentBoundary'] as const).flatMap((role) => analysis[role].map((id, i): [string, string] => [`analysis.${role}[${i}]`, id])),
    ...analysis.comparisons.map((comparison, i): [string, string] => [`analysis.comparisons[${i}].dataset`, comparison.dataset]),
  ];
  return named.filter(([, id]) => !declared.has(id)).map(([path, id]) => `${path}: "${id}"`);
}
