import { describe, expect, it } from 'vitest';
import { bedGraphFromCoverage, cpmScale, type GroupCoverage } from '../src/coverage.js';

// Issue 17 minor: bedGraph tracks also CPM-normalised. Hand-derived: runs
// chr1 [0,2)=0, [2,5)=2, [5,6)=4 hold 3·2 + 1·4 = 10 insertions, so CPM = count · 1e5.
describe('CPM-normalised bedGraph', () => {
  const cov: GroupCoverage = {
    group: 'B',
    nCells: 2,
    chroms: [{ chrom: 'chr1', lengths: Int32Array.of(2, 3, 1), values: Int32Array.of(0, 2, 4) }],
  };

  it('scales each run by 1e6 / total insertions', () => {
    expect(cpmScale(cov)).toBe(1e5);
    expect(bedGraphFromCoverage(cov, 'B CPM', cpmScale(cov))).toBe(
      'track type=bedGraph name="B CPM"\nchr1\t2\t5\t200000\nchr1\t5\t6\t400000\n',
    );
  });

  it('leaves raw tracks as integer counts, and an empty group at 0', () => {
    expect(bedGraphFromCoverage(cov)).toBe('chr1\t2\t5\t2\nchr1\t5\t6\t4\n');
    expect(cpmScale({ group: 'E', nCells: 0, chroms: [] })).toBe(0);
  });
});
