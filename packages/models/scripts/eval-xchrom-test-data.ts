/**
 * XChrom on chromflow's simulated `test-data/` (planted motifs and cell-type
 * programs; `truth.json` states the achievable AUROC). Held-out peaks and
 * cells are truth.json's `splits`; 10 % of the other peaks validate.
 *
 *   npx tsx --conditions=@chromflow/source scripts/eval-xchrom-test-data.ts \
 *     [--epochs 30] [--patience 5] [--workers 1] [--seed 0] [--pcs 32] [--noise 0.01] [--batch 128] [--lr 0.01]
 *     [--dump-twin DIR]   (also write the PyTorch twin's inputs and split)
 *     [--out bench-results/xchrom-test-data.json]
 *
 * Inputs are built here from the raw files, as the upstream stages would:
 * 1344-bp windows centred at (start+end)>>1 from genome.fa (N-padded), y = any
 * Tn5 insertion (fragment start and end−1, 0-based) of the cell in
 * [start, end), RNA embedding = `--pcs` PCs of log1p(counts/total·1e4) z-scored
 * per PC (cell-embedding's functions), depth = XChrom's b_zscore: z-scored
 * log10 of the cell's ATAC non-zero peaks (as the cell-embedding stage does).
 */
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  bZscoresFromNGenes,
  computePca,
  normaliseTotalLog1p,
  readTenxMtx,
  zscoreColumns,
} from '@chromflow/cell-embedding';
import { initBackend } from '../src/backend/init-backend.js';
import { peakIndexFromCellCounts, type XChromData } from '../src/data/xchrom-data.js';
import type { XChromSplit } from '../src/data/xchrom-split.js';
import { XCHROM_ADAM } from '../src/train/adam.js';
import { SeededRandom } from '@chromflow/core';
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
const L = 1344;
const CODE: Record<string, number> = { A: 0, C: 1, G: 2, T: 3 };

const backend = await initBackend();
// Genome.
const genome = new Map<string, string>();
let name = '';
let parts: string[] = [];
for (const line of (await readFile(join(dir, 'genome.fa'), 'utf8')).split('\n')) {
  if (line.startsWith('>')) {
    if (name) genome.set(name, parts.join(''));
    name = line.slice(1).trim().split(/\s+/)[0] ?? '';
    parts = [];
  } else parts.push(line.trim());
}
if (name) genome.set(name, parts.join(''));
// Peaks and windows.
const peaks = (await readFile(join(dir, 'peaks.bed'), 'utf8'))
  .split('\n')
  .filter(Boolean)
  .map((l) => l.split('\t'))
  .map((r) => ({ chrom: r[0] ?? '', start: Number(r[1]), end: Number(r[2]), name: r[3] ?? '' }));
const codes = new Uint8Array(peaks.length * L).fill(4);
peaks.forEach((p, i) => {
  const seq = genome.get(p.chrom) ?? '';
  const from = ((p.start + p.end) >> 1) - L / 2;
  for (let j = 0; j < L; j++) {
    const b = seq[from + j];
    codes[i * L + j] = b === undefined ? 4 : (CODE[b.toUpperCase()] ?? 4);
  }
});
// Cells (order of cells.tsv) and the RNA embedding joined by barcode.
const barcodes = (await readFile(join(dir, 'cells.tsv'), 'utf8'))
  .split('\n')
  .slice(1)
  .filter(Boolean)
  .map((l) => l.split('\t')[0] ?? '');
const cellOf = new Map(barcodes.map((b, i) => [b, i]));
const rna = await readTenxMtx(join(dir, 'rna'));
const rnaBarcodes = gunzipSync(await readFile(join(dir, 'rna', 'barcodes.tsv.gz')))
  .toString('utf8')
  .split('\n')
  .filter(Boolean);
const norm = normaliseTotalLog1p(rna.X, { targetSum: 1e4 });
const K = Number(arg('pcs', '32'));
const pca = computePca(norm.X, { nComponents: K, seed: 0 });
const z = zscoreColumns(pca.scores, rna.X.nRows, pca.nComponents);
const D = pca.nComponents;
const cellInputs = new Float32Array(barcodes.length * D);
rnaBarcodes.forEach((b, r) => {
  const c = cellOf.get(b);
  if (c === undefined) return;
  for (let d = 0; d < D; d++) cellInputs[c * D + d] = z[r * D + d] as number;
});
// Binarised counts from fragments.
const byChrom = new Map<string, number[]>();
peaks.forEach((p, i) => byChrom.set(p.chrom, [...(byChrom.get(p.chrom) ?? []), i]));
const hit = (chrom: string, pos: number): number => {
  const list = byChrom.get(chrom);
  if (!list) return -1;
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = peaks[list[mid] as number]!;
    if (pos < p.start) hi = mid - 1;
    else if (pos >= p.end) lo = mid + 1;
    else return list[mid] as number;
  }
  return -1;
};
const seen = new Set<number>();
const rows: number[] = [];
const cols: number[] = [];
for (const line of gunzipSync(await readFile(join(dir, 'fragments.tsv.gz')))
  .toString('utf8')
  .split('\n')) {
  if (!line || line.startsWith('#')) continue;
  const f = line.split('\t');
  const c = cellOf.get(f[3] ?? '');
  if (c === undefined) continue;
  for (const pos of [Number(f[1]), Number(f[2]) - 1]) {
    const p = hit(f[0] ?? '', pos);
    if (p >= 0 && !seen.has(c * peaks.length + p)) {
      seen.add(c * peaks.length + p);
      rows.push(c);
      cols.push(p);
    }
  }
}
const peaksPerCell = new Float64Array(barcodes.length);
for (const c of rows) peaksPerCell[c]!++;
const depth = Float32Array.from(bZscoresFromNGenes(peaksPerCell));
const idx = peakIndexFromCellCounts(
  barcodes.length,
  peaks.length,
  Int32Array.from(rows),
  Int32Array.from(cols),
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
  peakNames: peaks.map((p) => p.name),
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
  peaks.map((_, i) => i).filter((i) => !heldPeaks.has(peaks[i]!.name)),
);
const nVal = Math.round(rest.length * 0.1);
const sorted = (xs: number[]): Int32Array => Int32Array.from(xs).sort();
const split: XChromSplit = {
  trainPeaks: sorted(rest.slice(nVal)),
  valPeaks: sorted(rest.slice(0, nVal)),
  testPeaks: sorted(peaks.map((_, i) => i).filter((i) => heldPeaks.has(peaks[i]!.name))),
  trainCells: sorted(barcodes.map((_, i) => i).filter((i) => !heldCells.has(barcodes[i]!))),
  testCells: sorted(barcodes.map((_, i) => i).filter((i) => heldCells.has(barcodes[i]!))),
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
  const list = (a: Int32Array): number[] => Array.from(a);
  await writeFile(
    join(twinDir, 'split.json'),
    JSON.stringify({
      train_peak: list(split.trainPeaks),
      val_peak: list(split.valPeaks),
      test_peak: list(split.testPeaks),
      trainval_cell: list(split.trainCells),
      test_cell: list(split.testCells),
    }),
  );
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
const blocks = await evaluateXChromBlocks(r.model, data, split);
const result = {
  backend: backend.name,
  seconds: (performance.now() - t0) / 1000,
  bestEpoch: r.bestEpoch + 1,
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
  ['testPeaks', 'heldOutPeaks', 'sequenceTypeAndDepth'],
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
