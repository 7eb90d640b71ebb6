/**
 * CRAFT evidence on paired multiome cells: partner retrieval (a held-out
 * cell's own RNA among the held-out cells' RNA, by the ATAC joint embedding)
 * against chance, and RNA imputed from ATAC against baselines, on held-out
 * test cells that neither pretraining nor CRAFT saw.
 *
 *   npx tsx --conditions=@chromflow/source packages/models/scripts/eval-craft.ts \
 *     <test-data | sim:<dir> | muon> [size] [pretrain epochs] [pretrain rate] [craft epochs] [craft rate] [batch size] [seed]
 *
 * test-data: the repository's simulated multiome (fragments + test-data/rna,
 * the same barcodes); sim:<dir>: a `simulate --out <dir> --scale N` folder of
 * the same layout; muon: ../shared/data/multiome/muon_pbmc_10x_multiome (600
 * PBMC cells, 45 marker genes; fragments of the 45 loci ± 5 kb; the 174
 * cellranger-arc peaks as the universe). RNA: cell-embedding's
 * `normaliseTotalLog1p` (log1p CP10k), all genes.
 *
 * Split (seeded): 20 % of the paired cells are the test cells; Atacformer is
 * pretrained (replaced-token detection) on the other 80 % only, and CRAFT
 * fine-tuned on them (its own 10 % validation inside). Imputation baselines:
 * the training cells' mean expression (a constant: per-gene Pearson
 * undefined, so MSE and per-cell Pearson across genes are compared), and
 * k-NN (k = 10, cosine) on the pretrained Atacformer embedding: the mean RNA
 * of a test cell's 10 nearest training cells.
 */
import { join } from 'node:path';
import { pearson, sharedDataFile } from '@chromflow/core';
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
  describePairing,
  normaliseTotalLog1p,
  readH5ad,
  readTenxMtx,
  type AnnData,
} from '@chromflow/cell-embedding';
import { atacformerConfig, type AtacformerSize } from '../src/atacformer/config.js';
import { atacformerInputs } from '../src/atacformer/inputs.js';
import { embedAtacformer } from '../src/atacformer/embed.js';
import { craftInputs } from '../src/atacformer/craft-inputs.js';
import { embedCraft } from '../src/atacformer/craft-embed.js';
import { partnerRetrieval } from '../src/atacformer/partner-retrieval.js';
import { finiteSummary, perGenePearson } from '../src/atacformer/per-gene-pearson.js';
import { trainCraft, type CraftPairs } from '../src/atacformer/train-craft.js';
import { splitAtacformerCells, trainAtacformer } from '../src/atacformer/train-atacformer.js';

const dataset = process.argv[2] ?? 'test-data';
const size = (process.argv[3] ?? 'small') as AtacformerSize;
const pretrainEpochs = Number(process.argv[4] ?? 20);
const pretrainRate = Number(process.argv[5] ?? 1e-3);
const craftEpochs = Number(process.argv[6] ?? 30);
const learningRate = Number(process.argv[7] ?? 1e-3);
const batchSize = Number(process.argv[8] ?? 32);
const seed = Number(process.argv[9] ?? 0);

async function load(): Promise<{
  sets: TokenSets;
  rna: AnnData;
  vocab: number;
  labels?: Map<string, string>;
}> {
  let labels: Map<string, string> | undefined;
  let fragments: string;
  let universe: string;
  let counts: AnnData;
  if (dataset === 'muon') {
    const dir = sharedDataFile('multiome/muon_pbmc_10x_multiome');
    if (dir === undefined) process.exit(0);
    fragments = join(dir, 'fragments.tsv.gz');
    universe = join(dir, 'peaks.bed');
    counts = await readH5ad(join(dir, 'rna.h5ad'));
  } else {
    const dir =
      dataset === 'test-data'
        ? join(import.meta.dirname, '../../../test-data')
        : dataset.replace(/^sim:/, '');
    fragments = join(dir, 'fragments.tsv.gz');
    universe = join(dir, 'peaks.bed');
    counts = await readTenxMtx(join(dir, 'rna'));
    const cells = await readCellLabels(join(dir, 'cells.tsv'), { labelColumn: 'cell_type' });
    labels = new Map(cells.barcodes.map((b, i) => [b, cells.labels![i]!]));
  }
  const { regions } = await readRegionsFile(universe);
  const v = { regions };
  const sets = await tokenizeFragments(
    fragments,
    v,
    { contextLength: 8192, seed: 0 },
    counts.obs.index,
  );
  const norm = normaliseTotalLog1p(counts.X);
  return { sets, rna: { ...counts, X: norm.X }, vocab: vocabularySize(v), labels };
}

/** Rows `idx` of a row-major matrix of width w. */
function rows(x: Float32Array, idx: ArrayLike<number>, w: number): Float32Array {
  const out = new Float32Array(idx.length * w);
  for (let k = 0; k < idx.length; k++) out.set(x.subarray(idx[k]! * w, idx[k]! * w + w), k * w);
  return out;
}

function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}

