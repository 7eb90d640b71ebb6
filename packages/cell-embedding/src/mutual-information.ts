import { ChromflowError } from '@chromflow/core';

/**
 * Information-theoretic agreement of two labelings of the same items, as
 * scikit-learn computes them (natural logarithms): adjusted mutual
 * information (Vinh, Epps & Bailey 2010, arithmetic-mean normaliser; sklearn's
 * `adjusted_mutual_info_score`) and homogeneity (Rosenberg & Hirschberg
 * 2007; sklearn's `homogeneity_score`).
 */

interface Contingency {
  n: number;
  /** Items per label of `a` (rows) and of `b` (columns). */
  rows: number[];
  cols: number[];
  /** Non-zero cells: row index, column index, count. */
  cells: [number, number, number][];
}

function contingency(
  a: readonly (string | number)[],
  b: readonly (string | number)[],
): Contingency {
  if (a.length !== b.length) {
    throw new ChromflowError('VALUE', 'the two labelings have different lengths', {
      expected: `${a.length} labels`,
      found: `${b.length}`,
    });
  }
  const ids = (x: readonly (string | number)[]): { of: number[]; sizes: number[] } => {
    const index = new Map<string, number>();
    const sizes: number[] = [];
    const of = x.map((v) => {
      const key = `${typeof v}:${String(v)}`;
      let i = index.get(key);
      if (i === undefined) {
        i = sizes.length;
        index.set(key, i);
        sizes.push(0);
      }
      sizes[i]!++;
      return i;
    });
    return { of, sizes };
  };
  const ra = ids(a);
  const rb = ids(b);
  const joint = new Map<number, number>();
  const nb = rb.sizes.length;
  for (let i = 0; i < a.length; i++) {
    const k = ra.of[i]! * nb + rb.of[i]!;
    joint.set(k, (joint.get(k) ?? 0) + 1);
  }
  const cells: [number, number, number][] = [];
  for (const [k, v] of joint) cells.push([Math.floor(k / nb), k % nb, v]);
  return { n: a.length, rows: ra.sizes, cols: rb.sizes, cells };
}

function entropy(sizes: readonly number[], n: number): number {
  let h = 0;
  for (const s of sizes) if (s > 0) h -= (s / n) * Math.log(s / n);
  return h;
}

function mutualInformation(c: Contingency): number {
  let mi = 0;
  for (const [i, j, v] of c.cells)
    mi += (v / c.n) * Math.log((c.n * v) / (c.rows[i]! * c.cols[j]!));
  return Math.max(mi, 0);
}

/** Expected mutual information of two random labelings with these label sizes (hypergeometric model). */
function expectedMutualInformation(c: Contingency): number {
  const n = c.n;
  // ln k! for k = 0…n, summed as logs so large n stays exact to rounding.
  const lf = new Float64Array(n + 1);
  for (let k = 2; k <= n; k++) lf[k] = lf[k - 1]! + Math.log(k);
  let emi = 0;
  for (const a of c.rows) {
    for (const b of c.cols) {
      const start = Math.max(1, a + b - n);
      const end = Math.min(a, b);
      const common = lf[a]! + lf[b]! + lf[n - a]! + lf[n - b]! - lf[n]!;
      for (let k = start; k <= end; k++) {
        const p = Math.exp(common - lf[k]! - lf[a - k]! - lf[b - k]! - lf[n - a - b + k]!);
        emi += (k / n) * Math.log((n * k) / (a * b)) * p;
      }
    }
  }
  return emi;
}

/**
 * Adjusted mutual information of labelings `a` and `b`: (MI − E[MI]) /
 * (mean(H(a), H(b)) − E[MI]); 1 for identical partitions up to renaming,
 * about 0 for independent ones. Both with a single label (or no items) give 1.
 */
export function adjustedMutualInformation(
  a: readonly (string | number)[],
  b: readonly (string | number)[],
): number {
  const c = contingency(a, b);
  if ((c.rows.length === 1 && c.cols.length === 1) || (c.rows.length === 0 && c.cols.length === 0))
    return 1;
  const mi = mutualInformation(c);
  const emi = expectedMutualInformation(c);
  const norm = (entropy(c.rows, c.n) + entropy(c.cols, c.n)) / 2;
  let denominator = norm - emi;
  // sklearn's guard against a zero denominator, keeping its sign.
  const eps = Number.EPSILON;
  denominator = denominator < 0 ? Math.min(denominator, -eps) : Math.max(denominator, eps);
  return (mi - emi) / denominator;
}

/**
 * Homogeneity of clusters `predicted` with respect to classes `truth`:
 * 1 − H(truth | predicted) / H(truth) = MI / H(truth); 1 when every cluster
 * holds a single class (and when there is one class or no item).
 */
export function homogeneity(
  truth: readonly (string | number)[],
  predicted: readonly (string | number)[],
): number {
  const c = contingency(truth, predicted);
  const h = entropy(c.rows, c.n);
  return h === 0 ? 1 : mutualInformation(c) / h;
}
