import { describe, expect, it } from 'vitest';
import { ChromflowError, SeededRandom } from '@chromflow/core';
import { adjustedMutualInformation, homogeneity } from '../src/mutual-information.js';
import { fitLogisticRegression, predictProbabilities } from '../src/logistic-regression.js';
import { crossValidatedAccuracy, stratifiedFolds } from '../src/classification-accuracy.js';
import { findPython, runPythonJsonInput } from './python.js';

const sklearn = findPython('sklearn', 'numpy');

/** A labeling of n items into k classes and a noisy copy into k2 clusters (a fraction `noise` relabelled at random). */
function labelings(n: number, k: number, k2: number, noise: number, seed: number) {
  const rng = new SeededRandom(seed);
  const a = Array.from({ length: n }, () => rng.int(0, k));
  const b = a.map((v) => (rng.uniform() < noise ? rng.int(0, k2) : v % k2));
  return { a, b };
}

describe('adjustedMutualInformation and homogeneity', () => {
  it('give the textbook values on small cases', () => {
    expect(adjustedMutualInformation([0, 0, 1, 1], [1, 1, 0, 0])).toBeCloseTo(1, 12);
    expect(adjustedMutualInformation(['x', 'x'], ['y', 'y'])).toBe(1);
    // Perfectly homogeneous clusters (each holds one class), and one cluster holding all.
    expect(homogeneity([0, 0, 1, 1], [0, 1, 2, 3])).toBeCloseTo(1, 12);
    expect(homogeneity([0, 0, 1, 1], [5, 5, 5, 5])).toBe(0);
    // H(C) = ln 2, H(C|K) = ½ ln 2 (cluster 1 holds {0,1}, cluster 0 and 2 are pure).
    expect(homogeneity([0, 0, 1, 1], [0, 1, 1, 2])).toBeCloseTo(0.5, 12);
    expect(() => homogeneity([0], [0, 1])).toThrow(ChromflowError);
  });

  it.skipIf(!sklearn)('equal scikit-learn adjusted_mutual_info_score / homogeneity_score', () => {
    const cases = [
      labelings(30, 3, 3, 0.3, 1),
      labelings(500, 6, 8, 0.5, 2),
      labelings(2067, 16, 16, 0.4, 3),
      labelings(1000, 5, 5, 1, 4),
      labelings(200, 2, 7, 0.1, 5),
    ];
    const want = runPythonJsonInput<{ ami: number; homogeneity: number }[]>(
      sklearn!,
      'sklearn_label_scores.py',
      { pairs: cases.map((c) => [c.a, c.b]) },
    );
    cases.forEach((c, i) => {
      expect(adjustedMutualInformation(c.a, c.b)).toBeCloseTo(want[i]!.ami, 9);
      expect(homogeneity(c.a, c.b)).toBeCloseTo(want[i]!.homogeneity, 9);
    });
  });
});

/** n points around k overlapping centres in d dims, labels 'c0'…; row-major. */
function blobs(n: number, d: number, k: number, spread: number, seed: number) {
  const rng = new SeededRandom(seed);
  const centres = Array.from({ length: k * d }, () => spread * rng.normal());
  const labels = Array.from({ length: n }, (_, i) => `c${(i * 7) % k}`);
  const x = new Float64Array(n * d);
  labels.forEach((l, i) => {
    const c = Number(l.slice(1));
    for (let j = 0; j < d; j++) x[i * d + j] = centres[c * d + j]! + rng.normal();
  });
  return { x, labels };
}

describe('stratifiedFolds', () => {
  it('puts about 1/k of every label in each fold, deterministically', () => {
    const labels = Array.from({ length: 103 }, (_, i) =>
      i % 10 < 7 ? 'a' : i % 10 < 9 ? 'b' : 'c',
    );
    const f = stratifiedFolds(labels, 5, 3);
    expect(stratifiedFolds(labels, 5, 3)).toEqual(f);
    for (const l of ['a', 'b', 'c']) {
      const per = [0, 0, 0, 0, 0];
      labels.forEach((x, i) => x === l && per[f[i]!]!++);
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
    }
    const sizes = [0, 0, 0, 0, 0];
    f.forEach((v) => sizes[v]!++);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(() => stratifiedFolds(labels, 1, 0)).toThrow(ChromflowError);
  });
});

describe('logistic regression', () => {
  it('refuses a single class and mismatched inputs', () => {
    expect(() => fitLogisticRegression([1, 2], 2, 1, ['a', 'a'])).toThrow(ChromflowError);
    expect(() => fitLogisticRegression([1, 2, 3], 2, 1, ['a', 'b'])).toThrow(ChromflowError);
  });

  it.skipIf(!sklearn)(
    'matches scikit-learn LogisticRegression (lbfgs, multinomial, C 1 and 0.1) on the same 5 folds: probabilities within 1e-4, every prediction',
    () => {
      const n = 400;
      const d = 6;
      const { x, labels } = blobs(n, d, 5, 1.2, 7);
      const folds = stratifiedFolds(labels, 5, 0);
      for (const C of [1, 0.1]) {
        const ours = crossValidatedAccuracy(x, n, d, labels, { folds, C });
        const want = runPythonJsonInput<{ predicted: string[]; probabilities: number[][] }>(
          sklearn!,
          'sklearn_label_scores.py',
          { x: Array.from(x), n, d, labels, folds: Array.from(folds), C },
        );
        expect(ours.predicted).toEqual(want.predicted);
        const acc = want.predicted.filter((p, i) => p === labels[i]).length / n;
        expect(ours.accuracy).toBeCloseTo(acc, 12);
        expect(ours.accuracy).toBeGreaterThan(0.4);
        expect(ours.accuracy).toBeLessThan(1);
        // Probabilities of fold 0's model on its held-out rows.
        const train = labels.flatMap((_, i) => (folds[i] === 0 ? [] : [i]));
        const test = labels.flatMap((_, i) => (folds[i] === 0 ? [i] : []));
        const pick = (idx: number[]) =>
          Float64Array.from(idx.flatMap((i) => Array.from(x.subarray(i * d, i * d + d))));
        const m = fitLogisticRegression(
          pick(train),
          train.length,
          d,
          train.map((i) => labels[i]!),
          { C },
        );
        expect(m.converged).toBe(true);
        const p = predictProbabilities(m, pick(test), test.length);
        test.forEach((i, r) =>
          want.probabilities[i]!.forEach((v, c) =>
            expect(Math.abs(p[r * 5 + c]! - v)).toBeLessThan(1e-4),
          ),
        );
      }
    },
  );
});