/** Mean over cells of Pearson across genes (NaN rows skipped). */
function perCellPearson(pred: Float32Array, obs: Float32Array, n: number, g: number): number {
  const r = Array.from({ length: n }, (_, i) =>
    pearson(pred.subarray(i * g, i * g + g), obs.subarray(i * g, i * g + g)),
  );
  return finiteSummary(r).mean;
}

function unitRows(x: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(x);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += out[i * d + c]! ** 2;
    const k = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let c = 0; c < d; c++) out[i * d + c]! *= k;
  }
  return out;
}

/** Mean expression of each query's k most cosine-similar reference cells. */
function knnImpute(
  q: Float32Array,
  ref: Float32Array,
  refRna: Float32Array,
  d: number,
  g: number,
  k: number,
): Float32Array {
  const nq = q.length / d;
  const nr = ref.length / d;
  const qu = unitRows(q, nq, d);
  const ru = unitRows(ref, nr, d);
  const out = new Float32Array(nq * g);
  const sims = new Float64Array(nr);
  for (let i = 0; i < nq; i++) {
    for (let j = 0; j < nr; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += qu[i * d + c]! * ru[j * d + c]!;
      sims[j] = s;
    }
    const top = Array.from({ length: nr }, (_, j) => j)
      .sort((a, b) => sims[b]! - sims[a]! || a - b)
      .slice(0, k);
    for (const j of top) for (let c = 0; c < g; c++) out[i * g + c]! += refRna[j * g + c]! / k;
  }
  return out;
}

const fmt = (x: number): string => x.toFixed(3);

const backend = await initBackend({ quiet: true });
const t0 = performance.now();
const { sets, rna, vocab, labels } = await load();
const config = atacformerConfig(size, vocab, { embeddingInitStd: 0.1 });
const atac = atacformerInputs(sets, vocab, config.contextLength, seed);
const inputs = craftInputs(atac.sets, rna, { hvgOnly: false });
const pairs: CraftPairs = inputs.pairs;
const n = pairs.sets.barcodes.length;
const G = pairs.genes;
let nTok = 0;
for (let i = 0; i < n; i++) nTok += pairs.sets.offsets[i + 1]! - pairs.sets.offsets[i]!;
console.log(
  `${dataset}: ${describePairing(inputs.pairing)}; ${atac.empty.length} cells with zero tokens left out; ${G} genes; vocabulary ${vocab}; ${(nTok / n).toFixed(1)} tokens/cell; backend ${backend.name}`,
);

const { train, val: test } = splitAtacformerCells(n, 0.2, seed + 101);
const sub = (idx: Int32Array): TokenSets => {
  const off = [0];
  const toks: number[] = [];
  for (const i of idx) {
    toks.push(...pairs.sets.tokens.subarray(pairs.sets.offsets[i], pairs.sets.offsets[i + 1]));
    off.push(toks.length);
  }
  return {
    barcodes: Array.from(idx, (i) => pairs.sets.barcodes[i]!),
    offsets: Int32Array.from(off),
    tokens: Int32Array.from(toks),
    nOverlapped: Int32Array.from(idx, (i) => pairs.sets.nOverlapped[i]!),
  };
};
const pre = await trainAtacformer(sub(train), {
  config,
  seed,
  epochs: pretrainEpochs,
  patience: pretrainEpochs,
  batchSize,
  learningRate: pretrainRate,
  valFraction: 0.1,
});
console.log(
  `pretrain (${size}, ${train.length} cells): ${pre.history.length} epochs, best ${pre.bestEpoch + 1}, val RTD ${fmt(pre.bestValLoss)}`,
);
const craft = await trainCraft(pairs, {
  pretrained: pre.model,
  heads: { rnaHidden: 128, projectionDim: 64, decoderHidden: 128, imputeWeight: 1 },
  cells: train,
  seed,
  epochs: craftEpochs,
  patience: craftEpochs,
  batchSize,
  learningRate,
  valFraction: 0.1,
});
console.log(
  `CRAFT: ${craft.history.length} epochs, best ${craft.bestEpoch + 1}, val loss ${fmt(craft.bestValLoss)}, temperature ${fmt(Math.exp(-craft.model.logitScale.dataSync()[0]!))}`,
);

const nt = test.length;
const e = embedCraft(craft.model, pairs, test);
const P = e.projectionDim;
const fwd = partnerRetrieval(e.atac, e.rna, nt, P, [1, 10]);
const back = partnerRetrieval(e.rna, e.atac, nt, P, [1, 10]);
console.log(
  `retrieval on ${nt} held-out cells, ATAC → own RNA: top-1 ${fmt(fwd.topK[1]!)}, top-10 ${fmt(fwd.topK[10]!)} (chance ${fmt(fwd.chance[1]!)}, ${fmt(fwd.chance[10]!)}); mean rank ${fwd.meanRank.toFixed(1)} (chance ${((nt - 1) / 2).toFixed(1)}); RNA → own ATAC: top-1 ${fmt(back.topK[1]!)}, top-10 ${fmt(back.topK[10]!)}`,
);

