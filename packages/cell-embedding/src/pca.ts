import {
  ChromflowError,
  type CsrMatrix,
  type LongRunOptions,
  throwIfAborted,
} from '@chromflow/core';
import { computeColumnMoments } from './normalise.js';
import { makeRandom } from './random.js';

export interface PcaOptions extends LongRunOptions {
  /** Number of principal components (default 50, capped at min(cells, genes) − 1). */
  nComponents?: number;
  /** Extra random directions beyond nComponents (default 10, as scikit-learn). */
  oversamples?: number;
  /**
   * Power iterations; default as scikit-learn's `'auto'`: 7 when nComponents
   * < 0.1·min(cells, genes), else 4.
   */
  powerIterations?: number;
  /** Seed of the random test matrix (default 0); the same seed gives the same output. */
  seed?: number;
  /**
   * Divide each gene by its standard deviation (ddof = 1; zero-variance genes
   * left as they are) before PCA, implicitly, like scanpy's `scale` without
   * clipping. Default false.
   */
  scale?: boolean;
}

/** A PCA result. Matrices are row-major float64. */
export interface PcaResult {
  nComponents: number;
  /** cells × nComponents scores (U·S, scanpy's `X_pca`). */
  scores: Float64Array;
  /** nComponents × genes loadings (rows are unit vectors, scikit-learn's `components_`). */
  components: Float64Array;
  /** Variance explained by each component: s² / (cells − 1). */
  explainedVariance: Float64Array;
  /** explainedVariance / total variance of the centred (scaled) matrix. */
  explainedVarianceRatio: Float64Array;
  singularValues: Float64Array;
  /** Gene means that were subtracted. */
  means: Float64Array;
}

/**
 * The centred operator A = (X − 1μᵀ)·D without forming it: products with A
 * and Aᵀ go through the sparse X plus a rank-one correction, so memory stays
 * O(nnz + (cells + genes)·k) — the cells × genes matrix is never dense.
 */
class CentredOperator {
  readonly n: number;
  readonly p: number;
  constructor(
    private readonly X: CsrMatrix,
    private readonly values: Float64Array,
    readonly mu: Float64Array,
  ) {
    this.n = X.nRows;
    this.p = X.nCols;
  }

  /** A·M, M genes × l row-major → cells × l. */
  times(M: Float64Array, l: number): Float64Array {
    const { indptr, indices } = this.X;
    const vals = this.values;
    const out = new Float64Array(this.n * l);
    const muM = new Float64Array(l);
    for (let c = 0; c < this.p; c++) {
      const m = this.mu[c]!;
      if (m === 0) continue;
      const o = c * l;
      for (let j = 0; j < l; j++) muM[j]! += m * M[o + j]!;
    }
    // One cell's output row is accumulated in a small local array, 4 columns per
    // step: 2.2× faster than updating `out` in place (5000 × 5000, 12.5 % dense, l = 60).
    const acc = new Float64Array(l);
    for (let r = 0; r < this.n; r++) {
      for (let j = 0; j < l; j++) acc[j] = -muM[j]!;
      for (let p = indptr[r]!; p < indptr[r + 1]!; p++) {
        const v = vals[p]!;
        const co = indices[p]! * l;
        let j = 0;
        for (; j + 3 < l; j += 4) {
          acc[j]! += v * M[co + j]!;
          acc[j + 1]! += v * M[co + j + 1]!;
          acc[j + 2]! += v * M[co + j + 2]!;
          acc[j + 3]! += v * M[co + j + 3]!;
        }
        for (; j < l; j++) acc[j]! += v * M[co + j]!;
      }
      out.set(acc, r * l);
    }
    return out;
  }

  /** Aᵀ·N, N cells × l row-major → genes × l. */
  transposeTimes(N: Float64Array, l: number): Float64Array {
    const { indptr, indices } = this.X;
    const vals = this.values;
    const out = new Float64Array(this.p * l);
    const colSum = new Float64Array(l);
    const row = new Float64Array(l);
    for (let r = 0; r < this.n; r++) {
      const ro = r * l;
      for (let j = 0; j < l; j++) {
        row[j] = N[ro + j]!;
        colSum[j]! += row[j]!;
      }
      for (let p = indptr[r]!; p < indptr[r + 1]!; p++) {
        const v = vals[p]!;
        const co = indices[p]! * l;
        let j = 0;
        for (; j + 3 < l; j += 4) {
          out[co + j]! += v * row[j]!;
          out[co + j + 1]! += v * row[j + 1]!;
          out[co + j + 2]! += v * row[j + 2]!;
          out[co + j + 3]! += v * row[j + 3]!;
        }
        for (; j < l; j++) out[co + j]! += v * row[j]!;
      }
    }
    for (let c = 0; c < this.p; c++) {
      const m = this.mu[c]!;
      if (m === 0) continue;
      const o = c * l;
      for (let j = 0; j < l; j++) out[o + j]! -= m * colSum[j]!;
    }
    return out;
  }
}

