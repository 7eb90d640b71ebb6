/**
 * Ranking metrics with scikit-learn's definitions: `roc_auc_score` (ties
 * count one half) and `average_precision_score` (step-wise AP over distinct
 * score thresholds, no interpolation). Labels are 0/1.
 */

function sortedOrder(scores: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number));
  return order;
}

function countPositives(labels: ArrayLike<number>): number {
  let p = 0;
  for (let i = 0; i < labels.length; i++) if ((labels[i] as number) > 0) p++;
  return p;
}

/** Area under the ROC curve; NaN when one class is absent. */
export function computeAuroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const pos = countPositives(labels);
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  const order = sortedOrder(scores);
  // Walk thresholds from high to low; trapezoids between distinct scores.
  let tp = 0;
  let area = 0;
  let i = 0;
  while (i < n) {
    const s = scores[order[i] as number] as number;
    let dtp = 0;
    let dfp = 0;
    while (i < n && scores[order[i] as number] === s) {
      if ((labels[order[i] as number] as number) > 0) dtp++;
      else dfp++;
      i++;
    }
    area += dfp * (tp + dtp / 2);
    tp += dtp;
  }
  return area / (pos * neg);
}

/** Average precision (area under the precision–recall step curve); NaN without positives. */
export function computeAuprc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const pos = countPositives(labels);
  if (pos === 0) return NaN;
  const order = sortedOrder(scores);
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let i = 0;
  while (i < n) {
    const s = scores[order[i] as number] as number;
    let dtp = 0;
    while (i < n && scores[order[i] as number] === s) {
      if ((labels[order[i] as number] as number) > 0) dtp++;
      else fp++;
      i++;
    }
    tp += dtp;
    if (dtp > 0) ap += (dtp / pos) * (tp / (tp + fp));
  }
  return ap;
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
      cellRoc.push(computeAuroc(ps, ls));
      cellPr.push(computeAuprc(ps, ls));
    }
  }
  const peakRoc: number[] = [];
  const peakPr: number[] = [];
  for (let p = 0; p < nPeaks; p++) {
    const s = probabilities.subarray(p * nCells, (p + 1) * nCells);
    const l = labels.subarray(p * nCells, (p + 1) * nCells);
    const pos = countPositives(l);
    if (pos > 0 && pos < nCells) {
      peakRoc.push(computeAuroc(s, l));
      peakPr.push(computeAuprc(s, l));
    }
  }
  return {
    auroc: computeAuroc(probabilities, labels),
    auprc: computeAuprc(probabilities, labels),
    perCellAuroc: meanOf(cellRoc),
    perCellAuprc: meanOf(cellPr),
    perPeakAuroc: meanOf(peakRoc),
    perPeakAuprc: meanOf(peakPr),
    nCells,
    nPeaks,
    positiveRate: countPositives(labels) / labels.length,
  };
}
