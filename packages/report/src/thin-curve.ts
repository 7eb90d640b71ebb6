/** Points of a receiver operating characteristic curve and the area under it. */
export interface RocCurve {
  /** False-positive rates, from 0 to 1, one point per distinct score (plus the origin). */
  fpr: Float64Array;
  /** True-positive rates at the same thresholds. */
  tpr: Float64Array;
  /** Trapezoidal area under the curve; ties count one half, as the Mann–Whitney U does. */
  auc: number;
}

/**
 * The ROC curve of `scores` against binary `labels` (non-zero = positive):
 * thresholds at every distinct score, from the highest down; tied scores move
 * the curve diagonally. Undefined (NaN area) without both classes.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocCurve {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number),
  );
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i]) positives += 1;
  const negatives = n - positives;
  const fpr = [0];
  const tpr = [0];
  let tp = 0;
  let fp = 0;
  let area = 0;
  for (let i = 0; i < n;) {
    const s = scores[order[i]!] as number;
    let dtp = 0;
    let dfp = 0;
    for (; i < n && scores[order[i]!] === s; i++) {
      if (labels[order[i]!]) dtp += 1;
      else dfp += 1;
    }
    area += dfp * (tp + dtp / 2);
    tp += dtp;
    fp += dfp;
    fpr.push(negatives > 0 ? fp / negatives : NaN);
    tpr.push(positives > 0 ? tp / positives : NaN);
  }
  return {
    fpr: Float64Array.from(fpr),
    tpr: Float64Array.from(tpr),
    auc: positives > 0 && negatives > 0 ? area / (positives * negatives) : NaN,
  };
}

/**
 * At most `maxPoints` points of a curve (always keeping both ends), so a
 * figure of a million-entry block stays small; the shape is unchanged at
 * screen resolution.
 */
export function thinCurve(curve: RocCurve, maxPoints = 400): { fpr: number[]; tpr: number[] } {
  const n = curve.fpr.length;
  if (n <= maxPoints) return { fpr: Array.from(curve.fpr), tpr: Array.from(curve.tpr) };
  const fpr: number[] = [];
  const tpr: number[] = [];
  for (let k = 0; k < maxPoints; k++) {
    const i = Math.round((k * (n - 1)) / (maxPoints - 1));
    fpr.push(curve.fpr[i]!);
    tpr.push(curve.tpr[i]!);
  }
  return { fpr, tpr };
}
