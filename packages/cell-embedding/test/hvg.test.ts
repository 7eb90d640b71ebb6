import { dirname } from 'node:path';
import { sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import {
  computeColumnMoments,
  fitLoess,
  normaliseTotalLog1p,
  readTenxMtx,
  selectHvgSeurat,
  selectHvgSeuratV3,
} from '../src/index.js';
import { findPython, runPythonJson } from './python.js';

describe('loess', () => {
  it('reproduces a quadratic exactly (degree-2 local fits are exact on quadratics)', () => {
    const x = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i) * 5 + i / 50);
    const y = Float64Array.from(x, (v) => 2 - 3 * v + 0.5 * v * v);
    const f = fitLoess(x, y, 0.3);
    f.forEach((v, i) => expect(v).toBeCloseTo(y[i]!, 8));
  });
});

const chr21 = sharedDataFile('scrna', 'scanpy_10x_v3_pbmc_chr21', 'matrix.mtx.gz');
describe.skipIf(!chr21)('HVG on scanpy 10x v3 PBMC chr21', () => {
  const dir = dirname(chr21 ?? '');

  it('seurat_v3 selects the n highest standardised variances and never a constant gene', async () => {
    const ad = await readTenxMtx(dir);
    const hvg = selectHvgSeuratV3(ad.X, 100);
    expect(hvg.selected.length).toBe(100);
    const { variances } = computeColumnMoments(ad.X);
    hvg.selected.forEach((c) => expect(variances[c]).toBeGreaterThan(0));
    const minSelected = Math.min(...Array.from(hvg.selected, (c) => hvg.scores[c]!));
    hvg.highlyVariable.forEach((h, c) => {
      if (!h) expect(hvg.scores[c]).toBeLessThanOrEqual(minSelected);
    });
  });

  const py = findPython('scipy', 'numpy');
  it.skipIf(!py)(
    'seurat normalised dispersions equal a numpy rendering of scanpy’s definition',
    async () => {
      const ad = await readTenxMtx(dir);
      const norm = normaliseTotalLog1p(ad.X, { targetSum: 1e4 });
      const hvg = selectHvgSeurat(norm.X, 50);
      const oracle = runPythonJson<(number | null)[]>(py!, 'hvg_seurat.py', [dir, '10000']);
      let compared = 0;
      oracle.forEach((v, c) => {
        if (v === null) expect(Number.isNaN(hvg.scores[c]!)).toBe(true);
        else {
          expect(hvg.scores[c]).toBeCloseTo(v, 3);
          compared++;
        }
      });
      expect(compared).toBeGreaterThan(150); // 201 of 507 chr21 genes vary
      expect(hvg.selected.length).toBeGreaterThanOrEqual(50);
    },
  );
});
