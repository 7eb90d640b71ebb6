import { ChromflowError } from '@chromflow/core';

/**
 * The pieces of scikit-learn's `LassoLarsIC(criterion='bic')` and
 * `LinearRegression` that the `lingam` package's adaptive-lasso pruning uses,
 * on columns of plain Float64Arrays: the LARS-lasso path (Efron et al. 2004,
 * computed as `lars_path_gram(method='lasso')` does: the Gram form, equality
 * tolerance float32 eps, `min_pos` steps, sign-change drops, the
 * "alpha increased" bail-out, max_iter 500), then the BIC of every knot with
 * the noise variance of the full OLS fit (sklearn ≥ 1.1) and the first minimum.
 */

const EPS = 2.220446049250313e-16; // np.finfo(float64).eps
const TINY32 = 1.1754943508222875e-38; // np.finfo(float32).tiny
const EQUALITY_TOLERANCE = 1.1920928955078125e-7; // np.finfo(float32).eps
const NO_POSITIVE = 3.4028234663852886e38; // FLT_MAX, what sklearn's min_pos returns for none

/** Smallest strictly positive value, or FLT_MAX (sklearn `arrayfuncs.min_pos`). */
function minPos(values: ArrayLike<number>): number {
  let m = NO_POSITIVE;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > 0 && v < m) m = v;
  }
  return m;
}

/** Column means. */
function centred(cols: readonly Float64Array[], n: number): Float64Array[] {
  return cols.map((c) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += c[i]!;
    const m = s / n;
    return Float64Array.from(c, (v) => v - m);
  });
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Lower Cholesky factor (row-major k × k) of a symmetric positive definite k × k matrix, or undefined. */
function cholesky(a: Float64Array, k: number): Float64Array | undefined {
  const l = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    let d = a[j * k + j]!;
    for (let t = 0; t < j; t++) d -= l[j * k + t]! * l[j * k + t]!;
    if (!(d > 0)) return undefined;
    const ljj = Math.sqrt(d);
    l[j * k + j] = ljj;
    for (let i = j + 1; i < k; i++) {
      let x = a[i * k + j]!;
      for (let t = 0; t < j; t++) x -= l[i * k + t]! * l[j * k + t]!;
      l[i * k + j] = x / ljj;
    }
  }
  return l;
}

/** Solves L Lᵀ x = b for a lower factor stored with row stride `stride`. */
function choleskySolve(
  l: Float64Array,
  stride: number,
  k: number,
  b: ArrayLike<number>,
): Float64Array {
  const y = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let x = b[i]!;
    for (let t = 0; t < i; t++) x -= l[i * stride + t]! * y[t]!;
    y[i] = x / l[i * stride + i]!;
  }
  for (let i = k - 1; i >= 0; i--) {
    let x = y[i]!;
    for (let t = i + 1; t < k; t++) x -= l[t * stride + i]! * y[t]!;
    y[i] = x / l[i * stride + i]!;
  }
  return y;
}

export interface LarsPath {
  /** Max |correlation| / n at each knot (sklearn's `alphas_`). */
  alphas: number[];
  /** Coefficients at each knot (p each), the first all zero. */
  coefs: Float64Array[];
}

/**
 * LARS-lasso path from the Gram matrix `g` (p × p, row-major) and `xy` = Xᵀy
 * of centred data with `nSamples` rows, as sklearn's `lars_path_gram` with
 * `method='lasso'`, `alpha_min=0`.
 */
