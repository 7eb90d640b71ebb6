import type { SeededRandom } from '@chromflow/core';
import type { HostBatch } from '@chromflow/compute';
import type { TokenSets } from '@chromflow/atac-pseudobulk';
import { PAD_TOKEN } from './model.js';

/**
 * Replaced-token detection's corruption (Atacformer; ELECTRA without a
 * generator): each token is replaced, with probability p, by a token drawn
 * from the token frequency distribution; the label is 1 where the token
 * now differs from the original (a draw of the same token is not a
 * replacement, as in ELECTRA).
 */

/** Cumulative frequency of each token id over `cells`' tokens (length `vocabSize`, last entry 1). */
export function tokenFrequencyCdf(
  sets: TokenSets,
  cells: Int32Array,
  vocabSize: number,
): Float64Array {
  const cdf = new Float64Array(vocabSize);
  let total = 0;
  for (const r of cells) {
    for (let k = sets.offsets[r]!; k < sets.offsets[r + 1]!; k++) {
      cdf[sets.tokens[k]!]! += 1;
      total++;
    }
  }
  let acc = 0;
  for (let i = 0; i < vocabSize; i++) {
    acc += cdf[i]!;
    cdf[i] = acc / total;
  }
  return cdf;
}

/** The token whose cumulative frequency first exceeds u ∈ [0, 1) (binary search). */
export function sampleToken(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * A training batch of `cells`: tokens padded with 0 to the longest cell,
 * each replaced with probability `p` (draws from `rng`: for each token, one
 * uniform, and a second for the replacement when replaced), and labels.
 */
export function makeRtdBatch(
  sets: TokenSets,
  cells: ArrayLike<number>,
  cdf: Float64Array,
  p: number,
  rng: SeededRandom,
): HostBatch {
  const { tokens, t } = padCells(sets, cells);
  const labels = new Float32Array(tokens.length);
  for (let k = 0; k < tokens.length; k++) {
    const orig = tokens[k]!;
    if (orig === PAD_TOKEN || rng.uniform() >= p) continue;
    const next = sampleToken(cdf, rng.uniform());
    tokens[k] = next;
    labels[k] = next === orig ? 0 : 1;
  }
  return { tokens, labels, n: cells.length, t };
}

/** Cells' tokens padded with 0 to the longest, [B·T] row-major. */
export function padCells(
  sets: TokenSets,
  cells: ArrayLike<number>,
): { tokens: Int32Array; t: number } {
  let t = 1;
  for (let i = 0; i < cells.length; i++) {
    const r = cells[i]!;
    t = Math.max(t, sets.offsets[r + 1]! - sets.offsets[r]!);
  }
  const tokens = new Int32Array(cells.length * t);
  for (let i = 0; i < cells.length; i++) {
    const r = cells[i]!;
    tokens.set(sets.tokens.subarray(sets.offsets[r], sets.offsets[r + 1]), i * t);
  }
  return { tokens, t };
}
