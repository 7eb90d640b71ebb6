import { pearson } from '@chromflow/core';

/**
 * Pearson's r of each column (gene) of two row-major n × g matrices (cells ×
 * genes: imputed vs observed), across cells; NaN where either column is
 * constant (e.g. a gene never detected in the held-out cells, or a constant
 * prediction such as the mean-expression baseline).
 */
export function perGenePearson(
  predicted: ArrayLike<number>,
  observed: ArrayLike<number>,
  n: number,
  g: number,
): Float64Array {
  const out = new Float64Array(g);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let j = 0; j < g; j++) {
    for (let i = 0; i < n; i++) {
      x[i] = predicted[i * g + j]!;
      y[i] = observed[i * g + j]!;
    }
    out[j] = pearson(x, y);
  }
  return out;
}

/** Mean and median of the finite values, and how many there were. */
export function finiteSummary(values: ArrayLike<number>): {
  mean: number;
  median: number;
  count: number;
} {
  const v = Float64Array.from(Array.prototype.filter.call(values, Number.isFinite) as number[]);
  if (v.length === 0) return { mean: NaN, median: NaN, count: 0 };
  v.sort();
  const h = v.length >> 1;
  return {
    mean: v.reduce((a, b) => a + b, 0) / v.length,
    median: v.length % 2 === 1 ? v[h]! : (v[h - 1]! + v[h]!) / 2,
    count: v.length,
  };
}
