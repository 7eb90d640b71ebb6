import { ChromflowError, type LongRunOptions, throwIfAborted } from '@chromflow/core';
import { lassoLarsBic, lassoLarsBicGram, olsFromGram } from './lasso-lars-ic.js';

/**
 * DirectLiNGAM (Shimizu et al., JMLR 2011) as the `lingam` Python package
 * (cdt15/lingam, `DirectLiNGAM()` with its defaults, measure 'pwling') does it:
 *
 * 1. Causal order: repeatedly pick the most exogenous remaining variable by
 *    the pairwise likelihood-ratio measure of Hyvärinen & Smith (2013) —
 *    M_i = Σ_j min(0, Ĥ(x_j) + Ĥ(r_i←j) − Ĥ(x_i) − Ĥ(r_j←i))², every variable
 *    standardised, r the OLS residual, Ĥ Hyvärinen's maximum-entropy
 *    approximation (k1 79.047, k2 7.4129, γ 0.37457) — the smallest M (first
 *    on ties) is next; then every other variable is replaced by its residual
 *    on it (OLS slope cov/var, population moments, original scale).
 * 2. Adjacency by adaptive lasso ('adaptive-lasso', the package default,
 *    `predict_adaptive_lasso`): each variable on all its predecessors in the
 *    order, standardised; weights |OLS coefficient|^gamma; LassoLarsIC(BIC)
 *    on the weighted predictors picks the parents; the kept parents'
 *    coefficients are the OLS fit on the original scale. 'none' keeps every
 *    predecessor with its OLS coefficient (a full DAG, no pruning).
 *
 * The order search costs O(p³·n) entropy evaluations; `maxVariables` keeps
 * the highest-variance columns (see the README for timings).
 */

export interface DirectLingamOptions extends LongRunOptions {
  /**
   * Analyse only this many columns, those with the largest variance (ties:
   * lower index). Default: all. Constant columns are always left out.
   */
  maxVariables?: number;
  /** Parent selection: 'adaptive-lasso' (lingam's default) or 'none' (OLS on all predecessors). */
  pruning?: 'adaptive-lasso' | 'none';
  /** Adaptive-lasso weight exponent (lingam's `gamma`, default 1). */
  gamma?: number;
}

export interface DirectLingamResult {
  /** Causal order, first = most exogenous; column indices of `x`, analysed columns only. */
  order: number[];
  /** nVars × nVars row-major: adjacency[i·nVars + j] = direct effect of column j on column i; 0 outside `variables`. */
  adjacency: Float64Array;
  /** Columns analysed (ascending): all non-constant ones, or the top-variance `maxVariables`. */
  variables: number[];
}

const K1 = 79.047;
const K2 = 7.4129;
const GAMMA = 0.37457;

/** Mean and population variance (np.mean, np.var). */
function moments(x: Float64Array): [number, number] {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]!;
  const m = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - m;
    v += d * d;
  }
  return [m, v / n];
}

/** Population covariance (np.cov(bias=True)[0, 1]). */
function covariance(a: Float64Array, ma: number, b: Float64Array, mb: number): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - ma) * (b[i]! - mb);
  return s / a.length;
}

/**
 * Hyvärinen's entropy approximation of u without its constant
 * (1 + log 2π)/2, which cancels in the measure. log cosh(u) is computed as
 * |u| − log 2 + log1p(e^(−2|u|)) (equal, and no overflow).
 */
function entropyTerm(sumLogCosh: number, sumUExp: number, n: number): number {
  const a = sumLogCosh / n - GAMMA;
  const b = sumUExp / n;
  return -K1 * a * a - K2 * b * b;
}

function entropyOf(u: Float64Array, scale: number): number {
  let lc = 0;
  let ue = 0;
  for (let i = 0; i < u.length; i++) {
    const v = u[i]! * scale;
    const av = Math.abs(v);
    lc += av + Math.log1p(Math.exp(-2 * av));
    ue += v * Math.exp(-0.5 * v * v);
  }
  return entropyTerm(lc - u.length * Math.LN2, ue, u.length);
}

/**
 * Ĥ of the residual r = a − c·b divided by its population std (lingam divides
 * without centring). `variance` is r's variance computed as var(a) − cov²/var(b);
 * where that cancels (r ≈ 0 relative to a) it is recomputed from r itself.
 */
