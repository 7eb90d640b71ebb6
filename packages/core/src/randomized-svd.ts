import { ChromflowError, throwIfAborted } from './errors.js';
import type { LongRunOptions } from './progress.js';
import { orthonormaliseColumns, upperFactorOfColumns } from './dense-linalg.js';
import { makeRandom } from './seeded-random.js';
import {
  makeSparseProducts,
  type SparseProducts,
  type SparseProductsOptions,
} from './sparse-products.js';
import type { CsrMatrix } from './sparse-matrix.js';

/**
 * Randomized truncated SVD of a sparse matrix, optionally centred and scaled
 * column-wise without ever forming the dense matrix — the one implementation
 * behind PCA (`@chromflow/cell-embedding`) and LSI (`@chromflow/atac-pseudobulk`).
 * Dense blocks are row-major Float64Array.
 */
export interface RandomizedSvdOptions extends LongRunOptions, SparseProductsOptions {
  /** Extra random directions beyond k (scikit-learn's `n_oversamples`). Default 10. */
  oversamples?: number;
  /**
   * Power iterations (scikit-learn's `n_iter`). Default scikit-learn's 'auto':
   * 7 when k < 0.1·min(rows, cols), else 4.
   */
  powerIterations?: number;
  /**
   * How the sketch is renormalised between power iterations (scikit-learn's
   * `power_iteration_normalizer`): 'lu' (partial-pivoting LU, keeping P·L),
   * 'qr' (orthonormal basis) or 'none'. Default scikit-learn's 'auto': 'none'
   * for ≤ 2 iterations, else 'lu'. The last range basis is always orthonormal.
   */
  normaliser?: 'lu' | 'qr' | 'none';
  /** Seed of the Gaussian test matrix; the same seed gives the same output. Default 0. */
  seed?: number;
  /** Column means μ: the SVD is of X − 1μᵀ (implicit centring). */
  columnMeans?: ArrayLike<number>;
  /** Column factors d: the SVD is of (X − 1μᵀ)·diag(d). */
  columnScales?: ArrayLike<number>;
}

/** A truncated SVD `A ≈ U · diag(s) · Vᵀ`. */
export interface TruncatedSvd {
  k: number;
  /** rows × k left singular vectors, row-major. */
  u: Float64Array;
  /** k singular values, descending. */
  s: Float64Array;
  /** k × cols right singular vectors as rows (scikit-learn's `Vt` / `components_`). */
  vt: Float64Array;
  /** How the sparse products ran (`SparseProducts.backend`). */
  backend: string;
}

/**
 * The operator A = (X − 1μᵀ)·diag(d) over the sparse products, never dense:
 * A·M = X·(D·M) − 1·(μᵀ·D·M) and Aᵀ·Y = D·(Xᵀ·Y − μ·(1ᵀ·Y)).
 */
function makeOperator(
  products: SparseProducts,
  mu: Float64Array | undefined,
  d: Float64Array | undefined,
): {
  times(m: Float64Array, l: number): Float64Array;
  transposeTimes(y: Float64Array, l: number): Float64Array;
} {
  const scaleRows = (m: Float64Array, l: number): Float64Array => {
    if (!d) return m;
    for (let c = 0; c < d.length; c++) {
      const f = d[c]!;
      for (let j = 0; j < l; j++) m[c * l + j]! *= f;
    }
    return m;
  };
  return {
    times: (m, l) => products.times(d ? scaleRows(m.slice(), l) : m, l, mu),
    transposeTimes: (y, l) => scaleRows(products.transposeTimes(y, l, mu), l),
  };
}

/**
 * Randomized truncated SVD (Halko, Martinsson & Tropp 2011, Alg. 4.3/4.4;
 * the algorithm of scikit-learn's `randomized_svd`): a Gaussian sketch of the
 * column space, power iterations renormalised by LU (or QR), an orthonormal
 * range basis Q, then the exact SVD of the small B = QᵀA via a QR of Bᵀ and
 * one-sided Jacobi. Signs follow scikit-learn's `svd_flip` (u-based: the
 * largest-|·| entry of each column of U is positive). Deterministic per seed.
 */
export function randomizedSvd(
  x: CsrMatrix,
  k: number,
  options: RandomizedSvdOptions = {},
): TruncatedSvd {
  const m = x.nRows;
  const n = x.nCols;
  const maxK = Math.min(m, n);
  if (!(Number.isInteger(k) && k >= 1 && k <= maxK)) {
    throw new ChromflowError('PARAM', 'the number of SVD components is out of range', {
      field: 'k',
      expected: `an integer 1 … ${maxK} (the smaller matrix dimension)`,
      found: String(k),
    });
  }
  const l = Math.min(maxK, k + (options.oversamples ?? 10));
  const nIter = options.powerIterations ?? (k < 0.1 * maxK ? 7 : 4);
  const normaliser = options.normaliser ?? (nIter <= 2 ? 'none' : 'lu');
  const mu = options.columnMeans ? Float64Array.from(options.columnMeans) : undefined;
  const d = options.columnScales ? Float64Array.from(options.columnScales) : undefined;
  const products = makeSparseProducts(x, l, options);
  try {
    return sketchAndSolve(
      makeOperator(products, mu, d),
      m,
      n,
      k,
      l,
      nIter,
      normaliser,
      options,
      products,
      mu,
      d !== undefined,
    );
  } finally {
    products.close();
  }
}

