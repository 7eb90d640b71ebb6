import { dirname } from 'node:path';

import { describe, expect, it } from 'vitest';
import { sharedDataFile } from '@chromflow/core';
import { computePca, normaliseTotalLog1p, readTenxMtx } from '../src/index.js';
import { findPython, runPythonJson } from './python.js';

const chr21 = sharedDataFile('scrna', 'scanpy_10x_v3_pbmc_chr21', 'matrix.mtx.gz');
const sklearnPython = findPython('sklearn', 'scipy', 'numpy');

describe.skipIf(!chr21)('PCA on scanpy 10x v3 PBMC chr21', () => {
  const dir = dirname(chr21 ?? '');

  it.skipIf(!sklearnPython)(
    'matches scikit-learn PCA (exact solver) on the same normalisation: variance ratios and separated components',
    async () => {
      const ad = await readTenxMtx(dir);
      const norm = normaliseTotalLog1p(ad.X, { targetSum: 1e4 });
      const pca = computePca(norm.X, { nComponents: 20, seed: 0 });
      const o = runPythonJson<{
        explained_variance_ratio: number[];
        explained_variance: number[];
        components: number[][];
      }>(sklearnPython!, 'sklearn_pca.py', [dir, '20', '10000']);
      const p = norm.X.nCols;
      const ev = o.explained_variance;
      let checked = 0;
      for (let j = 0; j < 20; j++) {
        expect(
          Math.abs(pca.explainedVarianceRatio[j]! - o.explained_variance_ratio[j]!),
        ).toBeLessThan(1e-3);
        // A component is only defined up to rotation within a cluster of equal
        // eigenvalues; compare those separated from both neighbours by ≥ 2 %.
        const gapPrev = j === 0 ? Infinity : ev[j - 1]! / ev[j]! - 1;
        const gapNext = j === 19 ? 0 : ev[j]! / ev[j + 1]! - 1;
        if (Math.min(gapPrev, gapNext) < 0.02) continue;
        let cos = 0;
        for (let g = 0; g < p; g++) cos += pca.components[j * p + g]! * o.components[j]![g]!;
        expect(Math.abs(cos)).toBeGreaterThanOrEqual(0.99);
        checked++;
      }
      expect(checked).toBeGreaterThanOrEqual(5);
    },
  );

  it('is deterministic for a seed and never needs the dense matrix', async () => {
    const ad = await readTenxMtx(dir);
    const norm = normaliseTotalLog1p(ad.X);
    const a = computePca(norm.X, { nComponents: 5, seed: 7 });
    const b = computePca(norm.X, { nComponents: 5, seed: 7 });
    expect(a.scores).toEqual(b.scores);
    // Scores are centred: each column sums to ~0 (the implicit centring worked).
    for (let j = 0; j < 5; j++) {
      let s = 0;
      for (let r = 0; r < norm.X.nRows; r++) s += a.scores[r * 5 + j]!;
      expect(Math.abs(s) / norm.X.nRows).toBeLessThan(1e-9);
    }
  });
});

describe('PCA on a planted matrix', () => {
  it('recovers a planted rank-2 structure exactly (variance ratio 1 in 2 PCs)', () => {
    // 200 cells × 30 genes, X = a·u + b·v with u, v disjoint gene blocks: the
    // centred matrix has rank 2, so PC1 + PC2 explain all variance.
    const rows: number[] = [];
    const cols: number[] = [];
    const vals: number[] = [];
    const indptr = [0];
    for (let r = 0; r < 200; r++) {
      const a = (r % 7) + 1;
      const b = (r % 3) * 2;
      for (let g = 0; g < 30; g++) {
        const v = g < 10 ? a * (g + 1) : g < 20 ? b * (20 - g) : 0;
        if (v !== 0) {
          cols.push(g);
          vals.push(v);
        }
      }
      indptr.push(cols.length);
      void rows;
    }
    const X = {
      nRows: 200,
      nCols: 30,
      indptr: Int32Array.from(indptr),
      indices: Int32Array.from(cols),
      values: Float32Array.from(vals),
    };
    const pca = computePca(X, { nComponents: 4, seed: 1 });
    expect(pca.explainedVarianceRatio[0]! + pca.explainedVarianceRatio[1]!).toBeCloseTo(1, 10);
    expect(pca.explainedVarianceRatio[2]!).toBeLessThan(1e-12);
    // Component 1 or 2 loads only on one gene block.
    const load = (j: number, lo: number, hi: number): number => {
      let s = 0;
      for (let g = lo; g < hi; g++) s += pca.components[j * 30 + g]! ** 2;
      return s;
    };
    expect(load(0, 20, 30) + load(1, 20, 30)).toBeLessThan(1e-20);
  });
});
