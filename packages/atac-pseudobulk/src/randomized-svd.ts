import { ChromflowError, type CsrMatrix } from '@chromflow/core';

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

/** Mulberry32: a small seeded uniform generator. */
function makeRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Y (m × l) = A · X (n × l). */
function multiply(a: CsrMatrix, x: Float64Array, l: number): Float64Array {
  const y = new Float64Array(a.nRows * l);
  for (let i = 0; i < a.nRows; i++) {
    for (let p = a.indptr[i]!; p < a.indptr[i + 1]!; p++) {
      const v = a.values[p]!;
      const j = a.indices[p]! * l;
      for (let c = 0; c < l; c++) y[i * l + c]! += v * x[j + c]!;
    }
  }
  return y;
}

/** Z (n × l) = Aᵀ · Y (m × l). */
function multiplyTransposed(a: CsrMatrix, y: Float64Array, l: number): Float64Array {
  const z = new Float64Array(a.nCols * l);
  for (let i = 0; i < a.nRows; i++) {
    for (let p = a.indptr[i]!; p < a.indptr[i + 1]!; p++) {
      const v = a.values[p]!;
      const j = a.indices[p]! * l;
      for (let c = 0; c < l; c++) z[j + c]! += v * y[i * l + c]!;
    }
  }
  return z;
}

/**
 * Orthonormalises the l columns of the r × l row-major `x` in place (modified
 * Gram–Schmidt with one re-orthogonalisation). A column whose remainder is
 * below 1e-10 of its original norm lies in the span of the earlier ones (the
 * sketch is wider than the matrix's rank) and is set to zero rather than
 * normalised rounding noise, which would not be orthogonal.
 */
function orthonormalise(x: Float64Array, r: number, l: number): void {
  for (let c = 0; c < l; c++) {
    let norm0 = 0;
    for (let i = 0; i < r; i++) norm0 += x[i * l + c]! ** 2;
    norm0 = Math.sqrt(norm0);
    for (let pass = 0; pass < 2; pass++) {
      for (let d = 0; d < c; d++) {
        let dot = 0;
        for (let i = 0; i < r; i++) dot += x[i * l + c]! * x[i * l + d]!;
        for (let i = 0; i < r; i++) x[i * l + c]! -= dot * x[i * l + d]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < r; i++) norm += x[i * l + c]! ** 2;
    norm = Math.sqrt(norm);
    const keep = norm > 1e-10 * norm0 && norm > 0;
    for (let i = 0; i < r; i++) x[i * l + c] = keep ? x[i * l + c]! / norm : 0;
  }
}

/** Eigen-decomposition of the symmetric l × l `c` by cyclic Jacobi: values and column eigenvectors. */
function symmetricEigen(
  c: Float64Array,
  l: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = c.slice();
  const v = new Float64Array(l * l);
  for (let i = 0; i < l; i++) v[i * l + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < l; p++) for (let q = p + 1; q < l; q++) off += a[p * l + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < l; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = a[p * l + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * l + q]! - a[p * l + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < l; k++) {
          const akp = a[k * l + p]!;
          const akq = a[k * l + q]!;
          a[k * l + p] = cs * akp - sn * akq;
          a[k * l + q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < l; k++) {
          const apk = a[p * l + k]!;
          const aqk = a[q * l + k]!;
          a[p * l + k] = cs * apk - sn * aqk;
          a[q * l + k] = sn * apk + cs * aqk;
        }
        for (let k = 0; k < l; k++) {
          const vkp = v[k * l + p]!;
          const vkq = v[k * l + q]!;
          v[k * l + p] = cs * vkp - sn * vkq;
          v[k * l + q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  const values = new Float64Array(l);
  for (let i = 0; i < l; i++) values[i] = a[i * l + i]!;
  return { values, vectors: v };
}

/**
 * Randomized truncated SVD of a sparse matrix (Halko, Martinsson & Tropp 2011,
 * algorithms 4.4 + 5.1): a Gaussian range sketch with power iterations, then
 * the exact SVD of the small projected matrix via its Gram matrix. Signs are
 * fixed so that the largest-magnitude entry of each column of U is positive
 * (scikit-learn's `svd_flip` convention), so results are deterministic.
 */
export function randomizedSvd(a: CsrMatrix, k: number, options: SvdOptions = {}): TruncatedSvd {
  const maxK = Math.min(a.nRows, a.nCols);
  if (!(k >= 1 && k <= maxK)) {
    throw new ChromflowError('PARAM', 'the number of SVD components is out of range', {
      field: 'k',
      expected: `1 … ${maxK} (the smaller matrix dimension)`,
      found: String(k),
    });
  }
  const l = Math.min(maxK, k + (options.oversample ?? 10));
  const rand = makeRandom(options.seed ?? 1);
  const omega = new Float64Array(a.nCols * l);
  for (let i = 0; i < omega.length; i += 2) {
    // Box–Muller pairs.
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const th = 2 * Math.PI * rand();
    omega[i] = r * Math.cos(th);
    if (i + 1 < omega.length) omega[i + 1] = r * Math.sin(th);
  }
  let q = multiply(a, omega, l);
  orthonormalise(q, a.nRows, l);
  for (let it = 0; it < (options.powerIterations ?? 4); it++) {
    const z = multiplyTransposed(a, q, l);
    orthonormalise(z, a.nCols, l);
    q = multiply(a, z, l);
    orthonormalise(q, a.nRows, l);
  }
  // Bᵀ = Aᵀ Q (n × l); Gram G = B Bᵀ (l × l).
  const bt = multiplyTransposed(a, q, l);
  const gram = new Float64Array(l * l);
  for (let j = 0; j < a.nCols; j++) {
    for (let c = 0; c < l; c++) {
      const x = bt[j * l + c]!;
      if (x === 0) continue;
      for (let d = c; d < l; d++) gram[c * l + d]! += x * bt[j * l + d]!;
    }
  }
  for (let c = 0; c < l; c++) for (let d = 0; d < c; d++) gram[c * l + d] = gram[d * l + c]!;
  const { values, vectors } = symmetricEigen(gram, l);
  const order = Array.from({ length: l }, (_, i) => i).sort((x, y) => values[y]! - values[x]!);
  const s = new Float64Array(k);
  const u = new Float64Array(a.nRows * k);
  const v = new Float64Array(a.nCols * k);
  for (let c = 0; c < k; c++) {
    const e = order[c]!;
    const sigma = Math.sqrt(Math.max(0, values[e]!));
    s[c] = sigma;
    // U = Q W; V = Bᵀ W / σ.
    let best = 0;
    for (let i = 0; i < a.nRows; i++) {
      let x = 0;
      for (let d = 0; d < l; d++) x += q[i * l + d]! * vectors[d * l + e]!;
      u[i * k + c] = x;
      if (Math.abs(x) > Math.abs(best)) best = x;
    }
    const sign = best < 0 ? -1 : 1;
    for (let i = 0; i < a.nRows; i++) u[i * k + c]! *= sign;
    for (let j = 0; j < a.nCols; j++) {
      let x = 0;
      for (let d = 0; d < l; d++) x += bt[j * l + d]! * vectors[d * l + e]!;
      v[j * k + c] = sigma > 0 ? (sign * x) / sigma : 0;
    }
  }
  return { k, u, s, v };
}
