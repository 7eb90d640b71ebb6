import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ChromflowError, sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { columnToStrings, readH5ad, readTenxMtx, writeH5ad } from '../src/index.js';
import { scanLines } from '../src/text-lines.js';
import { findPython, runPythonJson } from './python.js';
import h5wasm from 'h5wasm/node';

async function readTsv(path: string): Promise<string[][]> {
  const rows: string[][] = [];
  await scanLines(path, (l) => l !== '' && rows.push(l.split('\t')));
  return rows;
}

const muonRna = sharedDataFile('multiome', 'muon_pbmc_10x_multiome', 'rna.h5ad');
describe.skipIf(!muonRna)('muon PBMC multiome rna.h5ad (anndata 0.8, CSR, categoricals)', () => {
  const dir = dirname(muonRna ?? '');
  it('X equals the MatrixMarket export, obs = barcodes.tsv, var = rna_features.tsv', async () => {
    const ad = await readH5ad(muonRna!);
    expect([ad.X.nRows, ad.X.nCols]).toEqual([600, 45]);
    const barcodes = (await readTsv(join(dir, 'barcodes.tsv'))).map((r) => r[0]);
    expect(ad.obs.index).toEqual(barcodes);
    const feats = await readTsv(join(dir, 'rna_features.tsv'));
    const header = feats[0]!;
    const ids = feats.slice(1).map((r) => r[header.indexOf('gene_ids')]);
    expect(columnToStrings(ad.var.columns['gene_ids']!)).toEqual(ids);
    expect(columnToStrings(ad.var.columns['genome']!)).toEqual(ids.map(() => 'GRCh38'));
    // rna_counts.mtx.gz is genes × cells; compare entry by entry.
    const dense = new Float64Array(600 * 45);
    let header2 = 0;
    await scanLines(join(dir, 'rna_counts.mtx.gz'), (l) => {
      if (l.startsWith('%') || l === '') return;
      if (header2++ === 0) return;
      const [g, c, v] = l.split(/\s+/).map(Number);
      dense[(c! - 1) * 45 + (g! - 1)] = v!;
    });
    const ours = new Float64Array(600 * 45);
    for (let r = 0; r < 600; r++) {
      for (let p = ad.X.indptr[r]!; p < ad.X.indptr[r + 1]!; p++) {
        ours[r * 45 + ad.X.indices[p]!] = ad.X.values[p]!;
      }
    }
    expect(ours).toEqual(dense);
  });
});

const xchromRna = sharedDataFile(
  'multiome',
  'xchrom_e18_mouse_brain',
  'rna_embedding_test_rna.h5ad',
);
describe.skipIf(!xchromRna)('XChrom E18 brain h5ad (dense X, obsm)', () => {
  it('obsm/zscore32_perpc equals the exported TSV and obs matches rna_cells.tsv', async () => {
    const ad = await readH5ad(xchromRna!);
    expect([ad.X.nRows, ad.X.nCols]).toEqual([100, 2214]);
    const z = ad.obsm['zscore32_perpc']!;
    expect([z.nRows, z.nCols]).toEqual([100, 32]);
    const tsv = await readTsv(join(dirname(xchromRna!), 'rna_cell_embedding_zscore32_perpc.tsv'));
    expect(ad.obs.index).toEqual(tsv.slice(1).map((r) => r[0]));
    tsv.slice(1).forEach((r, i) => {
      for (let j = 0; j < 32; j++) expect(z.values[i * 32 + j]).toBeCloseTo(Number(r[j + 1]), 5);
    });
    const cells = await readTsv(join(dirname(xchromRna!), 'rna_cells.tsv'));
    expect(Array.from(ad.obs.columns['n_genes'] as ArrayLike<number>)).toEqual(
      cells.slice(1).map((r) => Number(r[1])),
    );
  });

  it('atac_counts.h5ad has obs n_genes and b_zscore equal to cells.tsv', async () => {
    const p = join(dirname(xchromRna!), 'atac_counts.h5ad');
    const ad = await readH5ad(p);
    const cells = await readTsv(join(dirname(xchromRna!), 'cells.tsv'));
    expect(ad.obs.index).toEqual(cells.slice(1).map((r) => r[0]));
    expect(Array.from(ad.obs.columns['b_zscore'] as Float64Array)).toEqual(
      cells.slice(1).map((r) => Number(r[2])),
    );
  });
});

