import {
  ChromflowError,
  type CsrMatrix,
  type LongRunOptions,
  type RandomizedSvdOptions,
  randomizedSvd,
} from '@chromflow/core';
import { computeColumnMoments } from './normalise.js';

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
  /**
   * Renormalisation between power iterations; default as scikit-learn's
   * `'auto'`: partial-pivoting LU ('lu'), or none for ≤ 2 iterations.
   */
  normaliser?: RandomizedSvdOptions['normaliser'];
  /**
   * Arithmetic of the sparse products (`RandomizedSvdOptions.precision`):
   * 'float64' (default) or 'float32', as scikit-learn on a float32 matrix.
   */
  precision?: RandomizedSvdOptions['precision'];
  /** Threads for the sparse products (`RandomizedSvdOptions.threads`; default by size). */
  threads?: number;
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
  /** How the sparse products ran (wasm SIMD and threads, or JavaScript). */
  backend: string;
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
 * PCA of a sparse cells × genes matrix by randomized SVD (`randomizedSvd` of
 * `@chromflow/core`: Halko, Martinsson & Tropp 2011 with the settings of
 * scikit-learn's `PCA(svd_solver='randomized')` — 10 oversamples, 'auto' power
 * iterations, LU renormalisation) on the implicitly centred (and optionally
 * scaled) matrix: the cells × genes matrix is never dense. Deterministic for a given `seed`. Signs follow scikit-learn 1.2's
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
  const nIter = options.powerIterations ?? (k < 0.1 * Math.min(n, p) ? 7 : 4);
  const { means, variances } = computeColumnMoments(X);
  let totalVariance = 0;
  let scales: Float64Array | undefined;
  if (options.scale) {
    const d = Float64Array.from(variances, (v) => (v > 0 ? 1 / Math.sqrt(v) : 1));
    for (let c = 0; c < p; c++) totalVariance += variances[c]! * d[c]! * d[c]!;
    scales = d;
  } else {
    for (let c = 0; c < p; c++) totalVariance += variances[c]!;
  }
  const svd = randomizedSvd(X, k, {
    oversamples: options.oversamples ?? 10,
    powerIterations: nIter,
    normaliser: options.normaliser,
    seed: options.seed ?? 0,
    precision: options.precision,
    threads: options.threads,
    columnMeans: means,
    columnScales: scales,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  const { s, vt: components } = svd;
  const scores = svd.u;
  for (let r = 0; r < n; r++) for (let j = 0; j < k; j++) scores[r * k + j]! *= s[j]!;
  const singularValues = s.slice(0, k);
  const explainedVariance = Float64Array.from(singularValues, (x) => (x * x) / (n - 1));
  const explainedVarianceRatio = Float64Array.from(explainedVariance, (v) =>
    totalVariance > 0 ? v / totalVariance : 0,
  );
  return {
    nComponents: k,
    backend: svd.backend,
    scores,
    components,
    explainedVariance,
    explainedVarianceRatio,
    singularValues,
    means,
  };
}
