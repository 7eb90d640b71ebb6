/**
 * Limited-memory BFGS (Nocedal & Wright, algorithm 7.4/7.5) with a
 * backtracking Armijo line search, for smooth convex objectives such as
 * L2-regularised logistic regression. `fg(x, grad)` returns f(x) and writes
 * ∇f(x) into `grad`.
 */
export interface LbfgsOptions {
  /** Stop when max |∇f| ≤ gradTol (scikit-learn's lbfgs `tol` criterion). */
  gradTol?: number;
  maxIterations?: number;
  /** Correction pairs kept. */
  memory?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  converged: boolean;
}

export function lbfgs(
  fg: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  o: LbfgsOptions = {},
): LbfgsResult {
  const gradTol = o.gradTol ?? 1e-6;
  const maxIt = o.maxIterations ?? 1000;
  const m = o.memory ?? 10;
  const n = x0.length;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let f = fg(x, g);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const alpha = new Float64Array(m);
  const dot = (a: Float64Array, b: Float64Array): number => {
    let t = 0;
    for (let i = 0; i < n; i++) t += a[i]! * b[i]!;
    return t;
  };
  const maxAbs = (a: Float64Array): number => a.reduce((t, v) => Math.max(t, Math.abs(v)), 0);
  let it = 0;
  for (; it < maxIt && maxAbs(g) > gradTol; it++) {
    // Two-loop recursion: dir = −H∇f.
    for (let i = 0; i < n; i++) dir[i] = -g[i]!;
    for (let k = s.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(s[k]!, dir);
      for (let i = 0; i < n; i++) dir[i]! -= alpha[k]! * y[k]![i]!;
    }
    if (s.length > 0) {
      const last = s.length - 1;
      const gamma = dot(s[last]!, y[last]!) / dot(y[last]!, y[last]!);
      for (let i = 0; i < n; i++) dir[i]! *= gamma;
    } else {
      // First step: a unit-length steepest descent step.
      const norm = Math.sqrt(dot(g, g));
      for (let i = 0; i < n; i++) dir[i]! /= Math.max(norm, 1);
    }
    for (let k = 0; k < s.length; k++) {
      const b = rho[k]! * dot(y[k]!, dir);
      for (let i = 0; i < n; i++) dir[i]! += (alpha[k]! - b) * s[k]![i]!;
    }
    let slope = dot(g, dir);
    if (slope >= 0) {
      // Not a descent direction (curvature lost): restart from steepest descent.
      s.length = y.length = rho.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i]!;
      slope = -dot(g, g);
    }
    let step = 1;
    let fNew = Infinity;
    for (let tries = 0; tries < 60; tries++, step /= 2) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * dir[i]!;
      fNew = fg(xNew, gNew);
      if (fNew <= f + 1e-4 * step * slope) break;
    }
    if (!(fNew < f) && !(fNew <= f + 1e-4 * step * slope)) break;
    const sk = new Float64Array(n);
    const yk = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sk[i] = xNew[i]! - x[i]!;
      yk[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(sk, yk);
    // Keep only pairs with positive curvature (the inverse-Hessian estimate stays positive definite).
    if (sy > 1e-12 * Math.sqrt(dot(yk, yk) * dot(sk, sk))) {
      if (s.length === m) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    x.set(xNew);
    g.set(gNew);
    f = fNew;
  }
  return { x, f, iterations: it, converged: maxAbs(g) <= gradTol };
}
