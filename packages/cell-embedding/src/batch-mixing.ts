import { ChromflowError } from '@chromflow/core';
import type { Neighbours } from './knn-graph.js';

/**
 * How well batches mix in an embedding, read from each cell's k nearest
 * neighbours (`nearestNeighbours`). Both scores compare a neighbourhood's
 * batch composition with the whole data's: a perfectly mixed embedding has
 * neighbourhoods like the whole; one split by batch has one-batch ones.
 */

/** Batch index of each cell and the number of batches. */
function batchCodes(
  batches: readonly (string | number)[],
  n: number,
): { codes: Int32Array; b: number } {
  if (batches.length !== n) {
    throw new ChromflowError('VALUE', 'one batch label per cell is needed', {
      field: 'batches',
      expected: `${n} labels (the neighbour graph's cells)`,
      found: String(batches.length),
    });
  }
  const index = new Map<string | number, number>();
  const codes = Int32Array.from(batches, (x) => {
    let i = index.get(x);
    if (i === undefined) index.set(x, (i = index.size));
    return i;
  });
  return { codes, b: index.size };
}

function entropy(counts: ArrayLike<number>, total: number): number {
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const p = counts[i]! / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

/**
 * kNN batch entropy: the mean over cells of the Shannon entropy of the batch
 * labels of its k neighbours, divided by the entropy of the batch
 * frequencies over all cells. About 1 when batches are mixed (can exceed it
 * a little by chance), 0 when every neighbourhood is one batch; 1 for one batch.
 */
export function knnBatchEntropy(knn: Neighbours, batches: readonly (string | number)[]): number {
  const { codes, b } = batchCodes(batches, knn.n);
  if (b < 2 || knn.k === 0) return 1;
  const global = new Float64Array(b);
  for (const c of codes) global[c]!++;
  const hAll = entropy(global, knn.n);
  const counts = new Float64Array(b);
  let sum = 0;
  for (let i = 0; i < knn.n; i++) {
    counts.fill(0);
    for (let j = 0; j < knn.k; j++) counts[codes[knn.indices[i * knn.k + j]!]!]!++;
    sum += entropy(counts, knn.k);
  }
  return sum / knn.n / hAll;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: ~15 significant digits). */
function logGammaLanczos(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGammaLanczos(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Regularised upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a): the series for
 * x < a + 1, else the continued fraction (Numerical Recipes `gammq`).
 */
export function upperRegularizedGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = -x + a * Math.log(x) - logGammaLanczos(a);
  if (x < a + 1) {
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let n = 0; n < 1000 && Math.abs(del) > Math.abs(sum) * 1e-15; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
    }
    return 1 - sum * Math.exp(lead);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(lead) * h;
}

/** P(χ²_df ≥ x): the chi-square survival function. */
export function chiSquareSurvival(x: number, df: number): number {
  return upperRegularizedGamma(df / 2, x / 2);
}

/**
 * kBET-style rejection rate (Büttner et al. 2019, without its neighbourhood
 * subsampling): for each cell, Pearson's χ² test of its k neighbours' batch
 * counts against k times the global batch frequencies (df = batches − 1);
 * the fraction of cells whose test rejects at `alpha`. Near `alpha` when
 * batches are mixed, near 1 when they are separated; 0 for one batch.
 */
export function kbetRejectionRate(
  knn: Neighbours,
  batches: readonly (string | number)[],
  alpha = 0.05,
): number {
  const { codes, b } = batchCodes(batches, knn.n);
  if (b < 2 || knn.k === 0) return 0;
  const expected = new Float64Array(b);
  for (const c of codes) expected[c]! += knn.k / knn.n;
  const counts = new Float64Array(b);
  let rejected = 0;
  for (let i = 0; i < knn.n; i++) {
    counts.fill(0);
    for (let j = 0; j < knn.k; j++) counts[codes[knn.indices[i * knn.k + j]!]!]!++;
    let stat = 0;
    for (let c = 0; c < b; c++) stat += (counts[c]! - expected[c]!) ** 2 / expected[c]!;
    if (chiSquareSurvival(stat, b - 1) < alpha) rejected++;
  }
  return rejected / knn.n;
}
