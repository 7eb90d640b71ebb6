import { pearson } from '@chromflow/core';

/** Pearson, Spearman (average ranks for ties) and R² (1 − SS_res/SS_tot of y about its mean), as scipy/sklearn define them. */
function ranks(x: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const r = new Float64Array(x.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]!] === x[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(ranks(x), ranks(y));
}

/** sklearn `r2_score(y_true=y, y_pred=x)`. */
export function r2(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let my = 0;
  for (let i = 0; i < y.length; i++) my += y[i]!;
  my /= y.length;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < y.length; i++) {
    res += (y[i]! - x[i]!) ** 2;
    tot += (y[i]! - my) ** 2;
  }
  return tot > 0 ? 1 - res / tot : NaN;
}

export interface AgreementMetrics {
  n: number;
  pearson: number;
  spearman: number;
  r2: number;
}

export function agreement(
  predicted: ArrayLike<number>,
  observed: ArrayLike<number>,
): AgreementMetrics {
  return {
    n: predicted.length,
    pearson: pearson(predicted, observed),
    spearman: spearman(predicted, observed),
    r2: r2(predicted, observed),
  };
}
