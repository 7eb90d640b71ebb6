import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Int32, Table, Utf8, Float32, makeVector, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { SeededRandom, sparseToTable, withEncoding, writeTable } from '@chromflow/core';
import { cellsToTable, lsiToTable, type CellQc } from '@chromflow/atac-pseudobulk';
import { genesToTable } from '@chromflow/genome-io';
import { reportHtmlStage } from '../src/stages/report-html.js';
import { checkReportInBrowser, findChromium } from '../src/browser-check.js';

/**
 * A run's worth of small inputs with known structure: 3 cell types that
 * separate on the LSI, QC columns with a threshold, two coverage tracks, a
 * trained-model checkpoint with its history, split and predictions.
 */
async function makeInputs(dir: string): Promise<Record<string, string>> {
  const rng = new SeededRandom(7);
  const n = 90;
  const types = ['B', 'M', 'T'];
  const barcodes = Array.from({ length: n }, (_, i) => `cell${i}`);
  const labels = barcodes.map((_, i) => types[i % 3]!);
  const nFragments = Int32Array.from(barcodes, () => Math.round(500 + 4000 * rng.uniform()));
  const tss = Float64Array.from(barcodes, () => 2 + 10 * rng.uniform());
  // Fresh arrays per column: apache-arrow's IPC writer breaks on columns sharing one buffer.
  const zeros = (): Float64Array => new Float64Array(n);
  const qc: CellQc = {
    barcodes,
    nFragments,
    tssEnrichment: tss,
    frip: zeros(),
    nucleosomeSignal: zeros(),
    nMonoFragments: new Int32Array(n),
    nDiFragments: new Int32Array(n),
    nMultiFragments: new Int32Array(n),
    tssWindowInsertions: zeros(),
    tssFlankInsertions: zeros(),
    peakInsertions: zeros(),
  };
  const paths: Record<string, string> = {};
  paths['qc'] = join(dir, 'qc.parquet');
  await writeTable(
    paths['qc'],
    cellsToTable({
      barcodes,
      labels,
      qc,
      passQc: barcodes.map((_, i) => nFragments[i]! > 1000),
    }),
  );
  const k = 5;
  const u = new Float64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < k; c++) u[i * k + c] = (c === i % 3 ? 5 : 0) + rng.normal();
  paths['lsi'] = join(dir, 'lsi.parquet');
  await writeTable(
    paths['lsi'],
    lsiToTable(barcodes, {
      embedding: u,
      k,
      singularValues: new Float64Array(k).fill(1),
      depthCorrelations: new Float64Array(k),
    }),
  );
  paths['tracks'] = join(dir, 'tracks');
  await mkdir(paths['tracks'], { recursive: true });
  for (const [g, height] of [
    ['B', 3],
    ['T', 7],
  ] as const)
    await writeFile(
      join(paths['tracks'], `${g}.bedGraph`),
      `chr1\t9000\t9900\t1\nchr1\t9900\t10100\t${height}\nchr1\t10100\t11000\t1\n`,
    );
  paths['genes'] = join(dir, 'genes.parquet');
  await writeTable(
    paths['genes'],
    genesToTable({
      geneIds: ['G1', 'G2'],
      geneNames: ['GENE1', 'GENE2'],
      chroms: ['chr1', 'chr1'],
      starts: Int32Array.from([10000, 50000]),
      ends: Int32Array.from([12000, 52000]),
      strands: ['+', '+'],
      tsses: Int32Array.from([10000, 50000]),
      biotypes: ['protein_coding', 'protein_coding'],
      length: 2,
    }),
  );
  // A checkpoint: 3 epochs, a split of 20 peaks (4 held out) × 90 cells (9 held out).
  const ck = join(dir, 'checkpoint');
  await mkdir(ck, { recursive: true });
  await writeFile(
    join(ck, 'manifest.json'),
    JSON.stringify({
      bestEpoch: 1,
      cellsBestEpoch: 2,
      history: [0, 1, 2].map((e) => ({
        epoch: e,
        trainLoss: 0.6 - 0.05 * e,
        valLoss: 0.62 - 0.03 * e,
        valCellsLoss: 0.63 - 0.02 * e,
      })),
      metrics: { testCells: { auroc: 0.8, auprc: 0.5, nPeaks: 16, nCells: 9 } },
    }),
  );
  const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
  await writeFile(
    join(ck, 'split.json'),
    JSON.stringify({
      train_peak: range(0, 14),
      val_peak: range(14, 16),
      test_peak: range(16, 20),
      trainval_cell: range(0, 81),
      test_cell: range(81, 90),
    }),
  );
  paths['xchrom-checkpoint'] = ck;
  const rows: number[] = [];
  const cols: number[] = [];
  const cellIdx: number[] = [];
  const regions: number[] = [];
  const probs: number[] = [];
  for (let c = 0; c < n; c++)
    for (let p = 0; p < 20; p++) {
      const open = (p + c) % 3 === 0;
      if (open) {
        rows.push(c);
        cols.push(p);
      }
      cellIdx.push(c);
      regions.push(p);
      probs.push(Math.min(1, Math.max(0, (open ? 0.6 : 0.4) + 0.2 * rng.normal())));
    }
  paths['counts'] = join(dir, 'counts.parquet');
  await writeTable(
    paths['counts'],
    sparseToTable({
      nRows: n,
      nCols: 20,
      rows: Int32Array.from(rows),
      cols: Int32Array.from(cols),
      values: new Float32Array(rows.length).fill(1),
    }),
  );
  paths['cells'] = paths['qc'];
  const predictions = withEncoding(
    new Table({
      cell: vectorFromArray(
        cellIdx.map((c) => barcodes[c]!),
        new Utf8(),
      ),
      region: makeVector({ type: new Int32(), data: Int32Array.from(regions) }),
      probability: makeVector({ type: new Float32(), data: Float32Array.from(probs) }),
    }),
    'xchrom-predictions',
    '1',
  );
  paths['predictions-cells'] = join(dir, 'pred-cells.parquet');
  paths['predictions-peaks'] = join(dir, 'pred-peaks.parquet');
  await writeTable(paths['predictions-cells'], predictions);
  await writeTable(paths['predictions-peaks'], predictions);
  return paths;
}

