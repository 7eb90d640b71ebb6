import { ChromflowError } from '@chromflow/core';
import { type Cooler, readCoolerPixels } from './cooler.js';

/**
 * Iterative correction (ICE) as cooler's `balance_cooler` (open2c/cooler
 * `cooler/balance.py`, v0.9): the first `ignoreDiags` diagonals are zeroed,
 * bins with fewer than `minNnz` non-zeros or a marginal below `minCount` are
 * dropped, then bins whose per-chromosome-normalised log marginal is more than
 * `madMax` MADs below the median; the bias is divided by the normalised
 * marginal until the marginals' variance is below `tol`.
 */
export interface IceOptions {
  /** Diagonals ignored, main one included. Default 2 (cooler's). 0 keeps all. */
  ignoreDiags?: number;
  /** Drop bins with fewer non-zero pixels (after the diagonal filter). Default 10. */
  minNnz?: number;
  /** Drop bins with a smaller marginal sum. Default 0 (off). */
  minCount?: number;
  /** MAD filter on log marginals; 0 turns it off. Default 5. */
  madMax?: number;
  /** Convergence: variance of the non-zero marginals. Default 1e-5. */
  tol?: number;
  /** Iteration limit; reaching it is an error unless `allowNoConvergence`. Default 200. */
  maxIters?: number;
  /** Balance each chromosome's cis block alone, trans pixels ignored. Default false. */
  cisOnly?: boolean;
  /** Scale so balanced rows sum to 1 (cooler's `rescale_marginals`). Default true. */
  rescaleMarginals?: boolean;
  /** Return the weights even when `maxIters` is hit (cooler warns). Default false. */
  allowNoConvergence?: boolean;
}

export interface IceResult {
  /** Per bin; NaN for dropped bins. Balanced value = count · w[i] · w[j]. */
  weights: Float64Array;
  /** Mean non-zero marginal at the end (per chromosome with `cisOnly`). */
  scale: number[];
  /** Final marginal variance. */
  variance: number;
  iterations: number;
  converged: boolean;
  /** Bins dropped by the filters (NaN weight). */
  dropped: number;
}

