/**
 * XChrom on chromflow's simulated `test-data/` (planted motifs and cell-type
 * programs; `truth.json` states the achievable AUROC). Held-out peaks and
 * cells are truth.json's `splits`; 10 % of the other peaks validate.
 *
 *   npx tsx --conditions=@chromflow/source scripts/eval-xchrom-test-data.ts \
 *     [--epochs 30] [--patience 5] [--workers 1] [--seed 0] [--pcs 32] [--noise 0.01] [--batch 128] [--lr 0.01]
 *     [--seq-length 1344] (window width; the model's seqLength)
 *     [--val-cells 0.1]   (fraction of the training cells that select the weights for unseen cells; 0: one model)
 *     [--dump-twin DIR]   (also write the PyTorch twin's inputs and split)
 *     [--out bench-results/xchrom-test-data.json]
 *
 * Inputs are built from the raw files with the packages' own functions, as the
 * upstream stages would: 1344-bp windows centred at (start+end)>>1 from
 * genome.fa (N-padded; genome-io), y = any Tn5 cut site (fragment start and
 * end−1, 0-based) of the cell in [start, end) (atac-pseudobulk), RNA embedding = `--pcs` PCs of log1p(counts/total·1e4) z-scored
 * per PC (cell-embedding's functions), depth = XChrom's b_zscore: z-scored
 * log10 of the cell's ATAC non-zero peaks (as the cell-embedding stage does).
 */
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { SeededRandom } from '@chromflow/core';
import {
  bZscoresFromNGenes,
  computePca,
  normaliseTotalLog1p,
  readTenxMtx,
  zscoreColumns,
} from '@chromflow/cell-embedding';
import { readCellLabels, RegionCounter, scanFragments } from '@chromflow/atac-pseudobulk';
import { makeWindows, openFasta, readBed, readWindowCodes } from '@chromflow/genome-io';
import { initBackend } from '@chromflow/compute';
import { peakIndexFromCellCounts, type XChromData } from '../src/data/xchrom-data.js';
import { type XChromSplit, xchromSplitToJson } from '../src/data/xchrom-split.js';
import { XCHROM_ADAM } from '../src/xchrom/xchrom-adam.js';
import { configFromParams } from '../src/xchrom/config-params.js';
import { evaluateXChromBlocks } from '../src/xchrom/evaluate.js';
import { trainXChrom } from '../src/xchrom/train-xchrom.js';

