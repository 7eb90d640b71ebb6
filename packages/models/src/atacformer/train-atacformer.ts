import { SeededRandom, type ProgressCallback } from '@chromflow/core';
import {
  restoreBest,
  fit,
  type BatchSource,
  type FitBatch,
  type FitEpochRecord,
  fitRunControls,
  adamWRecipe,
} from '@chromflow/compute';
import type { TokenSets } from '@chromflow/atac-pseudobulk';
import type { AtacformerConfig } from './config.js';
import { AtacformerModel, PAD_TOKEN } from './model.js';
import { makeRtdBatch, tokenFrequencyCdf } from './replaced-tokens.js';

export interface TrainAtacformerOptions {
  config: AtacformerConfig;
  seed: number;
  epochs: number;
  patience: number;
  /** Cells per batch. */
  batchSize: number;
  /** Peak rate of AdamW and of the table's SparseAdam; one warm-up epoch then cosine to 0. */
  learningRate: number;
  weightDecay?: number;
  /** Fraction of cells held out for the validation RTD loss (seeded). */
  valFraction: number;
  checkpointDir?: string;
  resume?: boolean;
  stopAfterEpochs?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  log?: (message: string) => void;
}

export interface TrainAtacformerResult {
  /** The model holding the weights of the best validation epoch. */
  model: AtacformerModel;
  bestEpoch: number;
  bestValLoss: number;
  history: FitEpochRecord[];
  interrupted: boolean;
  /** Training tokens (non-pad) per second of this call's `fit` wall time (evaluation included). */
  tokensPerSecond: number;
  trainCells: number;
  valCells: number;
}

/** Seeded split of cell indices 0…n−1 into train and validation (at least one of each when n ≥ 2). */
export function splitAtacformerCells(
  n: number,
  valFraction: number,
  seed: number,
): { train: Int32Array; val: Int32Array } {
  const order = new SeededRandom(seed ^ 0x7a1).shuffle(Int32Array.from({ length: n }, (_, i) => i));
  const nVal = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * valFraction)));
  return {
    val: order.slice(0, nVal).sort(),
    train: order.slice(nVal).sort(),
  };
}

/** One corrupted batch of `cells`: token ids as the model reads them, per-token labels, its width. */
export type RtdCorruption = (
  cells: Int32Array,
  rng: SeededRandom,
) => { tokens: Int32Array; labels: Float32Array; t: number };

/**
 * Mean RTD loss per non-pad token over `cells`, each batch corrupted by
 * `corrupt` from one generator seeded with `seed`, so epochs are compared on
 * the same task.
 */
export function meanRtdLoss(
  model: AtacformerModel,
  cells: Int32Array,
  batchSize: number,
  seed: number,
  corrupt: RtdCorruption,
): number {
  const rng = new SeededRandom(seed);
  let sum = 0;
  let count = 0;
  for (let lo = 0; lo < cells.length; lo += batchSize) {
    const idx = cells.subarray(lo, Math.min(cells.length, lo + batchSize));
    const b = corrupt(idx, rng);
    const l = model.rtdLoss(b.tokens, b.labels, idx.length, b.t);
    const n = b.tokens.reduce((s, x) => s + (x === PAD_TOKEN ? 0 : 1), 0);
    sum += l.dataSync()[0]! * n;
    count += n;
    l.dispose();
  }
  return sum / Math.max(count, 1);
}

/** Mean RTD loss with replacements drawn from the token frequencies (`cdf`). */
export function evaluateRtdLoss(
  model: AtacformerModel,
  sets: TokenSets,
  cells: Int32Array,
  cdf: Float64Array,
  batchSize: number,
  seed: number,
): number {
  return meanRtdLoss(model, cells, batchSize, seed, (idx, rng) => {
    const b = makeRtdBatch(sets, idx, cdf, model.config.replaceProbability, rng);
    return {
      tokens: b['tokens'] as Int32Array,
      labels: b['labels'] as Float32Array,
      t: b['t'] as number,
    };
  });
}

/**
 * Replaced-token-detection pretraining with compute's `fit`: AdamW on the
 * encoder and head, SparseAdam on the token rows each batch touches (same
 * rate), one warm-up epoch then cosine decay, gradients clipped to global
 * norm 1, best weights by validation RTD loss, per-epoch state in
 * `checkpointDir/state` for exact resume. `sets` must be model-ready
 * (`atacformerInputs`: no empty cell, subsampled to the context).
 */
export async function trainAtacformer(
  sets: TokenSets,
  o: TrainAtacformerOptions,
): Promise<TrainAtacformerResult> {
  const c = o.config;
  const split = splitAtacformerCells(sets.barcodes.length, o.valFraction, o.seed);
  const cdf = tokenFrequencyCdf(sets, split.train, c.vocabSize);
  let trainedTokens = 0;
  const batches: BatchSource = {
    *epoch(rng: SeededRandom): Iterable<FitBatch> {
      const order = rng.shuffle(Int32Array.from(split.train));
      for (let lo = 0; lo < order.length; lo += o.batchSize) {
        const idx = order.subarray(lo, Math.min(order.length, lo + o.batchSize));
        for (const i of idx) trainedTokens += sets.offsets[i + 1]! - sets.offsets[i]!;
        yield { batch: makeRtdBatch(sets, idx, cdf, c.replaceProbability, rng), size: idx.length };
      }
    },
  };
  const stepsPerEpoch = Math.ceil(split.train.length / o.batchSize);
  const valCells = split.val.length > 0 ? split.val : split.train;
  const r = await fit<AtacformerModel>({
    factory: (config, seed) => new AtacformerModel(config as AtacformerConfig, seed),
    config: c,
    seed: o.seed,
    batches,
    selections: [
      {
        name: 'val',
        label: 'val RTD loss',
        evaluate: (m) =>
          Promise.resolve(evaluateRtdLoss(m, sets, valCells, cdf, o.batchSize, o.seed ^ 0xe7a1)),
      },
    ],
    epochs: o.epochs,
    patience: o.patience,
    ...adamWRecipe({
      learningRate: o.learningRate,
      weightDecay: o.weightDecay ?? 0.01,
      schedule: { kind: 'warmup-cosine', stepsPerEpoch, epochs: o.epochs },
      clipGlobalNorm: 1,
    }),
    ...fitRunControls(o),
  });
  return {
    ...restoreBest(r, 'val'),
    // trainedTokens counts the epochs this call ran (0 when a resume found training finished).
    tokensPerSecond: r.epochsThisCall === 0 ? 0 : trainedTokens / Math.max(r.trainSeconds, 1e-9),
    trainCells: split.train.length,
    valCells: split.val.length,
  };
}
