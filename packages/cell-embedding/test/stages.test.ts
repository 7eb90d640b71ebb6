import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  ChromflowError,
  makeTable,
  outputFileName,
  readTable,
  sharedDataFile,
  sparseToTable,
  type Stage,
  csrToSparse,
  writeTable,
} from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import {
  makeCellEmbeddingTable,
  pcsFromTable,
  readH5ad,
  readTenxMtx,
  stages,
} from '../src/index.js';

function byName(name: string): Stage {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
}

/** Runs a stage the way the orchestrator does: defaults filled, outputs named by port. */
async function runStage(
  name: string,
  inputs: Record<string, string>,
  params: Record<string, unknown> = {},
): Promise<Record<string, string>> {
  const stage = byName(name);
  const dir = mkdtempSync(join(tmpdir(), 'ce-stage-'));
  const outputs = Object.fromEntries(
    Object.entries(stage.outputs).map(([port, spec]) => [
      port,
      join(dir, outputFileName(port, spec)),
    ]),
  );
  const defaults = Object.fromEntries(
    Object.entries(stage.params.properties).map(([k, v]) => [k, v.default]),
  );
  await stage.run({
    params: { ...defaults, ...params },
    inputs,
    outputs,
    tempDir: dir,
    log: { info: () => undefined, warn: () => undefined },
    onProgress: () => undefined,
    signal: new AbortController().signal,
  });
  return outputs;
}

it('every stage is named <package>.<stage> and declares defaults for all params', () => {
  expect(stages.map((s) => s.name)).toEqual([
    'cell-embedding.rna-normalise',
    'cell-embedding.pca',
    'cell-embedding.cell-embedding',
    'cell-embedding.pseudobulk-expression',
    'cell-embedding.cluster',
    'cell-embedding.export-atac-h5ad',
  ]);
  for (const s of stages) {
    for (const p of Object.values(s.params.properties)) expect(p.default).not.toBeUndefined();
  }
});