/**
 * Orthonormalises the columns of a rows × l row-major matrix in place
 * (modified Gram–Schmidt, run twice — "twice is enough" for orthogonality to
 * machine precision). Columns are copied out so the inner loops are contiguous.
 */
export function orthonormaliseColumns(Y: Float64Array, rows: number, l: number): void {
  const cols: Float64Array[] = [];
  for (let j = 0; j < l; j++) {
    const c = new Float64Array(rows);
    for (let i = 0; i < rows; i++) c[i] = Y[i * l + j]!;
    cols.push(c);
  }
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < l; j++) {
      const cj = cols[j]!;
      for (let k = 0; k < j; k++) {
        const ck = cols[k]!;
        let d = 0;
        for (let i = 0; i < rows; i++) d += ck[i]! * cj[i]!;
        for (let i = 0; i < rows; i++) cj[i]! -= d * ck[i]!;
      }
      let nrm = 0;
      for (let i = 0; i < rows; i++) nrm += cj[i]! * cj[i]!;
      nrm = Math.sqrt(nrm);
      // A column in the span of the previous ones (rank deficiency) becomes zero.
      const inv = nrm > 1e-300 ? 1 / nrm : 0;
      for (let i = 0; i < rows; i++) cj[i]! *= inv;
    }
  }
  for (let j = 0; j < l; j++) {
    const c = cols[j]!;
    for (let i = 0; i < rows; i++) Y[i * l + j] = c[i]!;
  }
}

/**
 * Thin SVD of a small l × p matrix B given as its transpose Bt (p × l,
 * row-major), by one-sided Jacobi rotations on Bt's columns. Returns singular
 * values (descending), U (l × l, row-major, columns = left vectors of B) and
 * Vt (l × p, rows = right vectors of B).
 */
export function svdSmall(
  Bt: Float64Array,
  p: number,
  l: number,
): { s: Float64Array; U: Float64Array; Vt: Float64Array } {
  const cols: Float64Array[] = [];
  for (let j = 0; j < l; j++) {
    const c = new Float64Array(p);
    for (let i = 0; i < p; i++) c[i] = Bt[i * l + j]!;
    cols.push(c);
  }
  const W = new Float64Array(l * l);
  for (let j = 0; j < l; j++) W[j * l + j] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let a = 0; a < l - 1; a++) {
      for (let b = a + 1; b < l; b++) {
        const ca = cols[a]!;
        const cb = cols[b]!;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < p; i++) {
          alpha += ca[i]! * ca[i]!;
          beta += cb[i]! * cb[i]!;
          gamma += ca[i]! * cb[i]!;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        for (let i = 0; i < p; i++) {
          const x = ca[i]!;
          const y = cb[i]!;
          ca[i] = cs * x - sn * y;
          cb[i] = sn * x + cs * y;
        }
        for (let i = 0; i < l; i++) {
          const x = W[i * l + a]!;
          const y = W[i * l + b]!;
          W[i * l + a] = cs * x - sn * y;
          W[i * l + b] = sn * x + cs * y;
        }
      }
    }
    if (off < 1e-15) break;
  }
  // Bt·W = columns with norms s: Bt = (cols/s)·diag(s)·Wᵀ, so B = W·diag(s)·(cols/s)ᵀ.
  const norms = cols.map((c) => Math.sqrt(c.reduce((acc, x) => acc + x * x, 0)));
  const order = norms.map((_, j) => j).sort((x, y) => norms[y]! - norms[x]!);
  const s = new Float64Array(l);
  const U = new Float64Array(l * l);
  const Vt = new Float64Array(l * p);
  order.forEach((j, k) => {
    const nrm = norms[j]!;
    s[k] = nrm;
    for (let i = 0; i < l; i++) U[i * l + k] = W[i * l + j]!;
    const inv = nrm > 0 ? 1 / nrm : 0;
    const c = cols[j]!;
    for (let i = 0; i < p; i++) Vt[k * p + i] = c[i]! * inv;
  });
  return { s, U, Vt };
}