function sketchAndSolve(
  A: ReturnType<typeof makeOperator>,
  m: number,
  n: number,
  k: number,
  l: number,
  nIter: number,
  normaliser: 'lu' | 'qr' | 'none',
  options: RandomizedSvdOptions,
  products: SparseProducts,
  mu: Float64Array | undefined,
  scaled: boolean,
): TruncatedSvd {
  const rng = makeRandom(options.seed ?? 0);
  let z: Float64Array = new Float64Array(n * l);
  for (let i = 0; i < z.length; i++) z[i] = rng.normal();
  const steps = 2 * nIter + 2;
  let step = 0;
  const tick = (): void => {
    throwIfAborted(options.signal);
    options.onProgress?.(++step, steps, 'randomized SVD products');
  };
  options.onProgress?.(0, steps);
  const normalise = (y: Float64Array, rows: number): void => {
    if (normaliser === 'lu') products.luNormalise(y, rows, l);
    else if (normaliser === 'qr') orthonormaliseColumns(y, rows, l);
  };
  if (!scaled && normaliser !== 'qr') {
    // Unscaled with LU or no renormalisation: the loop runs where the products run.
    z = products.powerIterations(z, l, nIter, mu, normaliser === 'lu', tick);
  } else {
    for (let it = 0; it < nIter; it++) {
      const y = A.times(z, l);
      tick();
      normalise(y, m);
      z = A.transposeTimes(y, l);
      tick();
      normalise(z, n);
    }
  }
  const q = A.times(z, l);
  tick();
  // The range basis Q = Y·R⁻¹ by a Cholesky factor of YᵀY (one pass over Y instead of
  // Gram–Schmidt's four), never formed: Bᵀ = AᵀQ = (AᵀY)·R⁻¹ and U = Q·W = Y·(R⁻¹·W).
  // A nearly dependent Y (rank deficiency) takes Gram–Schmidt instead.
  const rInv = choleskyOfGram(products.gramUpper(q, m, l), l)?.inv;
  if (!rInv) orthonormaliseColumns(q, m, l);
  // Bᵀ = AᵀQ (n × l) = Qb·R; B = Rᵀ·Qbᵀ and the SVD of the l × l Rᵀ finishes it.
  let bt = A.transposeTimes(q, l);
  tick();
  if (rInv) bt = products.timesSmall(bt, n, l, rInv, l, l);
  // Bᵀ = Qb·R the same way (Qb = Bᵀ·R⁻¹ formed, it gives Vt), or by Gram–Schmidt.
  const chol = choleskyOfGram(products.gramUpper(bt, n, l), l);
  if (chol) bt = products.timesSmall(bt, n, l, chol.inv, l, l);
  const r = chol ? chol.r : upperFactorOfColumns(bt, n, l);
  const { s, U: W0, Vt: C } = products.svdSmall(r, l, l);
  const W = rInv ? upperTimes(rInv, W0, l) : W0;
  // B = W·diag(s)·(Qb·Cᵀ)ᵀ: U = Q·W, Vt = C·Qbᵀ (bt now holds Qb).
  const u = products.timesSmall(q, m, l, W, l, k);
  const ct = new Float64Array(l * k);
  for (let c = 0; c < k; c++) for (let j = 0; j < l; j++) ct[j * k + c] = C[c * l + j]!;
  const vtT = products.timesSmall(bt, n, l, ct, k, k);
  const vt = new Float64Array(k * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) vt[c * n + i] = vtT[i * k + c]!;
  for (let c = 0; c < k; c++) {
    let best = 0;
    for (let i = 0; i < m; i++) {
      const v = u[i * k + c]!;
      if (Math.abs(v) > Math.abs(best)) best = v;
    }
    if (best < 0) {
      for (let i = 0; i < m; i++) u[i * k + c] = -u[i * k + c]!;
      for (let i = 0; i < n; i++) vt[c * n + i] = -vt[c * n + i]!;
    }
  }
  return { k, u, s: s.slice(0, k), vt, backend: products.backend };
}

/**
 * The Cholesky factor R of YᵀY = RᵀR from the upper triangle g of YᵀY (`gramUpper`),
 * and R⁻¹, both l × l upper triangular row-major, or undefined when a column of Y is
 * within 1e-4 (relative) of the span of the earlier ones, where Y·R⁻¹ would lose orthogonality.
 */
export function choleskyOfGram(
  g: Float64Array,
  l: number,
): { r: Float64Array; inv: Float64Array } | undefined {
  const r = new Float64Array(l * l);
  for (let j = 0; j < l; j++) {
    let d = g[j * l + j]!;
    for (let k = 0; k < j; k++) d -= r[k * l + j]! * r[k * l + j]!;
    if (!(d > 1e-8 * g[j * l + j]!) || !(d > 0)) return undefined;
    const rjj = Math.sqrt(d);
    r[j * l + j] = rjj;
    for (let b = j + 1; b < l; b++) {
      let x = g[j * l + b]!;
      for (let k = 0; k < j; k++) x -= r[k * l + j]! * r[k * l + b]!;
      r[j * l + b] = x / rjj;
    }
  }
  // Back substitution, column by column of the inverse.
  const inv = new Float64Array(l * l);
  for (let c = 0; c < l; c++) {
    inv[c * l + c] = 1 / r[c * l + c]!;
    for (let i = c - 1; i >= 0; i--) {
      let x = 0;
      for (let k = i + 1; k <= c; k++) x += r[i * l + k]! * inv[k * l + c]!;
      inv[i * l + c] = -x / r[i * l + i]!;
    }
  }
  return { r, inv };
}

/** t·w for an l × l upper triangular t and an l × l w, both row-major. */
function upperTimes(t: Float64Array, w: Float64Array, l: number): Float64Array {
  const out = new Float64Array(l * l);
  for (let i = 0; i < l; i++)
    for (let k = i; k < l; k++) {
      const x = t[i * l + k]!;
      for (let c = 0; c < l; c++) out[i * l + c]! += x * w[k * l + c]!;
    }
  return out;
}
