import { expect } from 'chai';
import { undeclaredAnalysisDatasets } from '../../../core/config/analysis-schema.js';
import { ConfigError } from '../../../core/errors.js';
import { testConfig } from '../../support/test-database.js';

const URL = 'postgres://postgres@127.0.0.1:5432/unused';

type Raw = Record<string, unknown>;
const analysisOf = (raw: Raw) => raw.analysis as Raw;
const datasetsOf = (raw: Raw) => raw.datasets as Raw[];

/** The `analysis` section of the configuration (core/config/analysis-schema.ts). */
describe('the analysis configuration', () => {
  it('is valid as config/default.yaml has it', () => {
    const config = testConfig(URL);
    expect(config.analysis.redLine).to.deep.equal(['stbhhx']);
    expect(config.analysis.comparisons.map((c) => [c.dataset, c.target])).to.deep.equal([['landuse', 'landuse_changes']]);
  });

  it('has a default for every key, so configurations without it stay valid', () => {
    const config = testConfig(URL, (raw) => {
      delete raw.analysis;
    });
    expect(config.analysis).to.deep.include({ enabled: true, landuse: 'landuse', sliverAreaM2: 1, areaMethod: 'ellipsoid', redLine: [] });
    expect(config.analysis.builtUpClasses).to.deep.equal(['05', '06', '07', '08', '09', '10']);
  });

  it('accepts control lines naming undeclared datasets, and names them for the analysis to warn about', () => {
    const config = testConfig(URL, (raw) => {
      analysisOf(raw).redLine = ['stbhhx', 'nope'];
    });
    expect(undeclaredAnalysisDatasets(config)).to.deep.equal(['analysis.redLine[1]: "nope"']);
  });

  it('accepts the default analysis in a configuration that replaces the datasets', () => {
    const config = testConfig(URL, (raw) => {
      raw.datasets = [{ id: 'plans', title: 'plans', kind: 'planning_zone' }];
      raw.tilesets = [];
    });
    expect(undeclaredAnalysisDatasets(config)).to.include('analysis.landuse: "landuse"');
  });

  const refusals: [string, (raw: Raw) => void, RegExp][] = [
    ['a conflicts dataset with a source', (raw) => {
      datasetsOf(raw).find((d) => d.id === 'conflicts')!.source = { path: 'x' };
    }, /analysis\.conflictsDataset: dataset "conflicts" is derived by the analysis and must have no source/],
    ['a comparison into an undeclared dataset', (raw) => { analysisOf(raw).comparisons = [{ dataset: 'landuse', target: 'nope' }]; }, /analysis\.comparisons\[0\]\.target: unknown dataset "nope"/],
    ['a comparison into the compared dataset', (raw) => { analysisOf(raw).comparisons = [{ dataset: 'landuse', target: 'landuse' }]; }, /analysis\.comparisons\[0\]\.target: must differ/],
    ['an unknown check', (raw) => { analysisOf(raw).checks = ['red_line_everything']; }, /analysis\.checks\[0\]/],
    ['a class that is not a 三调 code', (raw) => { analysisOf(raw).builtUpClasses = ['5']; }, /analysis\.builtUpClasses\[0\]: must be a 三调 class code/],
    ['a negative sliver size', (raw) => { analysisOf(raw).sliverAreaM2 = -1; }, /analysis\.sliverAreaM2/],
    ['an unknown area method', (raw) => { analysisOf(raw).areaMethod = 'sphere'; }, /analysis\.areaMethod/],
    ['an unknown key', (raw) => { analysisOf(raw).sliverAreaMM = 1; }, /analysis\.sliverAreaMM: unknown key/],
  ];
  for (const [what, adjust, message] of refusals) {
    it(`refuses ${what}, naming the key`, () => {
      expect(() => testConfig(URL, adjust)).to.throw(ConfigError, message);
    });
  }
});
