import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ChromflowError, sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { readTenxH5, readTenxMtx } from '../src/index.js';
import { findPython, runPythonJson } from './python.js';

const h5 = sharedDataFile('scrna', 'scanpy_10x_v3_pbmc_chr21', 'filtered_feature_bc_matrix.h5');
const fixtures = new URL('./fixtures/', import.meta.url).pathname;

describe.skipIf(!h5)('10x v3 PBMC chr21 (scanpy test data)', () => {
  const dir = dirname(h5 ?? '');

  it('MTX folder and HDF5 give identical matrices, barcodes and genes', async () => {
    const a = await readTenxMtx(dir);
    const b = await readTenxH5(h5!);
    expect([a.X.nRows, a.X.nCols, a.X.indices.length]).toEqual([1107, 507, 23866]);
    expect(b.X.indptr).toEqual(a.X.indptr);
    expect(b.X.indices).toEqual(a.X.indices);
    expect(b.X.values).toEqual(a.X.values);
    expect(b.obs.index).toEqual(a.obs.index);
    expect(b.var.index).toEqual(a.var.index);
    expect(b.var.columns['gene_name']).toEqual(a.var.columns['gene_name']);
  });

  const py = findPython('scipy', 'numpy');
  it.skipIf(!py)('agrees with scipy.io.mmread (per-cell totals and genes)', async () => {
    const a = await readTenxMtx(dir);
    const o = runPythonJson<{ totals: number[]; n_genes: number[]; gene_sums: number[] }>(
      py!,
      'mtx_summary.py',
      [join(dir, 'matrix.mtx.gz')],
    );
    const totals = Array.from({ length: a.X.nRows }, (_, r) => {
      let s = 0;
      for (let p = a.X.indptr[r]!; p < a.X.indptr[r + 1]!; p++) s += a.X.values[p]!;
      return s;
    });
    expect(totals).toEqual(o.totals);
    const nGenes = Array.from({ length: a.X.nRows }, (_, r) => a.X.indptr[r + 1]! - a.X.indptr[r]!);
    expect(nGenes).toEqual(o.n_genes);
    const geneSums = new Array<number>(a.X.nCols).fill(0);
    a.X.indices.forEach((c, p) => (geneSums[c]! += a.X.values[p]!));
    expect(geneSums).toEqual(o.gene_sums);
  });
});

describe('10x v2 folder (genes.tsv, plain text)', () => {
  it('reads genes.tsv with two columns and transposes features × cells', async () => {
    const a = await readTenxMtx(join(fixtures, 'v2_small'));
    expect(a.obs.index).toEqual(['AAAC-1', 'AAAG-1', 'AAAT-1']);
    expect(a.var.index).toEqual(['ENSG1', 'ENSG2', 'ENSG3', 'ENSG4']);
    expect(a.var.columns['gene_name']).toEqual(['A', 'B', 'C', 'D']);
    // matrix.mtx entries (gene, cell, value): (1,1,2) (3,1,1) (2,2,5) (4,3,7) (1,3,1)
    expect(Array.from(a.X.indptr)).toEqual([0, 2, 3, 5]);
    expect(Array.from(a.X.indices)).toEqual([0, 2, 1, 0, 3]);
    expect(Array.from(a.X.values)).toEqual([2, 1, 5, 1, 7]);
  });
});

describe('bad 10x input', () => {
  const make = (files: Record<string, string>): string => {
    const d = mkdtempSync(join(tmpdir(), 'ce-bad-'));
    for (const [n, t] of Object.entries(files)) writeFileSync(join(d, n), t);
    return d;
  };
  const mtx = '%%MatrixMarket matrix coordinate integer general\n3 2 2\n1 1 4\n3 2 1\n';

  it('a features file whose length does not match the matrix names the file', async () => {
    const d = make({ 'matrix.mtx': mtx, 'barcodes.tsv': 'a\nb\n', 'features.tsv': 'g1\tG1\n' });
    const e = await readTenxMtx(d).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ChromflowError);
    const ce = e as ChromflowError;
    expect(ce.path).toBe(join(d, 'features.tsv'));
    expect(ce.format()).toMatch(/features file length does not match.*expected 3 features/);
  });

  it('an empty matrix is an EMPTY error naming the file', async () => {
    const d = make({
      'matrix.mtx': '%%MatrixMarket matrix coordinate integer general\n1 1 0\n',
      'barcodes.tsv': 'a\n',
      'genes.tsv': 'g1\tG1\n',
    });
    const e = (await readTenxMtx(d).catch((x: unknown) => x)) as ChromflowError;
    expect(e.code).toBe('EMPTY');
    expect(e.path).toBe(join(d, 'matrix.mtx'));
  });

  it('a missing barcodes file is named', async () => {
    const d = make({ 'matrix.mtx': mtx, 'features.tsv': 'g\tG\ng\tG\ng\tG\n' });
    await expect(readTenxMtx(d)).rejects.toThrow(/barcodes\.tsv/);
  });

  it('an entry beyond the declared size points at its line', async () => {
    const d = make({
      'matrix.mtx': '%%MatrixMarket matrix coordinate integer general\n3 2 1\n4 1 1\n',
      'barcodes.tsv': 'a\nb\n',
      'features.tsv': 'g\tG\ng\tG\ng\tG\n',
    });
    const e = (await readTenxMtx(d).catch((x: unknown) => x)) as ChromflowError;
    expect([e.code, e.line]).toEqual(['VALUE', 3]);
  });

  it('a non-HDF5 file given as 10x h5 is an IO error naming it', async () => {
    const d = make({ 'x.h5': 'not hdf5' });
    const e = (await readTenxH5(join(d, 'x.h5')).catch((x: unknown) => x)) as ChromflowError;
    expect(e.code).toBe('IO');
    expect(e.path).toBe(join(d, 'x.h5'));
  });
});
