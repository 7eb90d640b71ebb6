/**
 * Atacformer cell embeddings against chromflow's LSI on the same cells:
 * k-means (k = number of cell types, 10 k-means++ starts, seeds 0–2) ARI,
 * AMI and homogeneity with the labels (means over the seeds), and 5-fold
 * stratified logistic-regression accuracy (C 1; cell-embedding's
 * `crossValidatedAccuracy`). LSI: atac-pseudobulk's `makeLsi` on the
 * binarised cells × regions matrix (30 components), components with
 * |depth r| > 0.75 dropped (ArchR), rows L2-normalised; on the whole data
 * also with component 1 dropped (the data README's scikit-learn variant).
 * Atacformer: `trainAtacformer` (replaced-token detection) then mean-pooled
 * embeddings, rows L2-normalised.
 *
 *   npx tsx --conditions=@chromflow/source packages/models/scripts/eval-atacformer.ts \
 *     [test-data|granja] [size] [epochs] [learning rate] [batch size] [embedding init std] [fine-tune epochs] [max fine-tune cells]
 *   epochs 0: LSI only. EVAL_HELD_OUT_ONLY=1: only the held-out scores.
 *   EVAL_CHECKPOINT=dir: load the pretrained model from dir if there, else train and save it there.
 *   EVAL_CE_WEIGHT=w: weight of the classification head in the fine-tune (default 1; 0 = triplet only).
 *   EVAL_FT_LR=r: the fine-tune's learning rate (default half the pretraining rate).
 *   EVAL_FT_FREEZE_TOKENS=1: the fine-tune leaves the token table as pretrained.
 *   EVAL_FT_WEIGHT_DECAY=w: the fine-tune's AdamW weight decay (default 0.01).
 *   EVAL_FT_SELECT=accuracy: the fine-tune's best epoch by the head's held-out accuracy (default loss).
 *   EVAL_FT_SEED=s: the fine-tune's seed (its validation cells, head, triplets; default 0); the
 *     scored 20 % stay the same.
 *   EVAL_EMBED_CONTEXT=n: tokens each cell is embedded with (default: the size's context, as in
 *     training); the encoder has no positions, so a cell can be read whole (Granja's largest: 958).
 *
 * test-data: fragments → tokens with peaks.bed as the universe (cells.tsv
 * labels). With fine-tune epochs > 0, the pretrained model is fine-tuned
 * (triplet loss + classification head) on a seeded 80 % of the cells (their
 * labels only) and LSI, pretrained and fine-tuned are scored on the other
 * 20 %, with the head's own accuracy there. granja:
 * ../shared/data/atac/granja2019_bmmc_d6t1_hg19 (10,335 cells × 10,000
 * peaks; README LSI baseline ARI 0.284, 5-fold accuracy 0.659).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { join } from 'node:path';
import { SeededRandom, sharedDataFile } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { readRegionsFile } from '@chromflow/genome-io';
import {
  FIRST_REGION_TOKEN,
  makeLsi,
  readCellLabels,
  tokenizeFragments,
  vocabularySize,
  type TokenSets,
} from '@chromflow/atac-pseudobulk';
import {
  adjustedMutualInformation,
  adjustedRandIndex,
  crossValidatedAccuracy,
  homogeneity,
  kMeans,
  readMatrixMarketTransposed,
} from '@chromflow/cell-embedding';
import { existsSync } from 'node:fs';
import { loadAtacformerModel, saveAtacformerModel } from '../src/atacformer/checkpoint.js';
import { atacformerConfig, type AtacformerSize } from '../src/atacformer/config.js';
import { atacformerInputs } from '../src/atacformer/inputs.js';
import { embedAtacformer } from '../src/atacformer/embed.js';
import { finetuneAtacformerTriplet } from '../src/atacformer/finetune-triplet.js';
import { cellTypeProbabilities } from '../src/atacformer/classifier.js';
import { splitAtacformerCells, trainAtacformer } from '../src/atacformer/train-atacformer.js';

const dataset = process.argv[2] ?? 'test-data';
const size = (process.argv[3] ?? 'small') as AtacformerSize;
const epochs = Number(process.argv[4] ?? 20);
const learningRate = Number(process.argv[5] ?? 1e-3);
const batchSize = Number(process.argv[6] ?? 16);
const embeddingInitStd = Number(process.argv[7] ?? 1);
const finetuneEpochs = Number(process.argv[8] ?? 0);
// Labelled cells the fine-tune trains on, at most (the rest of the 80 % unused); 0 = all.
const maxFinetuneCells = Number(process.argv[9] ?? 0);
// Weight of the classification head's cross-entropy in the fine-tune (0: triplet only).
const crossEntropyWeight = Number(process.env['EVAL_CE_WEIGHT'] ?? 1);
// Held-out scores only (skips the whole-data k-means, minutes on 10,335 cells).
const heldOutOnly = process.env['EVAL_HELD_OUT_ONLY'] === '1';
const finetuneLearningRate = Number(process.env['EVAL_FT_LR'] ?? learningRate / 2);
const embedContext = process.env['EVAL_EMBED_CONTEXT'];
const freezeTokenTable = process.env['EVAL_FT_FREEZE_TOKENS'] === '1';
const finetuneWeightDecay = Number(process.env['EVAL_FT_WEIGHT_DECAY'] ?? 0.01);
const selectBy = process.env['EVAL_FT_SELECT'] === 'accuracy' ? 'accuracy' : 'loss';
const finetuneSeed = Number(process.env['EVAL_FT_SEED'] ?? 0);

async function gzLines(path: string): Promise<string[]> {
  const out: string[] = [];
  const rl = createInterface({ input: createReadStream(path).pipe(createGunzip()) });
  for await (const l of rl) if (l !== '') out.push(l);
  return out;
}

async function load(): Promise<{ sets: TokenSets; labels: string[]; vocab: number }> {
  if (dataset === 'granja') {
    const dir = sharedDataFile('atac/granja2019_bmmc_d6t1_hg19');
    if (dir === undefined)
      throw new Error('../shared/data/atac/granja2019_bmmc_d6t1_hg19 is absent');
    const { regions } = await readRegionsFile(join(dir, 'peaks.bed.gz'));
    const m = await readMatrixMarketTransposed(join(dir, 'counts_peaks_x_cells.mtx.gz'));
    const rows = (await gzLines(join(dir, 'cells.tsv.gz'))).slice(1).map((l) => l.split('\t'));
    const tokens = Int32Array.from(m.indices, (j) => j + FIRST_REGION_TOKEN);
    for (let r = 0; r < m.nRows; r++) tokens.subarray(m.indptr[r], m.indptr[r + 1]).sort();
    const nOverlapped = Int32Array.from(
      { length: m.nRows },
      (_, r) => m.indptr[r + 1]! - m.indptr[r]!,
    );
    return {
      sets: { barcodes: rows.map((f) => f[0]!), offsets: m.indptr, tokens, nOverlapped },
      labels: rows.map((f) => f[1]!),
      vocab: vocabularySize({ regions }),
    };
  }
  const root = join(import.meta.dirname, '../../../test-data');
  const { regions } = await readRegionsFile(join(root, 'peaks.bed'));
  const cells = await readCellLabels(join(root, 'cells.tsv'), { labelColumn: 'cell_type' });
  const v = { regions };
  const t = await tokenizeFragments(
    join(root, 'fragments.tsv.gz'),
    v,
    { contextLength: 8192, seed: 0 },
    cells.barcodes,
  );
  return { sets: t, labels: cells.labels!, vocab: vocabularySize(v) };
}

function l2rows(x: Float64Array, n: number, d: number): Float64Array {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j]! ** 2;
    const k = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let j = 0; j < d; j++) x[i * d + j]! *= k;
  }
  return x;
}

/**
 * k-means (k = number of labels, seeds 0–2, each 10 starts) ARI, AMI and
 * homogeneity averaged over the seeds, and 5-fold stratified logistic
 * regression accuracy (C 1), as one line.
 */
