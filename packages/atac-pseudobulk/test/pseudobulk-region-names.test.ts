import { describe, expect, it } from 'vitest';
import { scorePseudobulk, sumByGroup } from '../src/pseudobulk.js';
import { pseudobulkToTable } from '../src/tables.js';

// Issue 17 minor: the pseudobulk table carried only the region's row number;
// it now carries the region's name, so a reader joins by name.
describe('pseudobulk table region names', () => {
  // 3 cells × 2 regions: cell0 (A) [1, 0], cell1 (B) [2, 3], cell2 (A) [0, 4].
  const matrix = {
    nRows: 3,
    nCols: 2,
    rows: Int32Array.of(0, 1, 1, 2),
    cols: Int32Array.of(0, 0, 1, 1),
    values: Float32Array.of(1, 2, 3, 4),
  };
  const sums = sumByGroup(matrix, ['A', 'B', 'A']);

  it('writes region_name beside region, group by group, with the sums by hand', () => {
    const t = pseudobulkToTable(sums, scorePseudobulk(sums), ['chr1:100-200', 'chr2:5-50']);
    const rows = t
      .toArray()
      .map((r: { group: string; region: number; region_name: string; count: number }) => [
        r.group,
        r.region,
        r.region_name,
        r.count,
      ]);
    expect(rows).toEqual([
      ['A', 0, 'chr1:100-200', 1],
      ['A', 1, 'chr2:5-50', 4],
      ['B', 0, 'chr1:100-200', 2],
      ['B', 1, 'chr2:5-50', 3],
    ]);
  });

  it('refuses a name list of the wrong length, naming the field', () => {
    expect(() => pseudobulkToTable(sums, scorePseudobulk(sums), ['only-one'])).toThrow(/region/);
  });
});
