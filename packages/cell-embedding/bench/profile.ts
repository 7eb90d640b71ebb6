/**
 * `npx tsx --conditions=@chromflow/source bench/profile.ts`: wall time per phase of
 * the randomized SVD behind computePca, on the bench's two cases (development aid;
 * `small` as the first argument: chr21 only). Best of 4 runs per phase, in ms.
 */
import { dirname } from 'node:path';
import { type CsrMatrix, sharedDataFile } from '@chromflow/core';
import {
  orthonormaliseColumns,
  svdSmall,
  upperFactorOfColumns,
} from '../../core/src/dense-linalg.js';
import { makeSparseProducts } from '../../core/src/sparse-products.js';
import { computePca, makeRandom, normaliseTotalLog1p, readTenxMtx } from '../src/index.js';
import { computeColumnMoments } from '../src/normalise.js';

function profile(label: string, X: CsrMatrix, k: number, f32: boolean): void {
  const t: Record<string, number> = {};
  const best: Record<string, number> = {};
  const add = (key: string, t0: number): void => {
    t[key] = (t[key] ?? 0) + performance.now() - t0;
  };
  const reps = Number(process.env['PROFILE_REPS'] ?? 4);
  const all: Record<string, number[]> = {};
  for (let rep = 0; rep < reps; rep++) {
    for (const key of Object.keys(t)) t[key] = 0;
    let t0 = performance.now();
    const total0 = t0;
    const { means } = computeColumnMoments(X);
    add('moments', t0);
    const l = k + 10;
    t0 = performance.now();
    const p = makeSparseProducts(X, l, { precision: f32 ? 'float32' : 'float64' });
    add('setup', t0);
    const rng = makeRandom(0);
    let z: Float64Array = new Float64Array(X.nCols * l);
    for (let i = 0; i < z.length; i++) z[i] = rng.normal();
    const shiftOf = (m: Float64Array): Float64Array => {
      const s = new Float64Array(l);
      for (let c = 0; c < X.nCols; c++)
        for (let j = 0; j < l; j++) s[j]! += means[c]! * m[c * l + j]!;
      return s;
    };
    for (let it = 0; it < 8; it++) {
      t0 = performance.now();
      const y = p.times(z, l);
      add('X·M', t0);
      t0 = performance.now();
      const sh = shiftOf(z);
      for (let o = 0; o < y.length; o += l) for (let j = 0; j < l; j++) y[o + j]! -= sh[j]!;
      add('centre', t0);
      if (it === 7) {
        t0 = performance.now();
        orthonormaliseColumns(y, X.nRows, l);
        add('QR(Y)', t0);
      } else {
        t0 = performance.now();
        p.luNormalise(y, X.nRows, l);
        add('LU(Y)', t0);
      }
      t0 = performance.now();
      z = p.transposeTimes(y, l);
      add('Xᵀ·Y', t0);
      if (it < 7) {
        t0 = performance.now();
        p.luNormalise(z, X.nCols, l);
        add('LU(Z)', t0);
      } else {
        t0 = performance.now();
        const r = upperFactorOfColumns(z, X.nCols, l);
        add('QR(Bᵀ)', t0);
        t0 = performance.now();
        svdSmall(r, l, l);
        add('svdSmall', t0);
      }
    }
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