function scores(x: Float64Array, n: number, d: number, labels: string[]): string {
  const k = new Set(labels).size;
  const m = [0, 0, 0];
  for (const seed of [0, 1, 2]) {
    const c = Array.from(kMeans(x, n, d, k, { seed }).labels);
    m[0]! += adjustedRandIndex(labels, c) / 3;
    m[1]! += adjustedMutualInformation(labels, c) / 3;
    m[2]! += homogeneity(labels, c) / 3;
  }
  const acc = crossValidatedAccuracy(x, n, d, labels, { seed: 0 }).accuracy;
  return `k-means ARI ${m[0]!.toFixed(3)}, AMI ${m[1]!.toFixed(3)}, homogeneity ${m[2]!.toFixed(3)}; 5-fold LR accuracy ${acc.toFixed(3)}`;
}

const backend = await initBackend({ quiet: true });
const { sets, labels, vocab } = await load();
const n = sets.barcodes.length;
console.log(
  `${dataset}: ${n} cells, ${sets.tokens.length} tokens, vocabulary ${vocab}, ${new Set(labels).size} types; backend ${backend.name}`,
);

// LSI on the binarised cells × regions matrix.
const rows: number[] = [];
for (let r = 0; r < n; r++)
  for (let k = sets.offsets[r]!; k < sets.offsets[r + 1]!; k++) rows.push(r);