function residualEntropy(
  a: Float64Array,
  b: Float64Array,
  c: number,
  variance: number,
  varianceA: number,
  scratch: Float64Array,
): number {
  const n = a.length;
  let v = variance;
  if (!(v > 1e-8 * varianceA)) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const r = a[i]! - c * b[i]!;
      scratch[i] = r;
      s += r;
    }
    const m = s / n;
    v = 0;
    for (let i = 0; i < n; i++) {
      const d = scratch[i]! - m;
      v += d * d;
    }
    v /= n;
  }
  const scale = 1 / Math.sqrt(v);
  let lc = 0;
  let ue = 0;
  for (let i = 0; i < n; i++) {
    const u = (a[i]! - c * b[i]!) * scale;
    const au = Math.abs(u);
    lc += au + Math.log1p(Math.exp(-2 * au));
    ue += u * Math.exp(-0.5 * u * u);
  }
  return entropyTerm(lc - n * Math.LN2, ue, n);
}

/** Index (into `u`) of the most exogenous variable among columns `u` of `cols` (lingam `_search_causal_order`). */
function mostExogenous(
  cols: Float64Array[],
  u: number[],
  n: number,
  scratch: Float64Array,
): number {
  if (u.length === 1) return 0;
  const std = u.map((k) => {
    const [m, v] = moments(cols[k]!);
    const sd = Math.sqrt(v);
    return Float64Array.from(cols[k]!, (x) => (x - m) / sd);
  });
  const mom = std.map(moments);
  const h = std.map((x) => entropyOf(x, 1));
  const score = new Float64Array(u.length);
  for (let i = 0; i < u.length; i++) {
    for (let j = i + 1; j < u.length; j++) {
      const [mi, vi] = mom[i]!;
      const [mj, vj] = mom[j]!;
      // OLS slopes both ways from one covariance (np.cov(bias=True) / np.var).
      const cov = covariance(std[i]!, mi, std[j]!, mj);
      const rij = residualEntropy(std[i]!, std[j]!, cov / vj, vi - (cov * cov) / vj, vi, scratch);
      const rji = residualEntropy(std[j]!, std[i]!, cov / vi, vj - (cov * cov) / vi, vj, scratch);
      const d = h[j]! + rij - (h[i]! + rji);
      // diff(j, i) = −diff(i, j): the pair adds min(0, ±d)² to one side only.
      if (d < 0) score[i]! += d * d;
      else score[j]! += d * d;
    }
  }
  let best = 0;
  for (let i = 1; i < u.length; i++) if (score[i]! < score[best]!) best = i;
  return best;
}

/** Gram matrix (p × p, row-major) of columns. */
function gram(cols: readonly Float64Array[]): Float64Array {
  const p = cols.length;
  const g = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    const ca = cols[a]!;
    for (let b = 0; b <= a; b++) {
      const cb = cols[b]!;
      let s = 0;
      for (let i = 0; i < ca.length; i++) s += ca[i]! * cb[i]!;
      g[a * p + b] = g[b * p + a] = s;
    }
  }
  return g;
}

/** OLS slopes of `target` on `predictors` from a Gram matrix of centred columns (stride p). */
function solve(
  g: Float64Array,
  p: number,
  predictors: readonly number[],
  target: number,
): Float64Array {
  const k = predictors.length;
  const sub = new Float64Array(k * k);
  predictors.forEach((a, i) => predictors.forEach((b, j) => (sub[i * k + j] = g[a * p + b]!)));
  const beta = olsFromGram(
    sub,
    Float64Array.from(predictors, (a) => g[a * p + target]!),
    k,
  );
  if (!beta) {
    throw new ChromflowError('VALUE', 'collinear variables: least squares has no unique solution', {
      field: 'x',
      expected: 'variables none of which is a linear combination of others',
      found: `a singular Gram matrix for ${k} predictors of variable ${target}`,
    });
  }
  return beta;
}

/** Top-variance non-constant columns (ascending), as `maxVariables` selects them. */
export function selectLingamVariables(
  cols: readonly Float64Array[],
  maxVariables?: number,
): number[] {
  const variance = cols.map((c) => moments(c)[1]);
  let keep = cols.map((_, i) => i).filter((i) => variance[i]! > 0);
  if (maxVariables !== undefined && keep.length > maxVariables) {
    keep = keep
      .sort((a, b) => variance[b]! - variance[a]! || a - b)
      .slice(0, maxVariables)
      .sort((a, b) => a - b);
  }
  return keep;
}

/**
 * DirectLiNGAM on `x` (nSamples × nVars, row-major; for GET, genes × motifs).
 * Returns the causal order and the adjacency matrix B (x = Bx + e).
 */