export function larsLassoPath(
  g: Float64Array,
  xy: Float64Array,
  p: number,
  nSamples: number,
  maxIter = 500,
): LarsPath {
  const alphas: number[] = [];
  const coefs: Float64Array[] = [new Float64Array(p)];
  const cov = Float64Array.from(xy);
  const isActive = new Uint8Array(p);
  let active: number[] = [];
  let sign: number[] = [];
  let l = new Float64Array(p * p); // lower factor of G[active, active], row stride p
  let drop = false;
  let dropped: number[] = [];
  let nIter = 0;
  for (;;) {
    let cIdx = -1;
    let c = 0;
    for (let f = 0; f < p; f++) {
      if (isActive[f]) continue;
      if (cIdx < 0 || Math.abs(cov[f]!) > c) {
        cIdx = f;
        c = Math.abs(cov[f]!);
      }
    }
    const alpha = c / nSamples;
    alphas[nIter] = alpha;
    if (alpha <= EQUALITY_TOLERANCE) break;
    if (nIter >= maxIter || active.length >= p) break;
    if (!drop) {
      const k = active.length;
      const gcc = g[cIdx * p + cIdx]!;
      const w = new Float64Array(k);
      for (let i = 0; i < k; i++) {
        let x = g[active[i]! * p + cIdx]!;
        for (let t = 0; t < i; t++) x -= l[i * p + t]! * w[t]!;
        w[i] = x / l[i * p + i]!;
      }
      const diag = Math.max(Math.sqrt(Math.abs(gcc - dot(w, w))), EPS);
      if (diag < 1e-7) {
        // sklearn: a degenerate regressor; its correlation is zeroed and the step retried.
        cov[cIdx] = 0;
        continue;
      }
      for (let t = 0; t < k; t++) l[k * p + t] = w[t]!;
      l[k * p + k] = diag;
      active.push(cIdx);
      sign.push(Math.sign(cov[cIdx]!));
      isActive[cIdx] = 1;
    }
    if (nIter > 0 && alphas[nIter - 1]! < alpha) break; // alpha increasing: numerical noise, bail out
    const k = active.length;
    let ls = choleskySolve(l, p, k, sign);
    let aa = 1 / Math.sqrt(ls.reduce((s, v, i) => s + v * sign[i]!, 0));
    if (!Number.isFinite(aa)) {
      // L too ill-conditioned: sklearn adds a growing multiple of eps to its diagonal.
      for (let i = 0; !Number.isFinite(aa); i++) {
        const lj = l.slice();
        for (let t = 0; t < k; t++) lj[t * p + t]! += 2 ** i * EPS;
        ls = choleskySolve(lj, p, k, sign);
        aa =
          1 /
          Math.sqrt(
            Math.max(
              ls.reduce((s, v, t) => s + v * sign[t]!, 0),
              EPS,
            ),
          );
      }
    }
    for (let i = 0; i < k; i++) ls[i]! *= aa;
    const inactive: number[] = [];
    for (let f = 0; f < p; f++) if (!isActive[f]) inactive.push(f);
    const corrEqDir = Float64Array.from(inactive, (f) => {
      let s = 0;
      for (let i = 0; i < k; i++) s += g[active[i]! * p + f]! * ls[i]!;
      return s;
    });
    const g1 = minPos(inactive.map((f, t) => (c - cov[f]!) / (aa - corrEqDir[t]! + TINY32)));
    const g2 = minPos(inactive.map((f, t) => (c + cov[f]!) / (aa + corrEqDir[t]! + TINY32)));
    let gamma = Math.min(g1, g2, c / aa);
    const coef = coefs[nIter]!;
    drop = false;
    const z = active.map((f, i) => -coef[f]! / (ls[i]! + TINY32));
    const zPos = minPos(z);
    let idx: number[] = [];
    if (zPos < gamma) {
      idx = z.flatMap((v, i) => (v === zPos ? [i] : [])).reverse();
      gamma = zPos;
      drop = true;
    }
    nIter++;
    const next = new Float64Array(p);
    active.forEach((f, i) => (next[f] = coef[f]! + gamma * ls[i]!));
    coefs[nIter] = next;
    inactive.forEach((f, t) => (cov[f]! -= gamma * corrEqDir[t]!));
    if (drop) {
      dropped = idx.map((i) => active[i]!);
      const keep = active.map((_, i) => !idx.includes(i));
      active = active.filter((_, i) => keep[i]);
      sign = sign.filter((_, i) => keep[i]);
      for (const f of dropped) isActive[f] = 0;
      l = new Float64Array(p * p);
      const ka = active.length;
      const sub = new Float64Array(ka * ka);
      active.forEach((a, i) => active.forEach((b, j) => (sub[i * ka + j] = g[a * p + b]!)));
      const lf = ka > 0 ? cholesky(sub, ka) : new Float64Array(0);
      if (!lf) break;
      for (let i = 0; i < ka; i++) for (let j = 0; j <= i; j++) l[i * p + j] = lf[i * ka + j]!;
      // sklearn recomputes a dropped regressor's correlation from scratch.
      for (const f of dropped) {
        let s = xy[f]!;
        for (let h = 0; h < p; h++) s -= g[f * p + h]! * next[h]!;
        cov[f] = s;
      }
    }
  }
  return { alphas, coefs: coefs.slice(0, nIter + 1) };
}

export interface LassoLarsIcFit {
  /** Chosen coefficients (on the given columns' scale). */
  coef: Float64Array;
  /** BIC of every knot of the path. */
  criterion: Float64Array;
  /** Index of the chosen knot (first minimum). */
  best: number;
  noiseVariance: number;
  path: LarsPath;
}

/**
 * Least-squares coefficients from a Gram matrix g (p × p) and xy = Xᵀy of
 * centred data (the normal equations); undefined when g is singular.
 */
