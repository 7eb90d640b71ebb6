import { ChromflowError, type SparseMatrix } from '@chromflow/core';

/** Group × region sums of a cells × regions matrix, dense, row-major. */
export interface PseudobulkCounts {
  /** Group names, sorted. */
  groups: string[];
  nRegions: number;
  /** `counts[g * nRegions + j]` = sum over the cells of group g of their value in region j. */
  counts: Float64Array;
  /** Cells per group. */
  nCells: Int32Array;
}

/**
 * Sums the rows of `matrix` by label. `labels[r]` is row r's group; rows with
 * an empty or undefined label are left out. Groups come out sorted by name.
 */
export function sumByGroup(
  matrix: SparseMatrix,
  labels: readonly (string | null | undefined)[],
): PseudobulkCounts {
  if (labels.length !== matrix.nRows) {
    throw new ChromflowError('VALUE', 'one label per matrix row is needed', {
      field: 'label',
      expected: `${matrix.nRows} labels`,
      found: `${labels.length}`,
    });
  }
  const groups = [...new Set(labels.filter((l): l is string => !!l))].sort();
  const groupOf = new Map(groups.map((g, i) => [g, i]));
  const rowGroup = Int32Array.from(labels, (l) => (l ? groupOf.get(l)! : -1));
  const nCells = new Int32Array(groups.length);
  for (const g of rowGroup) if (g >= 0) nCells[g]!++;
  const n = matrix.nCols;
  const counts = new Float64Array(groups.length * n);
  for (let k = 0; k < matrix.rows.length; k++) {
    const g = rowGroup[matrix.rows[k]!]!;
    if (g >= 0) counts[g * n + matrix.cols[k]!]! += matrix.values[k]!;
  }
  return { groups, nRegions: n, counts, nCells };
}

/** Per group × region normalised values, same layout as `PseudobulkCounts.counts`. */
export interface PseudobulkScores {
  /** Counts per million of the group's total. */
  cpm: Float64Array;
  /**
   * GET's accessibility: `log10(count / total × 1e5 + 1)`, divided by its
   * maximum over the group's regions (so each group's top region is 1).
   */
  accessibility: Float64Array;
  /** Binarised accessibility: `count >= minCount`. */
  accessible: Uint8Array;
}

/** CPM, GET's accessibility score and its binarisation for each group. */
export function scorePseudobulk(p: PseudobulkCounts, minCount = 1): PseudobulkScores {
  const n = p.nRegions;
  const cpm = new Float64Array(p.counts.length);
  const accessibility = new Float64Array(p.counts.length);
  const accessible = new Uint8Array(p.counts.length);
  for (let g = 0; g < p.groups.length; g++) {
    let total = 0;
    for (let j = 0; j < n; j++) total += p.counts[g * n + j]!;
    let max = 0;
    for (let j = 0; j < n; j++) {
      const c = p.counts[g * n + j]!;
      cpm[g * n + j] = total > 0 ? (c / total) * 1e6 : 0;
      const a = total > 0 ? Math.log10((c / total) * 1e5 + 1) : 0;
      accessibility[g * n + j] = a;
      if (a > max) max = a;
      accessible[g * n + j] = c >= minCount ? 1 : 0;
    }
    if (max > 0) for (let j = 0; j < n; j++) accessibility[g * n + j]! /= max;
  }
  return { cpm, accessibility, accessible };
}
