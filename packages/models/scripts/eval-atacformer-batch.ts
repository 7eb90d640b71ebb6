/**
 * Batch correction on a planted batch effect: the simulator's default cells
 * (4 types, 300 cells) with simulate's `plantBatchEffect` (2 batches dealt
 * evenly within each type; depth 0.9 vs 0.5 and per-peak log-normal capture
 * σ = 1, `DEFAULT_BATCH_EFFECT`), tokenized with the peaks as the universe.
 * An Atacformer is pretrained (RTD) on all cells, then fine-tuned three ways
 * from the same weights for the same epochs: batch correction (gradient-
 * reversal adversary, λ = 1, α = 1, last 2 blocks), the same with λ = 0
 * (RTD only: the control, so a gain is the adversary's, not more training),
 * and scored on all cells, embeddings L2-normalised:
 *   cell-type ARI and batch ARI of k-means (k = number of types, 3 seeds
 *   averaged): the first should stay, the second fall to ~0;
 *   kNN batch entropy (k = 15; 1 = neighbourhoods as mixed as the data) and
 *   kBET-style rejection rate (k = 15, α = 0.05; ~0.05 when mixed).
 * LSI of the same cells is given for reference.
 *
 *   npx tsx --conditions=@chromflow/source packages/models/scripts/eval-atacformer-batch.ts \
 *     [size tiny] [pretrain epochs 8] [fine-tune epochs 10] [learning rate 5e-3] [adversary weight 1] [capture σ 1] [start pretrained|triplet] [GRL α 0.1]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@chromflow/compute';
import { writeFragments } from '@chromflow/genome-io';
import {
  FIRST_REGION_TOKEN,
  makeLsi,
  tokenizeFragments,
  vocabularySize,
} from '@chromflow/atac-pseudobulk';
import {
  adjustedRandIndex,
  kMeans,
  kbetRejectionRate,
  knnBatchEntropy,
  nearestNeighbours,
} from '@chromflow/cell-embedding';
import {
  DEFAULT_BATCH_EFFECT,
  fragmentRecords,
  peakRegions,
  plantBatchEffect,
  simulateDataset,
} from '@chromflow/simulate';
import { atacformerConfig, type AtacformerSize } from '../src/atacformer/config.js';
import { atacformerInputs } from '../src/atacformer/inputs.js';
import { loadAtacformerModel, saveAtacformerModel } from '../src/atacformer/checkpoint.js';
import { embedAtacformer } from '../src/atacformer/embed.js';
import { finetuneAtacformerBatch, subsetTokenSets } from '../src/atacformer/finetune-batch.js';
import { finetuneAtacformerTriplet } from '../src/atacformer/finetune-triplet.js';
import { splitAtacformerCells, trainAtacformer } from '../src/atacformer/train-atacformer.js';

const size = (process.argv[2] ?? 'tiny') as AtacformerSize;
const pretrainEpochs = Number(process.argv[3] ?? 8);
const finetuneEpochs = Number(process.argv[4] ?? 10);
const learningRate = Number(process.argv[5] ?? 5e-3);
const adversaryWeight = Number(process.argv[6] ?? 1);
const captureSd = Number(process.argv[7] ?? 1);
// 'triplet': start the batch fine-tunes from a triplet cell-type fine-tune on a seeded half of the
// cells' types (an embedding that separates types), and score on the other half only.
const start = process.argv[8] ?? 'pretrained';
const reversal = Number(process.argv[9] ?? 0.1);

function l2rows(x: Float64Array, n: number, d: number): Float64Array {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j]! ** 2;
    const k = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let j = 0; j < d; j++) x[i * d + j]! *= k;
  }
  return x;
}

interface Scores {
  typeAri: number;
  batchAri: number;
  entropy: number;
  kbet: number;
}

function score(x: Float64Array, n: number, d: number, types: string[], batches: string[]): Scores {
  const k = new Set(types).size;
  const parts = [0, 1, 2].map((seed) => Array.from(kMeans(x, n, d, k, { seed }).labels));
  const mean = (f: (p: number[]) => number): number =>
    parts.reduce((s, p) => s + f(p), 0) / parts.length;
  const knn = nearestNeighbours(x, n, d, 15);
  return {
    typeAri: mean((p) => adjustedRandIndex(types, p)),
    batchAri: mean((p) => adjustedRandIndex(batches, p)),
    entropy: knnBatchEntropy(knn, batches),
    kbet: kbetRejectionRate(knn, batches),
  };
}

const fmt = (name: string, s: Scores): string =>
  `${name.padEnd(28)} type ARI ${s.typeAri.toFixed(3)}  batch ARI ${s.batchAri.toFixed(3)}  kNN batch entropy ${s.entropy.toFixed(3)}  kBET rejection ${s.kbet.toFixed(3)}`;

const backend = await initBackend({ quiet: true });
const spec = {
  ...DEFAULT_BATCH_EFFECT,
  batches: DEFAULT_BATCH_EFFECT.batches.map((b) => ({ ...b, captureSd })),
};
const { dataset: ds, truth } = plantBatchEffect(simulateDataset(), spec);
const dir = mkdtempSync(join(tmpdir(), 'eval-batch-'));
const regions = peakRegions(ds);
let t;
try {
  await writeFragments(join(dir, 'fragments.tsv.gz'), fragmentRecords(ds));
  t = await tokenizeFragments(
    join(dir, 'fragments.tsv.gz'),
    { regions },
    { contextLength: 8192, seed: 0 },
    ds.cells.map((c) => c.barcode),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const vocab = vocabularySize({ regions });
const byBarcode = new Map(ds.cells.map((c, i) => [c.barcode, i]));
console.log(
  `planted batches: ${spec.batches.map((b) => `${b.name} depth ${b.depth} capture σ ${b.captureSd}`).join(', ')}; fragments ${truth.fragmentsBefore} → ${truth.fragmentsAfter}; backend ${backend.name}`,
);

const config = atacformerConfig(size, vocab, { embeddingInitStd: 0.1 });
const inputs = atacformerInputs(t, vocab, config.contextLength, 0);
const sets = inputs.sets;
const n = sets.barcodes.length;
const types = sets.barcodes.map((b) => ds.cells[byBarcode.get(b)!]!.cellType);
const batches = sets.barcodes.map((b) => spec.batches[truth.batchOf[byBarcode.get(b)!]!]!.name);
console.log(
  `${n} cells with tokens (${inputs.empty.length} without), ${sets.tokens.length} tokens, ${new Set(types).size} types`,
);

// LSI of the same cells, for reference.
const rows: number[] = [];
for (let r = 0; r < n; r++)
  for (let k = sets.offsets[r]!; k < sets.offsets[r + 1]!; k++) rows.push(r);
const lsi = makeLsi(
  {
    nRows: n,
    nCols: vocab - FIRST_REGION_TOKEN,
    rows: Int32Array.from(rows),
    cols: Int32Array.from(sets.tokens, (x) => x - FIRST_REGION_TOKEN),
    values: new Float32Array(sets.tokens.length).fill(1),
  },
  { components: 30 },
);
const keep = Array.from({ length: lsi.k }, (_, c) => c).filter(
  (c) => Math.abs(lsi.depthCorrelations[c]!) <= 0.75,
);
const lx = new Float64Array(n * keep.length);
for (let i = 0; i < n; i++)
  keep.forEach((c, j) => (lx[i * keep.length + j] = lsi.embedding[i * lsi.k + c]!));
console.log(
  fmt(
    `LSI (${keep.length} comps)`,
    score(l2rows(lx, n, keep.length), n, keep.length, types, batches),
  ),
);

const t0 = performance.now();
// EVAL_CACHE=<dir>: the pretrained model is saved there and read back by later runs of the same arguments.
const cache = process.env['EVAL_CACHE'];
const cached = cache && join(cache, `pretrained-${size}-${pretrainEpochs}-${captureSd}`);
const pre =
  cached && existsSync(join(cached, 'model.json'))
    ? { model: (await loadAtacformerModel(cached)).model }
    : await trainAtacformer(sets, {
        config,
        seed: 0,
        epochs: pretrainEpochs,
        patience: pretrainEpochs,
        batchSize: 16,
        learningRate: 1e-2,
        valFraction: 0.1,
      });
if (cached && !existsSync(join(cached, 'model.json')))
  await saveAtacformerModel(cached, pre.model, {
    stage: 'eval',
    vocabularyHash: '',
    dataHashes: {},
    metrics: {},
  });
const d = config.dim;
// Scored cells: all, or with a triplet start the half whose types were not trained on.
const halves = splitAtacformerCells(n, 0.5, 3);
const scored = start === 'triplet' ? halves.val : Int32Array.from({ length: n }, (_, i) => i);
const scoredSets = subsetTokenSets(sets, scored);
const ns = scored.length;
const sTypes = Array.from(scored, (i) => types[i]!);
const sBatches = Array.from(scored, (i) => batches[i]!);
const embed = (m: typeof pre.model): Float64Array =>
  l2rows(Float64Array.from(embedAtacformer(m, scoredSets).cells), ns, d);
console.log(
  `scored: ${ns} cells (${start === 'triplet' ? 'the half not used by the triplet fine-tune' : 'all'})`,
);
console.log(
  fmt(
    `pretrained (${pretrainEpochs} ep, ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    score(embed(pre.model), ns, d, sTypes, sBatches),
  ),
);
let startModel = pre.model;
if (start === 'triplet') {
  const trainHalf = new Set(halves.train);
  const tr = await finetuneAtacformerTriplet(
    sets,
    types.map((ty, i) => (trainHalf.has(i) ? ty : '')),
    {
      pretrained: pre.model,
      seed: 0,
      epochs: 10,
      patience: 10,
      batchSize: 16,
      learningRate: 5e-3,
      valFraction: 0.1,
    },
  );
  startModel = tr.model;
  console.log(fmt('triplet fine-tuned (start)', score(embed(startModel), ns, d, sTypes, sBatches)));
}

for (const [name, weight] of (finetuneEpochs === 0
  ? []
  : [
      ...(process.env['EVAL_SKIP_CONTROL'] === '1' ? [] : [['RTD only (λ = 0, control)', 0]]),
      [`batch-corrected (λ ${adversaryWeight}, α ${reversal})`, adversaryWeight],
    ]) as [string, number][]) {
  const t1 = performance.now();
  const r = await finetuneAtacformerBatch(sets, batches, {
    pretrained: startModel,
    seed: 0,
    epochs: finetuneEpochs,
    patience: finetuneEpochs,
    batchSize: 16,
    learningRate,
    valFraction: 0.2,
    adversaryWeight: weight,
    reversal,
    unfrozenLayers: 2,
  });
  console.log(
    fmt(`${name}`, score(embed(r.model), ns, d, sTypes, sBatches)) +
      `  (best epoch ${r.bestEpoch + 1}/${r.history.length}, ${((performance.now() - t1) / 1000).toFixed(0)} s)`,
  );
  console.log(
    `  per epoch: train loss ${r.history.map((h) => h.trainLoss.toFixed(3)).join(' ')}; val mixing error + RTD ${r.history.map((h) => h.losses['val']!.toFixed(3)).join(' ')}`,
  );
  r.model.dispose();
}
pre.model.dispose();
if (startModel !== pre.model) startModel.dispose();