const m = {
  nRows: n,
  nCols: vocab - FIRST_REGION_TOKEN,
  rows: Int32Array.from(rows),
  cols: Int32Array.from(sets.tokens, (t) => t - FIRST_REGION_TOKEN),
  values: new Float32Array(sets.tokens.length).fill(1),
};
const lsi = makeLsi(m, { components: 30 });
const keep = Array.from({ length: lsi.k }, (_, c) => c).filter(
  (c) => Math.abs(lsi.depthCorrelations[c]!) <= 0.75,
);
const lx = new Float64Array(n * keep.length);
for (let i = 0; i < n; i++)
  keep.forEach((c, j) => (lx[i * keep.length + j] = lsi.embedding[i * lsi.k + c]!));
l2rows(lx, n, keep.length);
if (!heldOutOnly) {
  console.log(
    `LSI (${keep.length} of ${lsi.k} components), ${n} cells: ${scores(lx, n, keep.length, labels)}`,
  );
  // The README's variant: component 1 dropped whatever its depth correlation.
  const l1 = new Float64Array(n * (lsi.k - 1));
  for (let i = 0; i < n; i++)
    for (let c = 1; c < lsi.k; c++) l1[i * (lsi.k - 1) + c - 1] = lsi.embedding[i * lsi.k + c]!;
  console.log(
    `LSI (components 2–${lsi.k}), ${n} cells: ${scores(l2rows(l1, n, lsi.k - 1), n, lsi.k - 1, labels)}`,
  );
}
if (epochs === 0) process.exit(0);

const config = atacformerConfig(size, vocab, { embeddingInitStd });
const inputs = atacformerInputs(sets, vocab, config.contextLength, 0);
// The same cells (zero-token ones left out alike), subsampled to the embedding context.
const embedSets =
  embedContext === undefined
    ? inputs.sets
    : atacformerInputs(sets, vocab, Number(embedContext), 0).sets;
const t0 = performance.now();
// EVAL_CHECKPOINT=dir: load the pretrained model from there when present, else train and save it there.
const saved = process.env['EVAL_CHECKPOINT'];
const r =
  saved && existsSync(join(saved, 'model.json'))
    ? {
        model: (await loadAtacformerModel(saved)).model,
        history: [],
        bestEpoch: -1,
        bestValLoss: NaN,
        tokensPerSecond: NaN,
      }
    : await trainAtacformer(inputs.sets, {
        config,
        seed: 0,
        epochs,
        patience: epochs,
        batchSize,
        learningRate,
        valFraction: 0.1,
        log: (s) => console.log(s),
      });
if (saved && r.bestEpoch >= 0)
  await saveAtacformerModel(saved, r.model, {
    stage: 'eval-atacformer',
    vocabularyHash: '',
    dataHashes: {},
    metrics: { bestValLoss: r.bestValLoss },
  });
const kept = new Set(inputs.sets.barcodes);
const keptLabels = sets.barcodes
  .map((b, i) => [b, labels[i]!] as const)
  .filter(([b]) => kept.has(b))
  .map(([, l]) => l);
