/**
 * `npx tsx --conditions=@chromflow/source bench/profile.ts`: wall time per phase of
 * the randomized SVD behind computePca, on the bench's two cases (development aid;
 * `small` as the first argument: chr21 only). Best of PROFILE_REPS (default 4) runs
 * per phase, in ms, and with PROFILE_REPS ≥ 8 the median of the later half.
 */
import { dirname } from 'node:path';
import { type CsrMatrix, sharedDataFile } from '@chromflow/core';
import { choleskyOfGram } from '../../core/src/randomized-svd.js';
import { makeSparseProducts } from '../../core/src/sparse-products.js';
import { computePca, makeRandom, normaliseTotalLog1p, readTenxMtx } from '../src/index.js';
import { computeColumnMoments } from '../src/normalise.js';

/**
 * The phases of `randomizedSvd` as computePca runs them (k + 10 columns, 'auto' power
 * iterations with LU, the Cholesky range basis), each timed on its own through the
 * public `SparseProducts` calls (so each product and LU here copies its block out of the
 * wasm memory, which `powerIterations` does not).
 */
/** randomizedSvd's Cholesky factor and inverse (it falls back to Gram–Schmidt where this fails). */
function choleskyFactors(g: Float64Array, l: number): { r: Float64Array; inv: Float64Array } {
  const c = choleskyOfGram(g, l);
  if (!c)
    throw new Error('the range is ill-conditioned here: randomizedSvd would use Gram–Schmidt');
  return c;
}

function profile(label: string, X: CsrMatrix, k: number, f32: boolean): void {
  const t: Record<string, number> = {};
  const best: Record<string, number> = {};
  const add = (key: string, t0: number): number => {
    const now = performance.now();
    t[key] = (t[key] ?? 0) + now - t0;
    return now;
  };
  const reps = Number(process.env['PROFILE_REPS'] ?? 4);
  const all: Record<string, number[]> = {};
  const l = k + 10;
  const nIter = k < 0.1 * Math.min(X.nRows, X.nCols) ? 7 : 4;
  for (let rep = 0; rep < reps; rep++) {
    for (const key of Object.keys(t)) t[key] = 0;
    let t0 = performance.now();
    const total0 = t0;
    const { means } = computeColumnMoments(X);
    t0 = add('moments', t0);
    const p = makeSparseProducts(X, l, { precision: f32 ? 'float32' : 'float64' });
    t0 = add('setup', t0);
    const rng = makeRandom(0);
    let z: Float64Array = new Float64Array(X.nCols * l);
    for (let i = 0; i < z.length; i++) z[i] = rng.normal();
    t0 = add('random', t0);
    for (let it = 0; it < nIter; it++) {
      const y = p.times(z, l, means);
      t0 = add('X·M', t0);
      p.luNormalise(y, X.nRows, l);
      t0 = add('LU(Y)', t0);
      z = p.transposeTimes(y, l, means);
      t0 = add('Xᵀ·Y', t0);
      p.luNormalise(z, X.nCols, l);
      t0 = add('LU(Z)', t0);
    }
    const q = p.times(z, l, means);
    t0 = add('X·M', t0);
    // The Cholesky range basis: Gram, factor (JavaScript, l × l), Bᵀ·R⁻¹ and its own
    // Cholesky, the small SVD, U = Y·(R⁻¹W) and Vt.
    const rY = choleskyFactors(p.gramUpper(q, X.nRows, l), l);
    t0 = add('Gram, Cholesky, R⁻¹ products', t0);
    const bt = p.transposeTimes(q, l, means);
    t0 = add('Xᵀ·Y', t0);
    const b1 = p.timesSmall(bt, X.nCols, l, rY.inv, l, l);
    const rB = choleskyFactors(p.gramUpper(b1, X.nCols, l), l);
    const qb = p.timesSmall(b1, X.nCols, l, rB.inv, l, l);
    t0 = add('Gram, Cholesky, R⁻¹ products', t0);
    const r = rB.r;
    const { U } = p.svdSmall(r, l, l);
    t0 = add('svdSmall', t0);
    p.timesSmall(q, X.nRows, l, p.timesSmall(rY.inv, l, l, U, l, l), l, k);
    p.timesSmall(qb, X.nCols, l, U, l, k);
    t0 = add('U, Vt', t0);
    p.close();
    add('TOTAL(phases)', total0);
    t0 = performance.now();
    computePca(X, { nComponents: k, precision: f32 ? 'float32' : 'float64' });
    add('computePca', t0);
    for (const [key, v] of Object.entries(t)) {
      best[key] = Math.min(best[key] ?? Infinity, v);
      (all[key] ??= []).push(v);
    }
  }
  console.log(
    label,
    Object.entries(best)
      .map(([key, v]) => `${key} ${v.toFixed(1)}`)
      .join(', '),
    `ms (best of ${reps} runs per phase)`,
  );
  if (reps >= 8) {
    const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
    console.log(
      label,
      Object.entries(all)
        .map(([key, v]) => `${key} ${median(v.slice(reps >> 1)).toFixed(2)}`)
        .join(', '),
      `ms (median of the last ${reps - (reps >> 1)} runs per phase)`,
    );
  }
}

const chr21 = sharedDataFile('scrna', 'scanpy_10x_v3_pbmc_chr21', 'matrix.mtx.gz');
if (chr21) {
  const ad = await readTenxMtx(dirname(chr21));
  profile('chr21', normaliseTotalLog1p(ad.X).X, 20, false);
}
if (process.argv[2] !== 'small') {
  const { makeSyntheticCounts } = await import('./synthetic.js');
  profile('synthetic', normaliseTotalLog1p(makeSyntheticCounts(20000, 5000, 1)).X, 50, true);
}
