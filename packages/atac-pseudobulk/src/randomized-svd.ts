import { type CsrMatrix, randomizedSvd as coreRandomizedSvd } from '@chromflow/core';

/** A truncated SVD `A ≈ U · diag(s) · Vᵀ`; dense factors are row-major. */
export interface TruncatedSvd {
  k: number;
  /** m × k left singular vectors. */
  u: Float64Array;
  /** Singular values, descending. */
  s: Float64Array;
  /** n × k right singular vectors. */
  v: Float64Array;
}

export interface SvdOptions {
  /** Extra random directions beyond k (Halko et al. 2011). Default 10. */
  oversample?: number;
  /** Power iterations; more sharpen a slowly decaying spectrum. Default 4. */
  powerIterations?: number;
  /** Seed of the Gaussian test matrix. Default 1. */
  seed?: number;
}

/**
 * Randomized truncated SVD of a sparse matrix, uncentred (LSI's convention):
 * `randomizedSvd` of `@chromflow/core` (the one implementation, shared with
 * PCA) with LU-renormalised power iterations, returning V (n × k) rather
 * than Vᵀ. Signs follow scikit-learn's `svd_flip` (the largest-|·| entry of
 * each column of U is positive), so results are deterministic per seed.
 */
export function randomizedSvd(a: CsrMatrix, k: number, options: SvdOptions = {}): TruncatedSvd {
  const svd = coreRandomizedSvd(a, k, {
    oversamples: options.oversample ?? 10,
    powerIterations: options.powerIterations ?? 4,
    seed: options.seed ?? 1,
  });
  const v = new Float64Array(a.nCols * k);
  for (let c = 0; c < k; c++)
    for (let j = 0; j < a.nCols; j++) v[j * k + c] = svd.vt[c * a.nCols + j]!;
  return { k, u: svd.u, s: svd.s, v };
}