const chr21 = sharedDataFile('scrna', 'scanpy_10x_v3_pbmc_chr21', 'matrix.mtx.gz');
describe.skipIf(!chr21)('writeH5ad', () => {
  it('round-trips and follows the AnnData spec as h5py reads it', async () => {
    const ad = await readTenxMtx(dirname(chr21!));
    ad.obs.columns['n_genes'] = Int32Array.from(
      { length: ad.X.nRows },
      (_, r) => ad.X.indptr[r + 1]! - ad.X.indptr[r]!,
    );
    ad.var.columns['chrom'] = {
      categories: ['chr21'],
      codes: new Int32Array(ad.X.nCols),
      ordered: false,
    };
    ad.obsm['X_pca'] = {
      nRows: ad.X.nRows,
      nCols: 3,
      values: new Float32Array(ad.X.nRows * 3).fill(0.5),
    };
    ad.uns['target_sum'] = 10000;
    const out = join(mkdtempSync(join(tmpdir(), 'ce-h5ad-')), 'chr21.h5ad');
    await writeH5ad(out, ad);
    const back = await readH5ad(out);
    expect(back.X.indptr).toEqual(ad.X.indptr);
    expect(back.X.indices).toEqual(ad.X.indices);
    expect(back.X.values).toEqual(ad.X.values);
    expect(back.obs.index).toEqual(ad.obs.index);
    expect(back.var.columns['chrom']).toEqual(ad.var.columns['chrom']);
    expect(back.obsm['X_pca']!.values).toEqual(ad.obsm['X_pca'].values);

    const py = findPython('h5py', 'numpy');
    if (!py) return;
    type Check = Record<string, unknown>;
    const o = runPythonJson<Check>(py, 'h5ad_check.py', [out]);
    expect(o['root']).toEqual(['anndata', '0.1.0']);
    expect(o['X']).toEqual(['csr_matrix', '0.1.0']);
    expect(o['shape']).toEqual([1107, 507]);
    expect(o['X_dtypes']).toEqual(['float32', 'int32', 'int32']);
    expect(o['nnz']).toBe(23866);
    expect(o['obs']).toEqual(['dataframe', '0.2.0']);
    expect(o['obs_index_attr']).toBe('_index');
    expect(o['obs_column_order']).toEqual(['n_genes']);
    expect(o['obs_index']).toEqual(['string-array', '0.2.0']);
    expect(o['obs_index_is_vlen_str']).toBe(true);
    expect(o['first_barcode']).toBe(ad.obs.index[0]);
    expect(o['obsm_keys']).toEqual({
      X_pca: [
        ['array', '0.2.0'],
        [1107, 3],
      ],
    });
    expect(o['categorical']).toEqual({ chrom: ['categorical', '0.2.0', false] });
    expect(o['dicts']).toEqual({
      layers: ['dict', '0.1.0'],
      obsp: ['dict', '0.1.0'],
      varm: ['dict', '0.1.0'],
      varp: ['dict', '0.1.0'],
    });
    if (o['anndata_shape'] === null) console.warn('anndata not importable: h5py checks only');
    else expect(o['anndata_shape']).toEqual([1107, 507]);
  });
});

describe('bad h5ad input', () => {
  it('an h5ad without X names the file and the field', async () => {
    await h5wasm.ready;
    const p = join(mkdtempSync(join(tmpdir(), 'ce-bad-')), 'noX.h5ad');
    const f = new h5wasm.File(p, 'w');
    f.create_group('obs');
    f.close();
    const e = (await readH5ad(p).catch((x: unknown) => x)) as ChromflowError;
    expect(e).toBeInstanceOf(ChromflowError);
    expect([e.code, e.path, e.field]).toEqual(['SCHEMA', p, '/X']);
  });

  it('an obs without _index is a SCHEMA error on /obs/_index', async () => {
    await h5wasm.ready;
    const p = join(mkdtempSync(join(tmpdir(), 'ce-bad-')), 'noindex.h5ad');
    const f = new h5wasm.File(p, 'w');
    const x = f.create_group('X');
    x.create_attribute('encoding-type', 'csr_matrix');
    x.create_attribute('shape', new BigInt64Array([1n, 1n]));
    x.create_dataset({ name: 'data', data: new Float32Array([1]) });
    x.create_dataset({ name: 'indices', data: new Int32Array([0]) });
    x.create_dataset({ name: 'indptr', data: new Int32Array([0, 1]) });
    f.create_group('obs');
    f.close();
    const e = (await readH5ad(p).catch((x: unknown) => x)) as ChromflowError;
    expect([e.code, e.field]).toEqual(['SCHEMA', '/obs/_index']);
  });
});
