import { csrFromSparse, pearson, type SparseMatrix } from '@chromflow/core';
import { randomizedSvd, type SvdOptions } from './randomized-svd.js';

export interface TfIdfOptions {
  /** Replace counts by 1 before TF-IDF (ArchR's iterative LSI binarises). Default true. */
  binarise?: boolean;
  /** Scale factor inside the log. Default 1e4 (Signac and ArchR). */
  scaleFactor?: number;
}

/**
 * TF-IDF of a cells × regions count matrix, the Stuart et al. variant (Signac
 * `RunTFIDF(method = 1)`, ArchR `LSIMethod = 2`):
 * `x' = log(1 + (x / cellTotal) · (nCells / regionTotal) · scaleFactor)`,
 * natural log. Entry order and sparsity are kept.
 */
export function tfIdf(m: SparseMatrix, options: TfIdfOptions = {}): SparseMatrix {
  const binarise = options.binarise ?? true;
  const scale = options.scaleFactor ?? 1e4;
  const x = binarise ? m.values.map((v) => (v > 0 ? 1 : 0)) : m.values;
  const cellTotals = new Float64Array(m.nRows);
  const regionTotals = new Float64Array(m.nCols);
  for (let k = 0; k < x.length; k++) {
    cellTotals[m.rows[k]!]! += x[k]!;
    regionTotals[m.cols[k]!]! += x[k]!;
  }
  const values = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) {
    const ct = cellTotals[m.rows[k]!]!;
    const rt = regionTotals[m.cols[k]!]!;
    values[k] = ct > 0 && rt > 0 ? Math.log1p((x[k]! / ct) * (m.nRows / rt) * scale) : 0;
  }
  return { nRows: m.nRows, nCols: m.nCols, rows: m.rows, cols: m.cols, values };
}

export interface LsiOptions extends TfIdfOptions, SvdOptions {
  /** Components. Default 30 (at most the smaller matrix dimension). */
  components?: number;
}

/** The LSI embedding of the cells. */
export interface LsiResult {
  /** nCells × k, row-major: U · diag(s) (ArchR's `matSVD`). */
  embedding: Float64Array;
  k: number;
  singularValues: Float64Array;
  /** Pearson correlation of each component with log10 of the cell's total count (sequencing depth). */
  depthCorrelations: Float64Array;
}

/**
 * TF-IDF then randomized truncated SVD: cells are embedded as U·S. The
 * depth correlation of each component is reported because the first LSI
 * component usually tracks depth (ArchR drops components with |r| > 0.75).
 */
export function makeLsi(counts: SparseMatrix, options: LsiOptions = {}): LsiResult {
  const k = Math.min(options.components ?? 30, counts.nRows, counts.nCols);
  const svd = randomizedSvd(csrFromSparse(tfIdf(counts, options)), k, options);
  const embedding = new Float64Array(counts.nRows * k);
  for (let i = 0; i < counts.nRows; i++) {
    for (let c = 0; c < k; c++) embedding[i * k + c] = svd.u[i * k + c]! * svd.s[c]!;
  }
  const depth = new Float64Array(counts.nRows);
  for (let e = 0; e < counts.values.length; e++) depth[counts.rows[e]!]! += counts.values[e]!;
  for (let i = 0; i < depth.length; i++) depth[i] = Math.log10(depth[i]! + 1);
  const depthCorrelations = new Float64Array(k);
  const column = new Float64Array(counts.nRows);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < counts.nRows; i++) column[i] = embedding[i * k + c]!;
    depthCorrelations[c] = pearson(column, depth);
  }
  return { embedding, k, singularValues: svd.s, depthCorrelations };
}
