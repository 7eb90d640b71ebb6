import { auroc } from '@chromflow/core';

/** Mean of per-row (per-cell) AUROCs of a row-major rows × cols matrix, skipping rows with one class only. */
export function meanRowAuroc(
  scores: Float64Array,
  labels: Uint8Array,
  nRows: number,
  nCols: number,
  rowFilter: (r: number) => boolean,
  colFilter: (c: number) => boolean,
): number {
  let sum = 0;
  let n = 0;
  for (let r = 0; r < nRows; r++) {
    if (!rowFilter(r)) continue;
    const a = auroc(
      scores.subarray(r * nCols, (r + 1) * nCols),
      labels.subarray(r * nCols, (r + 1) * nCols),
      colFilter,
    );
    if (!Number.isNaN(a)) {
      sum += a;
      n++;
    }
  }
  return n === 0 ? NaN : sum / n;
}

/** Mean of per-column (per-peak) AUROCs, skipping columns with one class only. */
export function meanColAuroc(
  scores: Float64Array,
  labels: Uint8Array,
  nRows: number,
  nCols: number,
  rowFilter: (r: number) => boolean,
  colFilter: (c: number) => boolean,
): number {
  let sum = 0;
  let n = 0;
  const s = new Float64Array(nRows);
  const l = new Uint8Array(nRows);
  for (let c = 0; c < nCols; c++) {
    if (!colFilter(c)) continue;
    for (let r = 0; r < nRows; r++) {
      s[r] = scores[r * nCols + c]!;
      l[r] = labels[r * nCols + c]!;
    }
    const a = auroc(s, l, rowFilter);
    if (!Number.isNaN(a)) {
      sum += a;
      n++;
    }
  }
  return n === 0 ? NaN : sum / n;
}

/** The AUROC figures of one predictor on one subset of (cell, peak) pairs. */
export interface AurocBounds {
  /** AUROC over all selected (cell, peak) pairs. */
  overall: number;
  /** Mean over selected cells of the AUROC across peaks. */
  perCell: number;
  /** Mean over selected peaks of the AUROC across cells. */
  perPeak: number;
}

/** overall / per-cell / per-peak AUROC of `scores` against `labels` (cells × peaks) on the selected cells and peaks. */
export function aurocBounds(
  scores: Float64Array,
  labels: Uint8Array,
  nCells: number,
  nPeaks: number,
  cellFilter: (c: number) => boolean,
  peakFilter: (p: number) => boolean,
): AurocBounds {
  return {
    overall: auroc(
      scores,
      labels,
      (i) => cellFilter(Math.floor(i / nPeaks)) && peakFilter(i % nPeaks),
    ),
    perCell: meanRowAuroc(scores, labels, nCells, nPeaks, cellFilter, peakFilter),
    perPeak: meanColAuroc(scores, labels, nCells, nPeaks, cellFilter, peakFilter),
  };
}