const chr21 = sharedDataFile('scrna', 'scanpy_10x_v3_pbmc_chr21', 'matrix.mtx.gz');
describe.skipIf(!chr21)('stages on scanpy 10x v3 PBMC chr21', () => {
  const dir = dirname(chr21 ?? '');

  it('rna-normalise → pca → cell-embedding gives z-scored PCs and XChrom b_zscore', async () => {
    const norm = await runStage(
      'cell-embedding.rna-normalise',
      { 'counts-mtx': dir },
      { n_hvg: 200 },
    );
    const ad = await readH5ad(norm['normalised']!);
    expect(ad.X.nRows).toBe(1107);
    const hv = ad.var.columns['highly_variable'] as boolean[];
    expect(hv.filter((b) => b === true)).toHaveLength(200);
    // Each cell's normalised values expm1 back to a total of 1e4.
    let tot = 0;
    for (let p = ad.X.indptr[0]!; p < ad.X.indptr[1]!; p++) tot += Math.expm1(ad.X.values[p]!);
    expect(tot).toBeCloseTo(1e4, 0);
    const pca = await runStage(
      'cell-embedding.pca',
      { normalised: norm['normalised']! },
      { n_pcs: 10 },
    );
    const emb = await runStage(
      'cell-embedding.cell-embedding',
      { pca: pca['pca']! },
      { n_pcs: 10 },
    );
    const t = await readTable(emb['cell-embedding']!);
    expect(t.schema.metadata.get('chromflow.encoding-type')).toBe('cell-embedding');
    expect(t.schema.fields.map((f) => f.name)).toEqual([
      'barcode',
      ...Array.from({ length: 10 }, (_, i) => `pc${i + 1}`),
      'n_features',
      'b_zscore',
    ]);
    const pc3 = Array.from(t.getChild('pc3')!.toArray() as Float32Array);
    const mean = pc3.reduce((a, b) => a + b, 0) / pc3.length;
    const sd = Math.sqrt(pc3.reduce((a, b) => a + (b - mean) ** 2, 0) / pc3.length);
    expect(mean).toBeCloseTo(0, 5);
    expect(sd).toBeCloseTo(1, 5);
    const counts = await readTenxMtx(dir);
    expect(t.schema.metadata.get('chromflow.n-features-of')).toBe('rna-genes');
    const nGenes = Array.from(t.getChild('n_features')!.toArray() as Int32Array);
    expect(nGenes).toEqual(
      Array.from({ length: 1107 }, (_, r) => counts.X.indptr[r + 1]! - counts.X.indptr[r]!),
    );
  });

  it('pseudobulk-expression writes one row per group × gene', async () => {
    const counts = await readTenxMtx(dir);
    const labels = join(mkdtempSync(join(tmpdir(), 'ce-lab-')), 'cells.tsv');
    writeFileSync(
      labels,
      'barcode\tcell_type\n' +
        counts.obs.index.map((b, i) => `${b}\t${i % 2 ? 'odd' : 'even'}`).join('\n'),
    );
    const out = await runStage('cell-embedding.pseudobulk-expression', {
      'counts-10x-h5': join(dir, 'filtered_feature_bc_matrix.h5'),
      'cell-labels': labels,
    });
    const t = await readTable(out['gene-expression']!);
    expect(t.numRows).toBe(2 * 507);
    expect(t.schema.metadata.get('chromflow.encoding-type')).toBe('gene-expression');
  });

  it('two counts inputs wired at once is a WORKFLOW error', async () => {
    const e = await runStage('cell-embedding.rna-normalise', {
      'counts-mtx': dir,
      'counts-10x-h5': join(dir, 'filtered_feature_bc_matrix.h5'),
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ChromflowError);
    expect((e as ChromflowError).code).toBe('WORKFLOW');
  });
});

const muon = sharedDataFile('multiome', 'muon_pbmc_10x_multiome', 'rna.h5ad');
describe.skipIf(!muon)('stages on muon PBMC multiome (paired RNA + ATAC)', () => {
  it('cell-embedding takes n_features from the paired ATAC counts', async () => {
    const norm = await runStage(
      'cell-embedding.rna-normalise',
      { 'counts-h5ad': muon! },
      { n_hvg: 30, hvg_flavor: 'seurat' },
    );
    const pca = await runStage(
      'cell-embedding.pca',
      { normalised: norm['normalised']! },
      { n_pcs: 8 },
    );
    const atac = await readH5ad(join(dirname(muon!), 'atac_peaks.h5ad'));
    const tdir = mkdtempSync(join(tmpdir(), 'ce-atac-'));
    await writeTable(join(tdir, 'counts.parquet'), sparseToTable(csrToSparse(atac.X)));
    await writeTable(join(tdir, 'cells.parquet'), makeTable({ barcode: atac.obs.index }, 'cells'));
    const emb = await runStage(
      'cell-embedding.cell-embedding',
      {
        pca: pca['pca']!,
        'atac-counts': join(tdir, 'counts.parquet'),
        'atac-cells': join(tdir, 'cells.parquet'),
      },
      { n_pcs: 8 },
    );
    const t = await readTable(emb['cell-embedding']!);
    expect(t.numRows).toBe(600);
    expect(t.schema.metadata.get('chromflow.n-features-of')).toBe('atac-regions');
    const nGenes = Array.from(t.getChild('n_features')!.toArray() as Int32Array);
    const barcodes = Array.from(t.getChild('barcode')!.toArray() as string[]);
    const atacRow = new Map(atac.obs.index.map((b, i) => [b, i]));
    barcodes.forEach((b, i) => {
      const r = atacRow.get(b)!;
      expect(nGenes[i]).toBe(atac.X.indptr[r + 1]! - atac.X.indptr[r]!);
    });
  });
});

it("a cell-embedding table with the retired 'n_genes' column is refused with a did-you-mean", () => {
  const t = makeCellEmbeddingTable(['a', 'b'], [1, -1], 1, Int32Array.of(3, 4), [0.5, -0.5]);
  expect(pcsFromTable(t, 'cell-embedding').nGenes).toEqual(Int32Array.of(3, 4));
  // A version-1 table as the stage wrote it before the rename.
  const old = makeTable(
    { barcode: ['a', 'b'], pc1: Float32Array.of(1, -1), n_genes: Int32Array.of(3, 4) },
    'cell-embedding',
  );
  let err: unknown;
  try {
    pcsFromTable(old, 'cell-embedding', 'old.parquet');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ChromflowError);
  expect(err).toMatchObject({ code: 'SCHEMA', path: 'old.parquet', field: 'n_genes' });
  expect((err as ChromflowError).hint).toMatch(/did you mean 'n_features'/);
});