export function olsFromGram(
  g: Float64Array,
  xy: Float64Array,
  p: number,
): Float64Array | undefined {
  if (p === 0) return new Float64Array(0);
  const l = cholesky(g, p);
  return l ? choleskySolve(l, p, p, xy) : undefined;
}

function checkSamples(n: number, p: number): void {
  if (n <= p + 1) {
    throw new ChromflowError(
      'VALUE',
      'too few samples to estimate the noise variance for the BIC',
      {
        field: 'nSamples',
        expected: `more than ${p + 1} samples for ${p} regressors`,
        found: String(n),
      },
    );
  }
}

/**
 * `lassoLarsBic` from the Gram matrix g (p × p), xy = Xᵀy and yy = yᵀy of
 * centred data with n rows. `rss(b)` gives a coefficient vector's residual sum
 * of squares; by default yᵀy − 2bᵀXᵀy + bᵀGb, which is exact enough unless the
 * fit is (nearly) exact — `lassoLarsBic` on columns computes it from residuals.
 */
export function lassoLarsBicGram(
  g: Float64Array,
  xy: Float64Array,
  yy: number,
  p: number,
  n: number,
  rss: (b: Float64Array) => number = (b) => rssFromGram(g, xy, yy, p, b),
): LassoLarsIcFit {
  checkSamples(n, p);
  const path = larsLassoPath(g, xy, p, n);
  // Noise variance of the OLS fit on the centred data (sklearn's _estimate_noise_variance).
  // A zero-weight column (adaptive lasso) is left out of that fit: it changes neither RSS nor the path.
  const used = Array.from({ length: p }, (_, i) => i).filter((i) => g[i * p + i]! > 0);
  const sub = new Float64Array(used.length * used.length);
  used.forEach((a, i) => used.forEach((b, j) => (sub[i * used.length + j] = g[a * p + b]!)));
  const beta = olsFromGram(
    sub,
    Float64Array.from(used, (i) => xy[i]!),
    used.length,
  );
  const full = new Float64Array(p);
  if (beta) used.forEach((i, t) => (full[i] = beta[t]!));
  const noiseVariance = rss(full) / (n - p - 1);
  const logN = Math.log(n);
  const criterion = Float64Array.from(path.coefs, (b) => {
    let df = 0;
    for (let i = 0; i < p; i++) if (Math.abs(b[i]!) > EPS) df++;
    return n * Math.log(2 * Math.PI * noiseVariance) + rss(b) / noiseVariance + logN * df;
  });
  let best = 0;
  for (let k = 1; k < criterion.length; k++) if (criterion[k]! < criterion[best]!) best = k;
  return { coef: path.coefs[best]!, criterion, best, noiseVariance, path };
}

/** yᵀy − 2bᵀXᵀy + bᵀGb. */
export function rssFromGram(
  g: Float64Array,
  xy: Float64Array,
  yy: number,
  p: number,
  b: Float64Array,
): number {
  let s = yy;
  for (let i = 0; i < p; i++) {
    const bi = b[i]!;
    if (bi === 0) continue;
    s -= 2 * bi * xy[i]!;
    for (let j = 0; j < p; j++) s += bi * g[i * p + j]! * b[j]!;
  }
  return s;
}

/**
 * sklearn `LassoLarsIC(criterion='bic')` (fit_intercept, no normalisation,
 * noise variance from the OLS fit: RSS / (n − p − 1)): the LARS-lasso knot
 * with the smallest n·log(2πσ²) + RSS/σ² + log(n)·df, df = non-zero
 * coefficients (|b| > float64 eps). RSS from the residuals, as sklearn.
 */
export function lassoLarsBic(cols: readonly Float64Array[], y: Float64Array): LassoLarsIcFit {
  const n = y.length;
  const p = cols.length;
  checkSamples(n, p);
  const xc = centred(cols, n);
  const [yc] = centred([y], n);
  const g = new Float64Array(p * p);
  const xy = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    xy[a] = dot(xc[a]!, yc!);
    for (let b = 0; b <= a; b++) g[a * p + b] = g[b * p + a] = dot(xc[a]!, xc[b]!);
  }
  const residual = new Float64Array(n);
  const rss = (b: Float64Array): number => {
    residual.set(yc!);
    for (let j = 0; j < p; j++) {
      const bj = b[j]!;
      if (bj === 0) continue;
      const xj = xc[j]!;
      for (let i = 0; i < n; i++) residual[i]! -= bj * xj[i]!;
    }
    return dot(residual, residual);
  };
  return lassoLarsBicGram(g, xy, dot(yc!, yc!), p, n, rss);
}
