/**
 * Ridge regression for the evaluation scripts' baselines: solves
 * (XᵀX + λ·I′) w = Xᵀy where the last column of X is the intercept (not
 * penalised), by Gaussian elimination with partial pivoting.
 */
export function ridge(
  rows: Iterable<ArrayLike<number>>,
  targets: Iterable<number>,
  nFeatures: number,
  lambda: number,
): Float64Array {
  const d = nFeatures + 1;
  const m = new Float64Array(d * d);
  const b = new Float64Array(d);
  const ys = targets[Symbol.iterator]();
  for (const row of rows) {
    const y = ys.next().value as number;
    for (let i = 0; i < d; i++) {
      const xi = i < nFeatures ? row[i]! : 1;
      b[i]! += xi * y;
      for (let j = 0; j < d; j++) m[i * d + j]! += xi * (j < nFeatures ? row[j]! : 1);
    }
  }
  for (let i = 0; i < nFeatures; i++) m[i * d + i]! += lambda;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let i = c + 1; i < d; i++) if (Math.abs(m[i * d + c]!) > Math.abs(m[p * d + c]!)) p = i;
    for (let j = 0; j < d; j++) [m[c * d + j], m[p * d + j]] = [m[p * d + j]!, m[c * d + j]!];
    [b[c], b[p]] = [b[p]!, b[c]!];
    for (let i = c + 1; i < d; i++) {
      const f = m[i * d + c]! / (m[c * d + c]! || 1e-12);
      for (let j = c; j < d; j++) m[i * d + j]! -= f * m[c * d + j]!;
      b[i]! -= f * b[c]!;
    }
  }
  const w = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let j = i + 1; j < d; j++) s -= m[i * d + j]! * w[j]!;
    w[i] = s / (m[i * d + i]! || 1e-12);
  }
  return w;
}

/** w·x + intercept (the last weight). */
export function ridgePredict(w: Float64Array, x: ArrayLike<number>): number {
  const n = w.length - 1;
  let s = w[n]!;
  for (let j = 0; j < n; j++) s += w[j]! * x[j]!;
  return s;
}
