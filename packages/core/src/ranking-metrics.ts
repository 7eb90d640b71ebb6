/**
 * Ranking metrics with scikit-learn's definitions — `roc_auc_score` (tied
 * scores count one half, as the Mann–Whitney U does), `roc_curve` and
 * `average_precision_score` (step-wise over distinct thresholds, no
 * interpolation). Labels: non-zero = positive. One threshold walk serves all
 * three, so the area of a drawn ROC curve is the AUROC reported beside it.
 */

/** Indices of the selected entries, by score from the highest down. */
function descendingOrder(scores: ArrayLike<number>, include?: (i: number) => boolean): Uint32Array {
  let n = 0;
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < scores.length; i++) if (!include || include(i)) order[n++] = i;
  return order.subarray(0, n).sort((a, b) => scores[b]! - scores[a]!);
}

/** Calls `step(tp, fp)` with the running counts after each distinct score, highest first. */
function walkThresholds(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  order: Uint32Array,
  step: (dtp: number, dfp: number) => void,
): void {
  for (let i = 0; i < order.length;) {
    const s = scores[order[i]!]!;
    let dtp = 0;
    let dfp = 0;
    for (; i < order.length && scores[order[i]!] === s; i++) {
      if (labels[order[i]!]) dtp++;
      else dfp++;
    }
    step(dtp, dfp);
  }
}

/** Area under the ROC curve of the entries `include` selects (all by default); NaN when one class is absent. */
export function auroc(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  include?: (i: number) => boolean,
): number {
  const order = descendingOrder(scores, include);
  let tp = 0;
  let fp = 0;
  let area = 0;
  walkThresholds(scores, labels, order, (dtp, dfp) => {
    area += dfp * (tp + dtp / 2);
    tp += dtp;
    fp += dfp;
  });
  return tp === 0 || fp === 0 ? NaN : area / (tp * fp);
}

/** Average precision (area under the precision–recall step curve); NaN without positives. */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) positives++;
  if (positives === 0) return NaN;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  walkThresholds(scores, labels, descendingOrder(scores), (dtp, dfp) => {
    tp += dtp;
    fp += dfp;
    if (dtp > 0) ap += (dtp / positives) * (tp / (tp + fp));
  });
  return ap;
}

/** Points of a receiver operating characteristic curve and the area under it. */
export interface RocCurve {
  /** False-positive rates, from 0 to 1, one point per distinct score (plus the origin). */
  fpr: Float64Array;
  /** True-positive rates at the same thresholds. */
  tpr: Float64Array;
  /** Trapezoidal area under the curve (= `auroc`); NaN without both classes. */
  auc: number;
}

/** The ROC curve: a point per distinct score from the highest down; tied scores move it diagonally. */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocCurve {
  const order = descendingOrder(scores);
  const tps = [0];
  const fps = [0];
  walkThresholds(scores, labels, order, (dtp, dfp) => {
    tps.push(tps[tps.length - 1]! + dtp);
    fps.push(fps[fps.length - 1]! + dfp);
  });
  const positives = tps[tps.length - 1]!;
  const negatives = fps[fps.length - 1]!;
  return {
    fpr: Float64Array.from(fps, (f) => (negatives > 0 ? f / negatives : NaN)),
    tpr: Float64Array.from(tps, (t) => (positives > 0 ? t / positives : NaN)),
    auc: auroc(scores, labels),
  };
}
