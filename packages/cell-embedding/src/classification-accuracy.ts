import { ChromflowError, SeededRandom } from '@chromflow/core';
import {
  fitLogisticRegression,
  predictClasses,
  type LogisticRegressionOptions,
} from './logistic-regression.js';

/**
 * Stratified k-fold split: each label's items, shuffled (seeded), are dealt
 * to the folds in turn, continuing across labels, so every fold holds about
 * 1/k of each label and the fold sizes differ by at most one. Returns the
 * fold (0…k−1) of each item.
 */
export function stratifiedFolds(labels: readonly string[], k: number, seed: number): Int32Array {
  if (!(Number.isInteger(k) && k >= 2 && k <= labels.length)) {
    throw new ChromflowError('PARAM', 'invalid number of folds', {
      field: 'folds',
      expected: `an integer in 2…${labels.length}`,
      found: String(k),
    });
  }
  const rng = new SeededRandom(seed);
  const byLabel = new Map<string, number[]>();
  labels.forEach((l, i) => {
    const m = byLabel.get(l);
    if (m) m.push(i);
    else byLabel.set(l, [i]);
  });
  const fold = new Int32Array(labels.length);
  let next = 0;
  for (const name of [...byLabel.keys()].sort()) {
    for (const i of rng.shuffle(Int32Array.from(byLabel.get(name)!))) {
      fold[i] = next;
      next = (next + 1) % k;
    }
  }
  return fold;
}

export interface CrossValidatedAccuracy {
  /** Correct held-out predictions / items (every item is predicted once). */
  accuracy: number;
  foldAccuracies: number[];
  /** Held-out prediction of each item. */
  predicted: string[];
  folds: Int32Array;
}

/**
 * k-fold cross-validated accuracy of multinomial logistic regression on the
 * n × d rows of `x`: each fold is predicted by a model fitted on the others.
 * `folds` (fold of each item) defaults to `stratifiedFolds(labels, 5, seed)`.
 */
export function crossValidatedAccuracy(
  x: ArrayLike<number>,
  n: number,
  d: number,
  labels: readonly string[],
  o: LogisticRegressionOptions & { folds?: Int32Array; seed?: number } = {},
): CrossValidatedAccuracy {
  const folds = o.folds ?? stratifiedFolds(labels, 5, o.seed ?? 0);
  const k = Math.max(...folds) + 1;
  const predicted = new Array<string>(n).fill('');
  const foldAccuracies: number[] = [];
  let correct = 0;
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (folds[i] === f ? test : train).push(i);
    const rows = (idx: number[]): Float64Array => {
      const out = new Float64Array(idx.length * d);
      idx.forEach((i, r) => {
        for (let j = 0; j < d; j++) out[r * d + j] = x[i * d + j]!;
      });
      return out;
    };
    const model = fitLogisticRegression(
      rows(train),
      train.length,
      d,
      train.map((i) => labels[i]!),
      o,
    );
    const p = predictClasses(model, rows(test), test.length);
    let ok = 0;
    test.forEach((i, r) => {
      predicted[i] = p[r]!;
      if (p[r] === labels[i]) ok++;
    });
    correct += ok;
    foldAccuracies.push(ok / Math.max(test.length, 1));
  }
  return { accuracy: correct / n, foldAccuracies, predicted, folds };
}