const nKept = inputs.sets.barcodes.length;
// The 20 % scored after a fine-tune; with EVAL_HELD_OUT_ONLY only these cells are embedded.
const { train, val: test } = splitAtacformerCells(nKept, 0.2, 1);
const embedded = heldOutOnly ? test : Int32Array.from({ length: nKept }, (_, i) => i);
const embedCells = (model: typeof r.model): Float32Array => {
  const off = [0];
  const toks: number[] = [];
  for (const i of embedded) {
    toks.push(...embedSets.tokens.subarray(embedSets.offsets[i], embedSets.offsets[i + 1]));
    off.push(toks.length);
  }
  const sub = {
    barcodes: Array.from(embedded, (i) => embedSets.barcodes[i]!),
    offsets: Int32Array.from(off),
    tokens: Int32Array.from(toks),
    nOverlapped: Int32Array.from(embedded, (i) => embedSets.nOverlapped[i]!),
  };
  return embedAtacformer(model, sub).cells;
};
const d = config.dim;
const pretrainedCells = embedCells(r.model);
const atfScores = heldOutOnly
  ? 'whole-data scores skipped'
  : scores(l2rows(Float64Array.from(pretrainedCells), nKept, d), nKept, d, keptLabels);
console.log(
  `Atacformer ${size} (${r.history.length} epochs, best ${r.bestEpoch + 1}, val RTD ${r.bestValLoss.toFixed(4)}, ${r.tokensPerSecond.toFixed(0)} tokens/s, ${((performance.now() - t0) / 1000).toFixed(1)} s): ${atfScores}` +
    (inputs.empty.length ? ` (${inputs.empty.length} cells with zero tokens left out)` : ''),
);

if (finetuneEpochs > 0) {
  const shuffled = new SeededRandom(2).shuffle(Int32Array.from(train));
  const used = new Set(maxFinetuneCells > 0 ? shuffled.slice(0, maxFinetuneCells) : shuffled);
  const trainLabels = keptLabels.map((l, i) => (used.has(i) ? l : ''));
  const ft = await finetuneAtacformerTriplet(inputs.sets, trainLabels, {
    pretrained: r.model,
    seed: finetuneSeed,
    epochs: finetuneEpochs,
    patience: finetuneEpochs,
    batchSize,
    learningRate: finetuneLearningRate,
    valFraction: 0.1,
    crossEntropyWeight,
    freezeTokenTable,
    weightDecay: finetuneWeightDecay,
    selectBy,
    log: (s) => console.log(s),
  });
  const tunedCells = embedCells(ft.model);
  // Rows of the test cells (cell i of the kept cells; embedded rows follow `embedded`).
  const rowsOf = (x: ArrayLike<number>, dim: number, byEmbedded: boolean): Float64Array => {
    const out = new Float64Array(test.length * dim);
    test.forEach((i, k) => {
      const src = byEmbedded && heldOutOnly ? k : i;
      for (let j = 0; j < dim; j++) out[k * dim + j] = x[src * dim + j]!;
    });
    return out;
  };
  const testLabels = Array.from(test, (i) => keptLabels[i]!);
  const keptIndex = new Map(sets.barcodes.map((b, i) => [b, i]));
  const lsiRows = Float64Array.from(
    inputs.sets.barcodes.flatMap((b) => {
      const i = keptIndex.get(b)!;
      return Array.from(lx.subarray(i * keep.length, (i + 1) * keep.length));
    }),
  );
  const embeddings = [
    ['LSI', rowsOf(lsiRows, keep.length, false), keep.length],
    ['pretrained', l2rows(rowsOf(pretrainedCells, d, true), test.length, d), d],
    [
      crossEntropyWeight > 0 ? 'triplet + head fine-tuned' : 'triplet fine-tuned',
      l2rows(rowsOf(tunedCells, d, true), test.length, d),
      d,
    ],
  ] as const;
  if (ft.head) {
    // The head's own predictions of the held-out cells (unseen in the fine-tune).
    const e = rowsOf(tunedCells, d, true);
    const p = cellTypeProbabilities(ft.head, Float32Array.from(e), test.length);
    const ok = p.predicted.filter((l, k) => l === testLabels[k]).length;
    console.log(
      `held-out ${test.length} cells, classification head (CE weight ${crossEntropyWeight}): accuracy ${(ok / test.length).toFixed(3)}, mean max probability ${(p.maxProbability.reduce((a, b) => a + b, 0) / test.length).toFixed(3)}`,
    );
  }
  for (const [name, x, dim] of embeddings)
    console.log(
      `held-out ${test.length} cells, ${name}: ${scores(x, test.length, dim, testLabels)}`,
    );
}