export function directLingam(
  x: Float64Array,
  nSamples: number,
  nVars: number,
  options: DirectLingamOptions = {},
): DirectLingamResult {
  if (x.length !== nSamples * nVars) {
    throw new ChromflowError('VALUE', 'the data do not have nSamples × nVars entries', {
      field: 'x',
      expected: `${nSamples} × ${nVars} = ${nSamples * nVars}`,
      found: String(x.length),
    });
  }
  const { maxVariables, pruning = 'adaptive-lasso', gamma = 1, signal, onProgress } = options;
  if (maxVariables !== undefined && !(Number.isInteger(maxVariables) && maxVariables >= 1)) {
    throw new ChromflowError('PARAM', 'maxVariables must be a positive integer', {
      field: 'maxVariables',
      found: String(maxVariables),
    });
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) {
      throw new ChromflowError('VALUE', 'the data hold a non-finite value', {
        field: 'x',
        expected: 'finite numbers',
        found: `${x[i]} at sample ${Math.floor(i / nVars)}, variable ${i % nVars}`,
      });
    }
  }
  const all = Array.from({ length: nVars }, (_, v) => {
    const c = new Float64Array(nSamples);
    for (let s = 0; s < nSamples; s++) c[s] = x[s * nVars + v]!;
    return c;
  });
  const variables = selectLingamVariables(all, maxVariables);
  const p = variables.length;
  // The last variable's BIC needs more samples than its p − 1 predictors + 2 (sklearn's noise variance).
  if (p > 1 && nSamples <= p && pruning === 'adaptive-lasso') {
    throw new ChromflowError('VALUE', 'too few samples for DirectLiNGAM with BIC pruning', {
      field: 'nSamples',
      expected: `more than ${p} samples for ${p} variables (or a smaller maxVariables)`,
      found: String(nSamples),
    });
  }
  const original = variables.map((v) => all[v]!);
  const work = original.map((c) => c.slice());
  const scratch = new Float64Array(nSamples);
  const total = p + Math.max(0, p - 1);
  onProgress?.(0, total, 'causal order');

  // 1. Causal order.
  let remaining = Array.from({ length: p }, (_, i) => i);
  const order: number[] = [];
  for (let step = 0; step < p; step++) {
    throwIfAborted(signal);
    const m = remaining[mostExogenous(work, remaining, nSamples, scratch)]!;
    const xm = work[m]!;
    const [mm, vm] = moments(xm);
    for (const i of remaining) {
      if (i === m) continue;
      const xi = work[i]!;
      const [mi] = moments(xi);
      const c = covariance(xi, mi, xm, mm) / vm;
      for (let s = 0; s < nSamples; s++) xi[s]! -= c * xm[s]!;
    }
    order.push(m);
    remaining = remaining.filter((i) => i !== m);
    onProgress?.(step + 1, total, 'causal order');
  }

  // 2. Adjacency on the original data. Every regression is on centred columns, so two p × p Gram
  // matrices (standardised, raw) hold all they need; only near-exact fits go back to the columns.
  const adjacency = new Float64Array(nVars * nVars);
  const standardised = original.map((c) => {
    const [m, v] = moments(c);
    const sd = Math.sqrt(v) || 1; // sklearn StandardScaler leaves a zero scale as 1
    return Float64Array.from(c, (t) => (t - m) / sd);
  });
  const centredRaw = original.map((c) => {
    const [m] = moments(c);
    return Float64Array.from(c, (t) => t - m);
  });
  const gramS = gram(standardised);
  const gramC = gram(centredRaw);
  for (let k = 1; k < p; k++) {
    throwIfAborted(signal);
    const target = order[k]!;
    const predictors = order.slice(0, k);
    let coef: Float64Array;
    if (pruning === 'none') {
      coef = solve(gramC, p, predictors, target);
    } else {
      const weights = solve(gramS, p, predictors, target).map((b) => Math.abs(b) ** gamma);
      const g = new Float64Array(k * k);
      const xy = new Float64Array(k);
      predictors.forEach((a, i) => {
        xy[i] = weights[i]! * gramS[a * p + target]!;
        predictors.forEach(
          (b, j) => (g[i * k + j] = weights[i]! * gramS[a * p + b]! * weights[j]!),
        );
      });
      const yy = gramS[target * p + target]!;
      let lasso = lassoLarsBicGram(g, xy, yy, k, nSamples);
      if (lasso.noiseVariance * (nSamples - k - 1) <= 1e-8 * yy) {
        lasso = lassoLarsBic(
          predictors.map((j, t) => Float64Array.from(standardised[j]!, (v) => v * weights[t]!)),
          standardised[target]!,
        );
      }
      const kept = predictors.flatMap((_, t) =>
        Math.abs(lasso.coef[t]! * weights[t]!) > 0 ? [t] : [],
      );
      coef = new Float64Array(k);
      const refit = solve(
        gramC,
        p,
        kept.map((t) => predictors[t]!),
        target,
      );
      kept.forEach((t, i) => (coef[t] = refit[i]!));
    }
    const row = variables[target]!;
    predictors.forEach((j, t) => (adjacency[row * nVars + variables[j]!] = coef[t]!));
    onProgress?.(p + k, total, 'adjacency');
  }
  return { order: order.map((i) => variables[i]!), adjacency, variables };
}
