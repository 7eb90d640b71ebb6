import { ChromflowError, type CsrMatrix } from '@chromflow/core';

/** Per-cell totals (sum of counts) and detected genes (non-zero entries) of a cells × genes CSR. */
export function computeCellTotals(X: CsrMatrix): { totals: Float64Array; nGenes: Int32Array } {
  const totals = new Float64Array(X.nRows);
  const nGenes = new Int32Array(X.nRows);
  for (let r = 0; r < X.nRows; r++) {
    let s = 0;
    let n = 0;
    for (let p = X.indptr[r]!; p < X.indptr[r + 1]!; p++) {
      const v = X.values[p]!;
      s += v;
      if (v !== 0) n++;
    }
    totals[r] = s;
    nGenes[r] = n;
  }
  return { totals, nGenes };
}

/** Median of the strictly positive values (scanpy's `normalize_total(target_sum=None)` target). */
export function medianOfPositive(values: ArrayLike<number>): number {
  const pos = Float64Array.from(
    Array.prototype.filter.call(values, (v: number) => v > 0) as number[],
  );
  if (pos.length === 0) return 0;
  pos.sort();
  const h = pos.length >> 1;
  return pos.length % 2 === 1 ? pos[h]! : (pos[h - 1]! + pos[h]!) / 2;
}

export interface NormaliseOptions {
  /**
   * Counts per cell after scaling: a number (1e4, scanpy tutorials' choice and
   * our default) or `'median'` (the median total over cells with counts,
   * scanpy's `target_sum=None`).
   */
  targetSum?: number | 'median';
  /** Apply log1p after scaling (default true). */
  log1p?: boolean;
}

export interface NormaliseResult {
  /** Normalised (and log1p'd) matrix, same sparsity as the input. */
  X: CsrMatrix;
  /** Counts per cell before normalisation. */
  totals: Float64Array;
  /** Non-zero genes per cell. */
  nGenes: Int32Array;
  /** The target sum actually used. */
  targetSum: number;
}

/**
 * scanpy `normalize_total` + `log1p`: each cell's counts are scaled to sum to
 * `targetSum` (cells with zero total stay zero), then x ↦ ln(1 + x). Computed
 * in float64, stored as float32 like scanpy's default.
 */
export function normaliseTotalLog1p(X: CsrMatrix, options: NormaliseOptions = {}): NormaliseResult {
  const { totals, nGenes } = computeCellTotals(X);
  const t = options.targetSum ?? 1e4;
  const targetSum = t === 'median' ? medianOfPositive(totals) : t;
  if (!(targetSum > 0)) {
    throw new ChromflowError('PARAM', 'the target sum must be positive', {
      field: 'target_sum',
      found: String(targetSum),
    });
  }
  const values = new Float32Array(X.values.length);
  const log = options.log1p ?? true;
  for (let r = 0; r < X.nRows; r++) {
    const tot = totals[r]!;
    const scale = tot > 0 ? targetSum / tot : 0;
    for (let p = X.indptr[r]!; p < X.indptr[r + 1]!; p++) {
      const v = X.values[p]! * scale;
      values[p] = log ? Math.log1p(v) : v;
    }
  }
  return {
    X: { nRows: X.nRows, nCols: X.nCols, indptr: X.indptr, indices: X.indices, values },
    totals,
    nGenes,
    targetSum,
  };
}

/** Column means and variances (ddof = 1) of a CSR matrix, counting implicit zeros. */
export function computeColumnMoments(X: CsrMatrix): {
  means: Float64Array;
  variances: Float64Array;
} {
  const sum = new Float64Array(X.nCols);
  const sq = new Float64Array(X.nCols);
  for (let p = 0; p < X.indices.length; p++) {
    const c = X.indices[p]!;
    const v = X.values[p]!;
    sum[c]! += v;
    sq[c]! += v * v;
  }
  const n = X.nRows;
  const means = new Float64Array(X.nCols);
  const variances = new Float64Array(X.nCols);
  for (let c = 0; c < X.nCols; c++) {
    const m = sum[c]! / n;
    means[c] = m;
    variances[c] = n > 1 ? Math.max(0, (sq[c]! - n * m * m) / (n - 1)) : 0;
  }
  return { means, variances };
}

/** The columns `keep` (ascending gene indices) of a CSR matrix, re-indexed 0..keep.length-1. */
export function selectColumns(X: CsrMatrix, keep: Int32Array): CsrMatrix {
  const map = new Int32Array(X.nCols).fill(-1);
  keep.forEach((c, i) => (map[c] = i));
  const indptr = new Int32Array(X.nRows + 1);
  let nnz = 0;
  for (let p = 0; p < X.indices.length; p++) if (map[X.indices[p]!]! >= 0) nnz++;
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let k = 0;
  for (let r = 0; r < X.nRows; r++) {
    for (let p = X.indptr[r]!; p < X.indptr[r + 1]!; p++) {
      const m = map[X.indices[p]!]!;
      if (m >= 0) {
        indices[k] = m;
        values[k++] = X.values[p]!;
      }
    }
    indptr[r + 1] = k;
  }
  return { nRows: X.nRows, nCols: keep.length, indptr, indices, values };
}
