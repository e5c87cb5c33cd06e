import { expect } from 'chai';
import { fileEta } from '../../../pipeline/cli/file-eta.js';
import { bytesIntoFile } from '../../../pipeline/jobs/delivery-bytes.js';

describe('import progress within a file (pipeline/cli/file-eta, pipeline/jobs/delivery-bytes)', () => {
  describe('fileEta', () => {
    it('projects the rest of the file at the rate read so far', () => {
      // 1,000 of 4,000 features in 10 s: 3,000 more take 30 s.
      expect(fileEta(1000, 4000, 10)).to.equal(' | ETA 30s');
      expect(fileEta(100, 10_000, 1)).to.equal(' | ETA 1m39s');
    });

    it('says nothing when the file does not say how many features it holds, or nothing is read yet', () => {
      expect(fileEta(1000, null, 10)).to.equal('');
      expect(fileEta(0, 4000, 10)).to.equal('');
      expect(fileEta(1000, 4000, 0)).to.equal('');
    });

    it('says nothing once the count is reached (a Shapefile counts its deleted records too)', () => {
      expect(fileEta(4000, 4000, 10)).to.equal('');
      expect(fileEta(4100, 4000, 10)).to.equal('');
    });
  });

  describe('bytesIntoFile', () => {
    it('counts the share of the file read as the share of its bytes', () => {
      expect(bytesIntoFile(1_000_000, { phase: 'read', features: 250, fileFeatures: 1000 })).to.equal(250_000);
    });

    it('never passes the file size, and counts nothing without a feature count or outside reading', () => {
      expect(bytesIntoFile(1_000_000, { phase: 'read', features: 1200, fileFeatures: 1000 })).to.equal(1_000_000);
      expect(bytesIntoFile(1_000_000, { phase: 'read', features: 250, fileFeatures: null })).to.equal(0);
      expect(bytesIntoFile(1_000_000, { phase: 'prepare', features: 250, fileFeatures: 1000 })).to.equal(0);
      expect(bytesIntoFile(undefined, { phase: 'read', features: 250, fileFeatures: 1000 })).to.equal(0);
    });
  });
});
