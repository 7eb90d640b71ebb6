import { ChromflowError } from '@chromflow/core';
import { lbfgs } from './lbfgs.js';

/**
 * Multinomial logistic regression with an L2 penalty on the weights (not the
 * intercepts), the objective of scikit-learn's `LogisticRegression(C=…)`
 * with the lbfgs solver: C·Σᵢ −log softmax(Wxᵢ + b)[yᵢ] + ½‖W‖². It is
 * strictly convex in W, so a converged fit is the same model as sklearn's.
 */
export interface LogisticRegressionOptions {
  /** Inverse regularisation strength (sklearn's C; default 1). */
  C?: number;
  maxIterations?: number;
  /** Convergence: max |gradient| of the per-cell objective (default 1e-6). */
  gradTol?: number;
}

export interface LogisticRegressionModel {
  /** Class names, sorted (sklearn's `classes_`); row k of coef is class k. */
  classes: string[];
  dim: number;
  /** K × d, row-major. */
  coef: Float64Array;
  intercept: Float64Array;
  iterations: number;
  converged: boolean;
}

/** Row-wise softmax of `z` (n × K) in place. */
function softmaxRows(z: Float64Array, n: number, k: number): void {
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, z[i * k + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += z[i * k + c] = Math.exp(z[i * k + c]! - max);
    for (let c = 0; c < k; c++) z[i * k + c]! /= sum;
  }
}

function scores(
  x: ArrayLike<number>,
  n: number,
  d: number,
  w: Float64Array,
  k: number,
): Float64Array {
  // w: coef (k × d) then intercept (k).
  const z = new Float64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < k; c++) {
      let t = w[k * d + c]!;
      for (let j = 0; j < d; j++) t += x[i * d + j]! * w[c * d + j]!;
      z[i * k + c] = t;
    }
  return z;
}

/** Fits on the n × d row-major features `x` with one label per row (two or more distinct labels). */
export function fitLogisticRegression(
  x: ArrayLike<number>,
  n: number,
  d: number,
  labels: readonly string[],
  o: LogisticRegressionOptions = {},
): LogisticRegressionModel {
  if (x.length !== n * d || labels.length !== n) {
    throw new ChromflowError('VALUE', 'features and labels do not match', {
      field: 'labels',
      expected: `${n} labels and ${n * d} feature values`,
      found: `${labels.length} labels, ${x.length} values`,
    });
  }
  const classes = [...new Set(labels)].sort();
  const k = classes.length;
  if (k < 2) {
    throw new ChromflowError('VALUE', 'logistic regression needs two or more classes', {
      field: 'labels',
      expected: '≥ 2 distinct labels',
      found: String(k),
    });
  }
  const C = o.C ?? 1;
  const index = new Map(classes.map((c, i) => [c, i]));
  const y = Int32Array.from(labels, (l) => index.get(l)!);
  // Scaled by 1/(C·n) so the gradient tolerance does not depend on n.
  const scale = 1 / n;
  const penalty = 1 / (C * n);
  const fg = (w: Float64Array, grad: Float64Array): number => {
    const p = scores(x, n, d, w, k);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, p[i * k + c]!);
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(p[i * k + c]! - max);
      loss += max + Math.log(sum) - p[i * k + y[i]!]!;
    }
    softmaxRows(p, n, k);
    for (let i = 0; i < n; i++) p[i * k + y[i]!]! -= 1;
    grad.fill(0);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < k; c++) {
        const r = p[i * k + c]! * scale;
        if (r === 0) continue;
        for (let j = 0; j < d; j++) grad[c * d + j]! += r * x[i * d + j]!;
        grad[k * d + c]! += r;
      }
    let ww = 0;
    for (let q = 0; q < k * d; q++) {
      ww += w[q]! ** 2;
      grad[q]! += penalty * w[q]!;
    }
    return loss * scale + 0.5 * penalty * ww;
  };
  const r = lbfgs(fg, new Float64Array(k * d + k), {
    gradTol: o.gradTol ?? 1e-6,
    maxIterations: o.maxIterations ?? 2000,
  });
  return {
    classes,
    dim: d,
    coef: r.x.slice(0, k * d),
    intercept: r.x.slice(k * d),
    iterations: r.iterations,
    converged: r.converged,
  };
}

/** Class probabilities, n × K row-major (columns in `model.classes` order). */
export function predictProbabilities(
  model: LogisticRegressionModel,
  x: ArrayLike<number>,
  n: number,
): Float64Array {
  const k = model.classes.length;
  const w = new Float64Array(k * model.dim + k);
  w.set(model.coef);
  w.set(model.intercept, k * model.dim);
  const p = scores(x, n, model.dim, w, k);
  softmaxRows(p, n, k);
  return p;
}

/** The most probable class of each row (first class on ties, like sklearn's argmax). */
export function predictClasses(
  model: LogisticRegressionModel,
  x: ArrayLike<number>,
  n: number,
): string[] {
  const k = model.classes.length;
  const p = predictProbabilities(model, x, n);
  return Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[i * k + c]! > p[i * k + best]!) best = c;
    return model.classes[best]!;
  });
}
