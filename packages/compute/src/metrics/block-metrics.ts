import { auroc, averagePrecision } from '@chromflow/core';

/**
 * XChrom's block metrics: AUROC and average precision (`@chromflow/core`'s
 * ranking metrics, scikit-learn's definitions) overall, per cell and per peak.
 */

function countPositives(labels: ArrayLike<number>): number {
  let p = 0;
  for (let i = 0; i < labels.length; i++) if ((labels[i] as number) > 0) p++;
  return p;
}

/** XChrom's metrics of one block of predictions. */
export interface BlockMetrics {
  /** Over all (cell, peak) entries. */
  auroc: number;
  auprc: number;
  /** Mean over cells whose row has both classes. */
  perCellAuroc: number;
  perCellAuprc: number;
  /** Mean over peaks whose column has both classes. */
  perPeakAuroc: number;
  perPeakAuprc: number;
  nCells: number;
  nPeaks: number;
  positiveRate: number;
}

/**
 * Metrics of a block stored row-major as peaks × cells (`nPeaks` rows of
 * `nCells`): `probabilities` and 0/1 `labels` of the same layout.
 */
export function computeBlockMetrics(
  probabilities: Float32Array,
  labels: Uint8Array,
  nPeaks: number,
  nCells: number,
): BlockMetrics {
  if (probabilities.length !== nPeaks * nCells || labels.length !== nPeaks * nCells) {
    throw new RangeError('probabilities and labels must both hold nPeaks × nCells entries');
  }
  const meanOf = (xs: number[]): number =>
    xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
  const cellRoc: number[] = [];
  const cellPr: number[] = [];
  const ps = new Float32Array(nPeaks);
  const ls = new Uint8Array(nPeaks);
  for (let c = 0; c < nCells; c++) {
    for (let p = 0; p < nPeaks; p++) {
      ps[p] = probabilities[p * nCells + c] as number;
      ls[p] = labels[p * nCells + c] as number;
    }
    const pos = countPositives(ls);
    if (pos > 0 && pos < nPeaks) {
      cellRoc.push(auroc(ps, ls));
      cellPr.push(averagePrecision(ps, ls));
    }
  }
  const peakRoc: number[] = [];
  const peakPr: number[] = [];
  for (let p = 0; p < nPeaks; p++) {
    const s = probabilities.subarray(p * nCells, (p + 1) * nCells);
    const l = labels.subarray(p * nCells, (p + 1) * nCells);
    const pos = countPositives(l);
    if (pos > 0 && pos < nCells) {
      peakRoc.push(auroc(s, l));
      peakPr.push(averagePrecision(s, l));
    }
  }
  return {
    auroc: auroc(probabilities, labels),
    auprc: averagePrecision(probabilities, labels),
    perCellAuroc: meanOf(cellRoc),
    perCellAuprc: meanOf(cellPr),
    perPeakAuroc: meanOf(peakRoc),
    perPeakAuprc: meanOf(peakPr),
    nCells,
    nPeaks,
    positiveRate: countPositives(labels) / labels.length,
  };
}