/** Pixels in COO form, upper triangle as a cooler stores them. */
export interface IcePixels {
  bin1: Float64Array;
  bin2: Float64Array;
  count: Float64Array;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function marginalize(px: IcePixels, data: Float64Array, bias: Float64Array | null, n: number) {
  const marg = new Float64Array(n);
  for (let k = 0; k < data.length; k++) {
    // Zeroed pixels add nothing; skipping them also keeps a dropped (NaN) bin of
    // an earlier chromosome out of cis-only marginals, as cooler's per-chromosome spans do.
    if (data[k] === 0) continue;
    const i = px.bin1[k]!;
    const j = px.bin2[k]!;
    const v = bias ? bias[i]! * bias[j]! * data[k]! : data[k]!;
    marg[i] = marg[i]! + v;
    marg[j] = marg[j]! + v;
  }
  return marg;
}

/** ICE weights from pixels; `binChroms`/`chromOffsets` as in {@link Cooler}. */
export function iceBalancePixels(
  px: IcePixels,
  chromOffsets: ArrayLike<number>,
  binChroms: ArrayLike<number>,
  options: IceOptions = {},
): IceResult {
  const ignoreDiags = options.ignoreDiags ?? 2;
  const minNnz = options.minNnz ?? 10;
  const minCount = options.minCount ?? 0;
  const madMax = options.madMax ?? 5;
  const tol = options.tol ?? 1e-5;
  const maxIters = options.maxIters ?? 200;
  const n = binChroms.length;
  // Filtered counts: the diagonal band (and trans pixels for cisOnly) zeroed.
  const data = Float64Array.from(px.count);
  for (let k = 0; k < data.length; k++) {
    const i = px.bin1[k]!;
    const j = px.bin2[k]!;
    if (Math.abs(i - j) < ignoreDiags) data[k] = 0;
    if (options.cisOnly && binChroms[i] !== binChroms[j]) data[k] = 0;
  }
  const bias = new Float64Array(n).fill(1);
  if (minNnz > 0) {
    const nz = data.map((v) => (v !== 0 ? 1 : 0));
    const nnz = marginalize(px, nz, null, n);
    for (let b = 0; b < n; b++) if (nnz[b]! < minNnz) bias[b] = 0;
  }
  const marg = marginalize(px, data, null, n);
  if (minCount) for (let b = 0; b < n; b++) if (marg[b]! < minCount) bias[b] = 0;
  if (madMax > 0) {
    for (let c = 0; c + 1 < chromOffsets.length; c++) {
      const lo = chromOffsets[c]!;
      const hi = chromOffsets[c + 1]!;
      const pos: number[] = [];
      for (let b = lo; b < hi; b++) if (marg[b]! > 0) pos.push(marg[b]!);
      const med = median(pos); // NaN for an empty chromosome, as numpy's
      for (let b = lo; b < hi; b++) marg[b] = marg[b]! / med;
    }
    const logs: number[] = [];
    for (let b = 0; b < n; b++) if (marg[b]! > 0) logs.push(Math.log(marg[b]!));
    const med = median(logs);
    const mad = median(logs.map((x) => Math.abs(x - med)));
    const cutoff = Math.exp(med - madMax * mad);
    for (let b = 0; b < n; b++) if (marg[b]! < cutoff) bias[b] = 0;
  }
  const spans: [number, number][] = options.cisOnly
    ? Array.from({ length: chromOffsets.length - 1 }, (_, c) => [
        chromOffsets[c]!,
        chromOffsets[c + 1]!,
      ])
    : [[0, n]];
  const scale: number[] = [];
  let variance = 0;
  let iterations = 0;
  let converged = true;
  for (const [lo, hi] of spans) {
    let nzMean = NaN;
    let done = false;
    for (let it = 0; it < maxIters; it++) {
      iterations = Math.max(iterations, it + 1);
      const m = marginalize(px, data, bias, n);
      let sum = 0;
      let cnt = 0;
      for (let b = lo; b < hi; b++) {
        if (m[b] !== 0) {
          sum += m[b]!;
          cnt++;
        }
      }
      if (cnt === 0) {
        for (let b = lo; b < hi; b++) bias[b] = NaN;
        nzMean = NaN;
        variance = 0;
        done = true;
        break;
      }
      nzMean = sum / cnt;
      let ss = 0;
      for (let b = lo; b < hi; b++) {
        const v = m[b]!;
        if (v !== 0) ss += (v - nzMean) * (v - nzMean);
        bias[b] = bias[b]! / (v === 0 ? 1 : v / nzMean);
      }
      variance = ss / cnt; // numpy var: population variance of the non-zero marginals
      if (variance < tol) {
        done = true;
        break;
      }
    }
    if (!done) converged = false;
    scale.push(nzMean);
    for (let b = lo; b < hi; b++) {
      if (bias[b] === 0) bias[b] = NaN;
      else if (options.rescaleMarginals ?? true) bias[b] = bias[b]! / Math.sqrt(nzMean);
    }
  }
  if (!converged && !options.allowNoConvergence) {
    throw new ChromflowError('VALUE', 'ICE balancing did not converge', {
      field: 'maxIters',
      expected: `marginal variance < tol=${tol} within ${maxIters} iterations`,
      found: `variance ${variance.toExponential(3)}`,
      hint: 'raise maxIters or tol, or set allowNoConvergence',
    });
  }
  let dropped = 0;
  for (const w of bias) if (Number.isNaN(w)) dropped++;
  return { weights: bias, scale, variance, iterations, converged, dropped };
}

/** ICE weights for a whole cooler (all pixels read at once; fine up to ~10^8 pixels). */
export function iceBalance(cool: Cooler, options: IceOptions = {}): IceResult {
  return iceBalancePixels(readCoolerPixels(cool), cool.chromOffsets, cool.binChroms, options);
}
