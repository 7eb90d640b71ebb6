import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bool,
  Float32,
  Float64,
  Int32,
  Table,
  Utf8,
  makeVector,
  vectorFromArray,
} from 'apache-arrow';
import {
  csrToSparse,
  outputFileName,
  sharedDataFile,
  sparseToTable,
  withEncoding,
  writeTable,
} from '@chromflow/core';
import { readBed, regionsToTable } from '@chromflow/genome-io';
import { describe, expect, it } from 'vitest';
import { readMatrixMarketTransposed, stages } from '../src/index.js';
import { findPython, runPythonJson } from './python.js';

interface ExportView {
  shape: [number, number];
  X_format: string;
  X_dtype: string;
  X_sorted_indices: boolean;
  X_equal_reference: boolean;
  var_names_equal_reference: boolean;
  var_chrom_equal: boolean;
  var_start_equal: boolean;
  var_end_equal: boolean;
  obs_dtypes: Record<string, string>;
  obs_na: Record<string, number>;
  obs_categories: Record<string, string[]>;
  cluster_head: (string | null)[] | null;
  cluster_tail: (string | null)[] | null;
  var_dtypes: Record<string, string>;
  obsm: Record<string, number[]>;
  obsm_first_rows: Record<string, number[][]>;
  obs_names_head: string[];
  n_pass_qc: number | null;
}

const dir = sharedDataFile('multiome', 'muon_pbmc_10x_multiome');
const py = dir ? findPython('anndata', 'scipy') : undefined;

describe.skipIf(!dir || !py)('export-atac-h5ad on the muon PBMC multiome peaks', () => {
  it('anndata reads our h5ad as muon wrote the same counts: X, var chrom/start/end, obs, obsm', async () => {
    const work = mkdtempSync(join(tmpdir(), 'ce-atac-h5ad-'));
    // Counts 600 cells × 174 peaks (cellranger-arc's matrix), peaks.bed (0-based, the same rows).
    const X = await readMatrixMarketTransposed(join(dir!, 'atac_peak_counts.mtx.gz'));
    const barcodes = readFileSync(join(dir!, 'barcodes.tsv'), 'utf8').trim().split('\n');
    const regions = await readBed(join(dir!, 'peaks.bed'));
    const totals = Int32Array.from({ length: X.nRows }, (_, r) => {
      let s = 0;
      for (let p = X.indptr[r]!; p < X.indptr[r + 1]!; p++) s += X.values[p]!;
      return s;
    });
    const pass = Array.from(totals, (t) => t >= 10);
    const counts = join(work, 'counts.parquet');
    const cells = join(work, 'cells.parquet');
    const regionsPath = join(work, 'regions.parquet');
    const lsi = join(work, 'lsi.parquet');
    await writeTable(counts, sparseToTable(csrToSparse(X)));
    await writeTable(
      cells,
      withEncoding(
        new Table({
          barcode: vectorFromArray(barcodes, new Utf8()),
          label: vectorFromArray(
            barcodes.map((_, i) => ['B', 'T', 'Mono'][i % 3]!),
            new Utf8(),
          ),
          n_fragments: makeVector({ type: new Int32(), data: totals }),
          frip: makeVector({
            type: new Float64(),
            data: Float64Array.from(totals, (t) => t / 1e3),
          }),
          pass_qc: vectorFromArray(pass, new Bool()),
        }),
        'cells',
        '1',
      ),
    );
    await writeTable(regionsPath, regionsToTable(regions));
    // An LSI of the first 550 cells only (as lsi's onlyPassing would leave): 50 cells drop out.
    const n = 550;
    await writeTable(
      lsi,
      withEncoding(
        new Table({
          barcode: vectorFromArray(barcodes.slice(0, n), new Utf8()),
          lsi1: makeVector({ type: new Float32(), data: Float32Array.from(totals.slice(0, n)) }),
          lsi2: makeVector({
            type: new Float32(),
            data: Float32Array.from({ length: n }, (_, i) => -i / 4),
          }),
        }),
        'lsi',
        '1',
      ),
    );
    // Cluster labels (as cell-embedding.cluster writes them) for the first 500 cells only.
    const labels = join(work, 'clusters.tsv');
    writeFileSync(
      labels,
      'barcode\tcluster\n' +
        barcodes
          .slice(0, 500)
          .map((b, i) => `${b}\t${['C1', 'C2', 'C10'][i % 3]}\n`)
          .join(''),
    );
    const stage = stages.find((s) => s.name === 'cell-embedding.export-atac-h5ad')!;
    const out = join(work, outputFileName('h5ad', stage.outputs['h5ad']!));
    const warnings: string[] = [];
    await stage.run({
      params: { cells: 'embedded', labelColumn: 'cluster' },
      inputs: { counts, cells, regions: regionsPath, lsi, labels },
      outputs: { h5ad: out },
      tempDir: work,
      log: { info: () => undefined, warn: (m: string) => warnings.push(m) },
      onProgress: () => undefined,
      signal: new AbortController().signal,
    });
    expect(warnings).toEqual([
      `100 cells have no cluster in ${labels} (NaN)`,
      '50 counted cells have no row in an embedding and were left out',
    ]);

    const o = runPythonJson<ExportView>(py!, 'atac_export_check.py', [
      out,
      join(dir!, 'atac_peaks.h5ad'),
    ]);
    expect(o.shape).toEqual([550, 174]);
    expect([o.X_format, o.X_dtype, o.X_sorted_indices]).toEqual(['csr', 'float32', true]);
    expect(o.X_equal_reference).toBe(true);
    expect(o.var_names_equal_reference).toBe(true);
    expect([o.var_chrom_equal, o.var_start_equal, o.var_end_equal]).toEqual([true, true, true]);
    expect(o.obs_dtypes).toEqual({
      label: 'category',
      n_fragments: 'int32',
      frip: 'float64',
      pass_qc: 'bool',
      cluster: 'category',
    });
    // Cells 500–549 are kept (they have LSI rows) but unlabelled: NaN, as pandas shows missing.
    expect(o.obs_na['cluster']).toBe(50);
    expect(o.obs_categories['cluster']).toEqual(['C1', 'C2', 'C10']);
    expect(o.cluster_head).toEqual(['C1', 'C2', 'C10']);
    expect(o.cluster_tail).toEqual([null, null]);
    expect(o.var_dtypes).toEqual({ chrom: 'category', start: 'int32', end: 'int32' });
    expect(o.obsm).toEqual({ X_lsi: [550, 2] });
    expect(o.obsm_first_rows['X_lsi']).toEqual([
      [totals[0], -0],
      [totals[1], -0.25],
    ]);
    expect(o.obs_names_head).toEqual(barcodes.slice(0, 2));
    expect(o.n_pass_qc).toBe(pass.slice(0, n).filter(Boolean).length);
  });
});