/**
 * PCA of a sparse cells × genes matrix by randomized SVD (Halko, Martinsson &
 * Tropp 2011, Alg. 4.4 with QR re-orthonormalisation between power
 * iterations, as scikit-learn's `randomized_svd`) on the implicitly centred
 * matrix. Deterministic for a given `seed`. Signs follow scikit-learn 1.2's
 * `svd_flip` (u-based: the largest-|·| entry of each score column is positive).
 */
export function computePca(X: CsrMatrix, options: PcaOptions = {}): PcaResult {
  const n = X.nRows;
  const p = X.nCols;
  const maxK = Math.min(n, p) - 1;
  if (maxK < 1) {
    throw new ChromflowError('VALUE', 'PCA needs at least 2 cells and 2 genes', {
      found: `${n} cells × ${p} genes`,
    });
  }
  const k = Math.min(options.nComponents ?? 50, maxK);
  const l = Math.min(k + (options.oversamples ?? 10), Math.min(n, p));
  const nIter = options.powerIterations ?? (k < 0.1 * Math.min(n, p) ? 7 : 4);
  const { means, variances } = computeColumnMoments(X);
  const values = Float64Array.from(X.values);
  const mu = Float64Array.from(means);
  let totalVariance = 0;
  if (options.scale) {
    const d = Float64Array.from(variances, (v) => (v > 0 ? 1 / Math.sqrt(v) : 1));
    for (let q = 0; q < values.length; q++) values[q]! *= d[X.indices[q]!]!;
    for (let c = 0; c < p; c++) {
      mu[c]! *= d[c]!;
      totalVariance += variances[c]! * d[c]! * d[c]!;
    }
  } else {
    for (let c = 0; c < p; c++) totalVariance += variances[c]!;
  }
  const A = new CentredOperator(X, values, mu);
  const rng = makeRandom(options.seed ?? 0);
  const omega = new Float64Array(p * l);
  for (let i = 0; i < omega.length; i++) omega[i] = rng.normal();
  const steps = 2 * nIter + 2;
  let step = 0;
  const tick = (): void => {
    throwIfAborted(options.signal);
    options.onProgress?.(++step, steps, 'randomized SVD products');
  };
  options.onProgress?.(0, steps);
  let Q = A.times(omega, l);
  tick();
  orthonormaliseColumns(Q, n, l);
  for (let it = 0; it < nIter; it++) {
    const Z = A.transposeTimes(Q, l);
    tick();
    orthonormaliseColumns(Z, p, l);
    Q = A.times(Z, l);
    tick();
    orthonormaliseColumns(Q, n, l);
  }
  // B = Qᵀ A (l × genes); its transpose Aᵀ Q is what the operator gives.
  const Bt = A.transposeTimes(Q, l);
  tick();
  const { s, U: Uhat, Vt } = svdSmall(Bt, p, l);
  const scores = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < k; j++) {
      let acc = 0;
      for (let m = 0; m < l; m++) acc += Q[r * l + m]! * Uhat[m * l + j]!;
      scores[r * k + j] = acc * s[j]!;
    }
  }
  const components = Vt.slice(0, k * p);
  for (let j = 0; j < k; j++) {
    let best = 0;
    for (let r = 0; r < n; r++) {
      const v = scores[r * k + j]!;
      if (Math.abs(v) > Math.abs(best)) best = v;
    }
    if (best < 0) {
      for (let r = 0; r < n; r++) scores[r * k + j] = -scores[r * k + j]!;
      for (let c = 0; c < p; c++) components[j * p + c] = -components[j * p + c]!;
    }
  }
  const singularValues = s.slice(0, k);
  const explainedVariance = Float64Array.from(singularValues, (x) => (x * x) / (n - 1));
  const explainedVarianceRatio = Float64Array.from(explainedVariance, (v) =>
    totalVariance > 0 ? v / totalVariance : 0,
  );
  return {
    nComponents: k,
    scores,
    components,
    explainedVariance,
    explainedVarianceRatio,
    singularValues,
    means,
  };
}
