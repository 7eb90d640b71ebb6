import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bZscoresFromNGenes,
  computePca,
  normaliseTotalLog1p,
  readTenxMtx,
  zscoreColumns,
} from '@chromflow/cell-embedding';
import { readCellLabels, RegionCounter, scanFragments } from '@chromflow/atac-pseudobulk';
import { makeWindows, openFasta, readBed, readWindowCodes } from '@chromflow/genome-io';
import {
  configFromParams,
  makeXChromSplit,
  peakIndexFromCellCounts,
  trainXChrom,
  type XChromData,
  type XChromModel,
} from '@chromflow/models';

export const TEST_DATA = fileURLToPath(new URL('../../../test-data', import.meta.url));

export interface TestDataXChrom {
  data: XChromData;
  labels: string[];
  model: XChromModel;
  seconds: number;
}

/**
 * XChrom trained on test-data/ as models/scripts/eval-xchrom-test-data.ts builds
 * it, but with 256-bp windows (every planted site lies within 120 bp of its
 * peak's centre) and 8 RNA PCs to keep training short (12 epochs: 338 s on 2 loaded cores).
 * Returns the weights selected on validation cells (the unseen-cells weights).
 */
export async function trainOnTestData(epochs: number, L = 256): Promise<TestDataXChrom> {
  const peaks = await readBed(join(TEST_DATA, 'peaks.bed'));
  const fasta = await openFasta(join(TEST_DATA, 'genome.fa'), { writeIndex: false });
  const { codes } = await readWindowCodes(
    fasta,
    makeWindows(peaks, fasta.chromSizes, { width: L }),
  );
  await fasta.close();
  const { barcodes, labels } = await readCellLabels(join(TEST_DATA, 'cells.tsv'));
  const cellOf = new Map(barcodes.map((b, i) => [b, i]));
  const rna = await readTenxMtx(join(TEST_DATA, 'rna'));
  const norm = normaliseTotalLog1p(rna.X, { targetSum: 1e4 });
  const pca = computePca(norm.X, { nComponents: 8, seed: 0 });
  const z = zscoreColumns(pca.scores, rna.X.nRows, pca.nComponents);
  const D = pca.nComponents;
  const cellInputs = new Float32Array(barcodes.length * D);
  rna.obs.index.forEach((b, r) => {
    const c = cellOf.get(b);
    if (c === undefined) return;
    for (let d = 0; d < D; d++) cellInputs[c * D + d] = z[r * D + d] as number;
  });
  const counter = new RegionCounter(
    peaks,
    { method: 'cellranger-cutsites', binarise: true },
    barcodes,
  );
  await scanFragments(join(TEST_DATA, 'fragments.tsv.gz'), [counter]);
  const { rows, cols } = counter.finish().matrix;
  const perCell = new Float64Array(barcodes.length);
  for (const c of rows) perCell[c]!++;
  const data: XChromData = {
    nPeaks: peaks.length,
    nCells: barcodes.length,
    seqLength: L,
    codes,
    ...peakIndexFromCellCounts(
      barcodes.length,
      peaks.length,
      rows,
      cols,
      new Float32Array(rows.length).fill(1),
    ),
    cellInputs,
    embeddingDim: D,
    depth: Float32Array.from(bZscoresFromNGenes(perCell)),
    barcodes,
    peakNames: peaks.names,
  };
  const split = makeXChromSplit({
    nPeaks: data.nPeaks,
    nCells: data.nCells,
    testCellFraction: 0,
    testPeakFraction: 0,
    valFraction: 0.1,
    valCellFraction: 0.1,
    seed: 0,
  });
  const t0 = performance.now();
  const r = await trainXChrom(data, split, {
    config: configFromParams({ size: 'small' }, L, D),
    seed: 0,
    epochs,
    patience: epochs,
    batchPeaks: 128,
    workers: 1,
  });
  const model = r.cells?.model ?? r.model;
  if (r.cells) r.model.dispose();
  return { data, labels: labels ?? [], model, seconds: (performance.now() - t0) / 1000 };
}