// With cell types known (the simulator's cells.tsv): how much of the retrieval a
// type-only embedding explains. Such an embedding ranks a cell's own type first,
// in random order: expected top-k = mean over cells of min(k, n_type) / n_type.
if (labels) {
  const types = Array.from(test, (i) => labels.get(pairs.sets.barcodes[i]!) ?? '');
  const count = new Map<string, number>();
  for (const t of types) count.set(t, (count.get(t) ?? 0) + 1);
  const oracle = (k: number): number =>
    types.reduce((s, t) => s + Math.min(k, count.get(t)!) / count.get(t)!, 0) / nt;
  let sameType = 0;
  for (let i = 0; i < nt; i++) {
    let best = -1;
    let bestSim = -Infinity;
    for (let j = 0; j < nt; j++) {
      let s = 0;
      for (let c = 0; c < P; c++) s += e.atac[i * P + c]! * e.rna[j * P + c]!;
      if (s > bestSim) [best, bestSim] = [j, s];
    }
    if (types[best] === types[i]) sameType++;
  }
  console.log(
    `${count.size} cell types among the held-out cells: a type-only embedding expects top-1 ${fmt(oracle(1))}, top-10 ${fmt(oracle(10))}; CRAFT's top-1 RNA is of the query's type for ${fmt(sameType / nt)} of them`,
  );
}

// Imputation on the test cells.
const obs = rows(pairs.rna, test, G);
const trainRna = rows(pairs.rna, train, G);
const mean = new Float32Array(G);
for (let i = 0; i < train.length; i++)
  for (let c = 0; c < G; c++) mean[c]! += trainRna[i * G + c]! / train.length;
const meanPred = new Float32Array(nt * G);
for (let i = 0; i < nt; i++) meanPred.set(mean, i * G);
const dA = pre.model.config.dim;
const embTrain = embedAtacformer(pre.model, sub(train)).cells;
const embTest = embedAtacformer(pre.model, sub(test)).cells;
const knn = knnImpute(embTest, embTrain, trainRna, dA, G, 10);
const report = (name: string, pred: Float32Array): void => {
  const r = finiteSummary(perGenePearson(pred, obs, nt, G));
  console.log(
    `imputation ${name}: per-gene Pearson median ${fmt(r.median)}, mean ${fmt(r.mean)} (${r.count} of ${G} genes defined); per-cell Pearson ${fmt(perCellPearson(pred, obs, nt, G))}; MSE ${mse(pred, obs).toFixed(4)}`,
  );
};
// LSI of all paired cells (unsupervised, test cells included: a transductive
// baseline), components with |depth r| > 0.75 dropped, as in eval-atacformer.ts.
const cellOf: number[] = [];
for (let r = 0; r < n; r++)
  for (let k = pairs.sets.offsets[r]!; k < pairs.sets.offsets[r + 1]!; k++) cellOf.push(r);
const lsi = makeLsi(
  {
    nRows: n,
    nCols: vocab - FIRST_REGION_TOKEN,
    rows: Int32Array.from(cellOf),
    cols: Int32Array.from(pairs.sets.tokens, (t) => t - FIRST_REGION_TOKEN),
    values: new Float32Array(pairs.sets.tokens.length).fill(1),
  },
  { components: 30 },
);
const keep = Array.from({ length: lsi.k }, (_, c) => c).filter(
  (c) => Math.abs(lsi.depthCorrelations[c]!) <= 0.75,
);
const lsiRows = Float32Array.from({ length: n * keep.length }, (_, x) => {
  const i = Math.floor(x / keep.length);
  return lsi.embedding[i * lsi.k + keep[x % keep.length]!]!;
});
const knnLsi = knnImpute(
  rows(lsiRows, test, keep.length),
  rows(lsiRows, train, keep.length),
  trainRna,
  keep.length,
  G,
  10,
);
report('CRAFT decoder', e.imputed);
report('k-NN (10) on pretrained Atacformer', knn);
report(`k-NN (10) on LSI (${keep.length} components)`, knnLsi);
report('training mean', meanPred);
if (labels) {
  // Uses the true labels of the test cells: a reference, not a competitor.
  const typeOf = (i: number): string => labels.get(pairs.sets.barcodes[i]!) ?? '';
  const sums = new Map<string, { s: Float64Array; k: number }>();
  train.forEach((i, r) => {
    const t = sums.get(typeOf(i)) ?? { s: new Float64Array(G), k: 0 };
    for (let c = 0; c < G; c++) t.s[c]! += trainRna[r * G + c]!;
    t.k++;
    sums.set(typeOf(i), t);
  });
  const typeMean = new Float32Array(nt * G);
  test.forEach((i, r) => {
    const t = sums.get(typeOf(i));
    if (t) for (let c = 0; c < G; c++) typeMean[r * G + c] = t.s[c]! / t.k;
  });
  report("true type's training mean (label oracle)", typeMean);
}
const expressed = finiteSummary(perGenePearson(obs, obs, nt, G)).count;
console.log(
  `(${expressed} of ${G} genes vary across the test cells; wall ${((performance.now() - t0) / 1000).toFixed(1)} s; seed ${seed})`,
);
craft.model.dispose();
pre.model.dispose();