describe('report.html stage', () => {
  it('writes one self-contained page with a figure per result and each figure as SVG', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chromflow-report-'));
    const inputs = await makeInputs(dir);
    const out = join(dir, 'out');
    const info = await reportHtmlStage.run({
      params: { title: 'test run', genes: [], flank: 1500, maxGenes: 3, seed: 1 },
      inputs,
      outputs: { report: out },
      tempDir: dir,
      log: { info: () => undefined, warn: () => undefined },
      onProgress: () => undefined,
      signal: new AbortController().signal,
    });
    const html = await readFile(join(out, 'index.html'), 'utf8');
    const svgs = (await readdir(join(out, 'figures'))).sort();
    // QC, the LSI UMAP by label, one track panel (GENE1: GENE2 has no coverage), curves, ROC.
    expect(svgs).toEqual([
      'qc-tss-vs-fragments.svg',
      'tracks-GENE1.svg',
      'umap-lsi-label.svg',
      'xchrom-roc.svg',
      'xchrom-training-curves.svg',
    ]);
    expect(info).toMatchObject({ metrics: { figures: 5, sections: 4 } });
    expect(html).not.toMatch(/<script|src=|href="http/);
    expect(html).toContain('pass QC');
    // The ROC legend states the held-out cells' AUROC from the predictions.
    expect(html).toMatch(/held-out cells \(AUROC 0\.\d{3}\)/);

    const chromium = findChromium();
    if (!chromium) {
      console.warn('skipping the browser check: no Chromium (Debian package chromium)');
      return;
    }
    const seen = await checkReportInBrowser(
      join(out, 'index.html'),
      join(dir, 'screenshot.png'),
      chromium,
    );
    expect(seen.errors).toEqual([]);
    expect(seen.figures).toHaveLength(5);
    for (const f of seen.figures) {
      expect(f.width, f.id).toBeGreaterThan(100);
      expect(f.height, f.id).toBeGreaterThan(50);
      expect(f.marks, f.id).toBeGreaterThan(10);
    }
    expect((await readFile(join(dir, 'screenshot.png'))).subarray(1, 4).toString()).toBe('PNG');
  });
});
