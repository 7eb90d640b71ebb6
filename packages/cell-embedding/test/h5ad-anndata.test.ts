import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { outputFileName, sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { readTenxMtx, selectHvgSeuratV3, stages, writeH5ad } from '../src/index.js';
import { findPython, runPythonJson } from './python.js';

/** What anndata_check.py reports (see that script). */
interface AnndataView {
  anndata: string;
  shape: [number, number];
  X_format: string;
  X_dtype: string;
  obs: Record<string, { dtype: string; ordered?: boolean; categories?: string[] }>;
  var: Record<string, { dtype: string; ordered?: boolean; categories?: string[] }>;
  obsm: Record<string, number[]>;
  hv_selected?: string[];
  h5py_bool: Record<string, string>;
}

// Debian's python3-anndata (0.8) is the oracle: what a scanpy user gets from our files.
const py = findPython('anndata', 'h5py', 'scipy');

describe.skipIf(!py)('h5ad as anndata reads it', () => {
  it('boolean columns are numpy bool and categorical `ordered` an h5py bool', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ce-ad-')), 'bools.h5ad');
    const flags = [true, false, false, true, true];
    await writeH5ad(out, {
      X: {
        nRows: 2,
        nCols: 5,
        indptr: Int32Array.of(0, 2, 3),
        indices: Int32Array.of(1, 3, 4),
        values: Float32Array.of(1, 2, 3),
      },
      obs: {
        index: ['c1', 'c2'],
        columns: {
          stage: { categories: ['early', 'late'], codes: Int32Array.of(1, 0), ordered: true },
          pass_qc: [false, true],
        },
      },
      var: {
        index: ['g0', 'g1', 'g2', 'g3', 'g4'],
        columns: {
          highly_variable: flags,
          chrom: { categories: ['chr1'], codes: new Int32Array(5), ordered: false },
        },
      },
      obsm: {},
      uns: {},
    });
    const o = runPythonJson<AnndataView>(py!, 'anndata_check.py', [out]);
    expect(o.var['highly_variable']).toEqual({ dtype: 'bool' });
    expect(o.obs['pass_qc']).toEqual({ dtype: 'bool' });
    expect(o.hv_selected).toEqual(['g0', 'g3', 'g4']);
    expect(o.obs['stage']).toEqual({
      dtype: 'category',
      ordered: true,
      categories: ['early', 'late'],
    });
    expect(o.var['chrom']).toMatchObject({ dtype: 'category', ordered: false });
    expect(o.h5py_bool).toEqual({
      'obs/pass_qc': 'bool',
      'obs/stage@ordered': 'bool_',
      'var/highly_variable': 'bool',
      'var/chrom@ordered': 'bool_',
    });
  });

  const chr21 = sharedDataFile('scrna', 'scanpy_10x_v3_pbmc_chr21', 'matrix.mtx.gz');
  it.skipIf(!chr21)(
    'rna-normalise output: adata[:, adata.var.highly_variable] selects the HVGs',
    async () => {
      const stage = stages.find((s) => s.name === 'cell-embedding.rna-normalise')!;
      const dir = mkdtempSync(join(tmpdir(), 'ce-ad-stage-'));
      const outPath = join(dir, outputFileName('normalised', stage.outputs['normalised']!));
      await stage.run({
        params: {
          target_sum: 10000,
          target_sum_mode: 'fixed',
          n_hvg: 200,
          hvg_flavor: 'seurat_v3',
        },
        inputs: { 'counts-mtx': dirname(chr21!) },
        outputs: { normalised: outPath },
        tempDir: dir,
        log: { info: () => undefined, warn: () => undefined },
        onProgress: () => undefined,
        signal: new AbortController().signal,
      });
      const counts = await readTenxMtx(dirname(chr21!));
      const expected = Array.from(selectHvgSeuratV3(counts.X, 200).selected)
        .sort((a, b) => a - b)
        .map((j) => counts.var.index[j]!);
      const o = runPythonJson<AnndataView>(py!, 'anndata_check.py', [outPath]);
      expect(o.shape).toEqual([1107, 507]);
      expect([o.X_format, o.X_dtype]).toEqual(['csr', 'float32']);
      expect(o.var['highly_variable']).toEqual({ dtype: 'bool' });
      // uint8 flags made pandas/anndata index by position: 507 picks of genes 0 and 1.
      expect(o.hv_selected).toHaveLength(200);
      expect(o.hv_selected).toEqual(expected);
      expect(o.obs['n_genes']!.dtype).toBe('int32');
    },
  );
});