/** NumPy .npy (format 1.0) bytes of a C-order array. */
function npy(a: Uint8Array | Float32Array, dtype: string, shape: number[]): Buffer {
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([
    pre,
    Buffer.from(header, 'latin1'),
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
  ]);
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const dir = resolve(arg('data', '../../test-data'));
const L = Number(arg('seq-length', '1344'));
if (!Number.isInteger(L) || L <= 0) {
  throw new Error(
    `--seq-length must be a positive whole number of bases, got '${arg('seq-length', '')}'`,
  );
}

const backend = await initBackend();
// Peaks and their windows, as the peak-windows stage makes them.
const peaks = await readBed(join(dir, 'peaks.bed'));
const fasta = await openFasta(join(dir, 'genome.fa'));
const { codes } = await readWindowCodes(fasta, makeWindows(peaks, fasta.chromSizes, { width: L }));
await fasta.close();
// Cells (order of cells.tsv) and the RNA embedding joined by barcode.
const { barcodes } = await readCellLabels(join(dir, 'cells.tsv'));
const cellOf = new Map(barcodes.map((b, i) => [b, i]));
const rna = await readTenxMtx(join(dir, 'rna'));
const norm = normaliseTotalLog1p(rna.X, { targetSum: 1e4 });
const K = Number(arg('pcs', '32'));
const pca = computePca(norm.X, { nComponents: K, seed: 0 });
const z = zscoreColumns(pca.scores, rna.X.nRows, pca.nComponents);
const D = pca.nComponents;
const cellInputs = new Float32Array(barcodes.length * D);
rna.obs.index.forEach((b, r) => {
  const c = cellOf.get(b);
  if (c === undefined) return;
  for (let d = 0; d < D; d++) cellInputs[c * D + d] = z[r * D + d] as number;
});
// y: any Tn5 cut site (start, end − 1) of the cell in the peak, as the count-matrix stage counts it.
const counter = new RegionCounter(
  peaks,
  { method: 'cellranger-cutsites', binarise: true },
  barcodes,
);
await scanFragments(join(dir, 'fragments.tsv.gz'), [counter]);
const { rows, cols } = counter.finish().matrix;
const peaksPerCell = new Float64Array(barcodes.length);
for (const c of rows) peaksPerCell[c]!++;
const depth = Float32Array.from(bZscoresFromNGenes(peaksPerCell));
const idx = peakIndexFromCellCounts(
  barcodes.length,
  peaks.length,
  rows,
  cols,
  new Float32Array(rows.length).fill(1),
);
const data: XChromData = {
  nPeaks: peaks.length,
  nCells: barcodes.length,
  seqLength: L,
  codes,
  ...idx,
  cellInputs,
  embeddingDim: D,
  depth,
  barcodes,
  peakNames: peaks.names,
};
console.log(
  `test-data: ${data.nPeaks} peaks × ${data.nCells} cells, positive rate ${(rows.length / (data.nPeaks * data.nCells)).toFixed(4)}`,
);
// Split from truth.json.
const truth = JSON.parse(await readFile(join(dir, 'truth.json'), 'utf8')) as {
  splits: { heldOutPeaks: string[]; heldOutCells: string[] };
  bounds: Record<string, Record<string, { overall: number; perCell: number; perPeak: number }>>;
};
const heldPeaks = new Set(truth.splits.heldOutPeaks);
const heldCells = new Set(truth.splits.heldOutCells);
const seed = Number(arg('seed', '0'));
const rest = new SeededRandom(seed + 17).shuffle(
  peaks.names.flatMap((name, i) => (heldPeaks.has(name) ? [] : [i])),
);
const nVal = Math.round(rest.length * 0.1);
const sorted = (xs: number[]): Int32Array => Int32Array.from(xs).sort();
const seenCells = new SeededRandom(seed + 29).shuffle(
  barcodes.flatMap((b, i) => (heldCells.has(b) ? [] : [i])),
);
const nValCells = Math.round(seenCells.length * Number(arg('val-cells', '0.1')));
const split: XChromSplit = {
  trainPeaks: sorted(rest.slice(nVal)),
  valPeaks: sorted(rest.slice(0, nVal)),
  testPeaks: sorted(peaks.names.flatMap((name, i) => (heldPeaks.has(name) ? [i] : []))),
  trainCells: sorted(seenCells.slice(nValCells)),
  testCells: sorted(barcodes.map((_, i) => i).filter((i) => heldCells.has(barcodes[i]!))),
  valCells: sorted(seenCells.slice(0, nValCells)),
};
const twinDir = arg('dump-twin', '');
if (twinDir) {
  // The PyTorch twin's input (bench/xchrom_twin.py train --data DIR --split DIR/split.json).
  await mkdir(twinDir, { recursive: true });
  const labels = new Float32Array(data.nPeaks * data.nCells);
  rows.forEach((c, q) => (labels[cols[q]! * data.nCells + c] = 1));
  await writeFile(join(twinDir, 'seqs.npy'), npy(codes, '|u1', [data.nPeaks, L]));
  await writeFile(join(twinDir, 'labels.npy'), npy(labels, '<f4', [data.nPeaks, data.nCells]));
  await writeFile(join(twinDir, 'cell_embedding.npy'), npy(cellInputs, '<f4', [data.nCells, D]));
  await writeFile(join(twinDir, 'b_zscore.npy'), npy(depth, '<f4', [data.nCells]));
  await writeFile(join(twinDir, 'split.json'), JSON.stringify(xchromSplitToJson(split)));
  console.log(`[test-data] wrote the twin's inputs to ${twinDir}`);
}
if (process.argv.includes('--dump-only')) process.exit(0);
const config = {
  ...configFromParams({ size: 'small' }, L, D),
  cellNoiseSd: Number(arg('noise', '0.01')),
};
const t0 = performance.now();
const r = await trainXChrom(data, split, {
  config,
  seed,
  epochs: Number(arg('epochs', '30')),
  patience: Number(arg('patience', '5')),
  batchPeaks: Number(arg('batch', '128')),
  workers: Number(arg('workers', '1')),
  adam: { ...XCHROM_ADAM, learningRate: Number(arg('lr', '0.01')) },
  log: (m) => console.log(`[test-data] ${m}`),
});
const blocks = await evaluateXChromBlocks(r.model, data, split, r.cells?.model);
const result = {
  backend: backend.name,
  seconds: (performance.now() - t0) / 1000,
  bestEpoch: r.bestEpoch + 1,
  cellsBestEpoch: r.cells ? r.cells.bestEpoch + 1 : null,
  epochsRun: r.history.length,
  blocks,
  bounds: truth.bounds,
};
for (const [b, m] of Object.entries(blocks)) {
  console.log(
    `[test-data] ${b}: AUROC ${m.auroc.toFixed(3)}, per-cell ${m.perCellAuroc.toFixed(3)}, per-peak ${m.perPeakAuroc.toFixed(3)}, AUPRC ${m.auprc.toFixed(3)}`,
  );
}
// What truth.json says is reachable for the held-out blocks (see packages/simulate/README.md).
const references: [string, string, string][] = [
  ['testPeaks', 'heldOutPeaks', 'sequenceReadTypeAndDepth'],
  ['testPeaks', 'heldOutPeaks', 'sequenceTypeAndDepth'],
  ['testCells', 'heldOutCells', 'typeAndDepthFitted'],
  ['testCells', 'heldOutCells', 'typeAndDepth'],
];
for (const [block, split, reference] of references) {
  const m = blocks[block as keyof typeof blocks];
  const ref = truth.bounds[reference]?.[split];
  const ceiling = truth.bounds['ceiling']?.[split];
  if (!m || !ref || !ceiling) continue;
  console.log(
    `[test-data] ${block}: AUROC ${m.auroc.toFixed(3)} vs ${reference} ${ref.overall.toFixed(3)} (ceiling ${ceiling.overall.toFixed(3)}); per-cell ${m.perCellAuroc.toFixed(3)} vs ${ref.perCell.toFixed(3)}; per-peak ${m.perPeakAuroc.toFixed(3)} vs ${ref.perPeak.toFixed(3)}`,
  );
}
const out = arg('out', 'bench-results/xchrom-test-data.json');
await mkdir(dirname(out), { recursive: true });
await writeFile(out, JSON.stringify(result, null, 1));
