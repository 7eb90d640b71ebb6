import { ChromflowError, SeededRandom } from '@chromflow/core';

/** A k-means partition: cluster of each row and the within-cluster sum of squares. */
export interface KMeansResult {
  labels: Int32Array;
  /** Row-major k × d. */
  centers: Float64Array;
  inertia: number;
}

export interface KMeansOptions {
  /** Independent k-means++ starts; the lowest inertia wins (scikit-learn's `n_init`, default 10). */
  nInit?: number;
  maxIter?: number;
  /** Stop when the centers move less than this (squared Frobenius norm), relative to the data variance as scikit-learn's `tol`. */
  tol?: number;
  seed?: number;
}

/**
 * Lloyd's k-means with k-means++ seeding (greedy: 2 + ⌊ln k⌋ candidates per
 * center, as scikit-learn), on `x` row-major n × d. Used to score embeddings
 * by zero-shot clustering (k = number of cell types, then ARI).
 */
export function kMeans(
  x: ArrayLike<number>,
  n: number,
  d: number,
  k: number,
  o: KMeansOptions = {},
): KMeansResult {
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) {
    throw new ChromflowError('PARAM', 'k-means needs 1 ≤ k ≤ rows', {
      field: 'k',
      expected: `1 … ${n}`,
      found: String(k),
    });
  }
  const rng = new SeededRandom(o.seed ?? 0);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x[i * d + j]! / n;
  let variance = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) variance += (x[i * d + j]! - mean[j]!) ** 2 / (n * d);
  const tol = (o.tol ?? 1e-4) * variance;
  let best: KMeansResult | undefined;
  for (let init = 0; init < (o.nInit ?? 10); init++) {
    const r = lloyd(x, n, d, k, plusPlus(x, n, d, k, rng), o.maxIter ?? 300, tol);
    if (best === undefined || r.inertia < best.inertia) best = r;
  }
  return best!;
}

function dist2(x: ArrayLike<number>, i: number, c: Float64Array, j: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) s += (x[i * d + t]! - c[j * d + t]!) ** 2;
  return s;
}

function plusPlus(
  x: ArrayLike<number>,
  n: number,
  d: number,
  k: number,
  rng: SeededRandom,
): Float64Array {
  const centers = new Float64Array(k * d);
  const setCenter = (j: number, i: number): void => {
    for (let t = 0; t < d; t++) centers[j * d + t] = x[i * d + t]!;
  };
  setCenter(0, rng.int(0, n));
  const closest = new Float64Array(n);
  for (let i = 0; i < n; i++) closest[i] = dist2(x, i, centers, 0, d);
  const trials = 2 + Math.floor(Math.log(k));
  const candidate = new Float64Array(d);
  for (let j = 1; j < k; j++) {
    const total = closest.reduce((s, v) => s + v, 0);
    let bestI = -1;
    let bestPot = Infinity;
    for (let trial = 0; trial < trials; trial++) {
      let u = rng.uniform() * total;
      let i = 0;
      while (i < n - 1 && u >= closest[i]!) u -= closest[i++]!;
      for (let t = 0; t < d; t++) candidate[t] = x[i * d + t]!;
      let pot = 0;
      for (let r = 0; r < n; r++) pot += Math.min(closest[r]!, dist2(x, r, candidate, 0, d));
      if (pot < bestPot) {
        bestPot = pot;
        bestI = i;
      }
    }
    setCenter(j, bestI);
    for (let i = 0; i < n; i++) closest[i] = Math.min(closest[i]!, dist2(x, i, centers, j, d));
  }
  return centers;
}

function lloyd(
  x: ArrayLike<number>,
  n: number,
  d: number,
  k: number,
  centers: Float64Array,
  maxIter: number,
  tol: number,
): KMeansResult {
  const labels = new Int32Array(n);
  const sums = new Float64Array(k * d);
  const counts = new Int32Array(k);
  for (let iter = 0; iter < maxIter; iter++) {
    for (let i = 0; i < n; i++) {
      let bj = 0;
      let bd = Infinity;
      for (let j = 0; j < k; j++) {
        const s = dist2(x, i, centers, j, d);
        if (s < bd) {
          bd = s;
          bj = j;
        }
      }
      labels[i] = bj;
    }
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const j = labels[i]!;
      counts[j]!++;
      for (let t = 0; t < d; t++) sums[j * d + t]! += x[i * d + t]!;
    }
    let shift = 0;
    for (let j = 0; j < k; j++) {
      if (counts[j] === 0) continue; // an empty cluster keeps its center
      for (let t = 0; t < d; t++) {
        const c = sums[j * d + t]! / counts[j]!;
        shift += (c - centers[j * d + t]!) ** 2;
        centers[j * d + t] = c;
      }
    }
    if (shift <= tol) break;
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    let bj = 0;
    let bd = Infinity;
    for (let j = 0; j < k; j++) {
      const s = dist2(x, i, centers, j, d);
      if (s < bd) {
        bd = s;
        bj = j;
      }
    }
    labels[i] = bj;
    inertia += bd;
  }
  return { labels, centers, inertia };
}
