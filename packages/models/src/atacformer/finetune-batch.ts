import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError, SeededRandom, type ProgressCallback } from '@chromflow/core';
import {
  restoreBest,
  createLinear,
  fit,
  fitRunControls,
  gradientReversal,
  linear,
  relu,
  VariableList,
  type FitEpochRecord,
  type HostBatch,
  type LinearParams,
  type Trainable,
  adamWRecipe,
} from '@chromflow/compute';
import type { TokenSets } from '@chromflow/atac-pseudobulk';
import { knnBatchEntropy, nearestNeighbours } from '@chromflow/cell-embedding';
import type { AtacformerConfig } from './config.js';
import { embedAtacformer } from './embed.js';
import { AtacformerModel, meanPool, PAD_TOKEN } from './model.js';
import { padCells, sampleToken, tokenFrequencyCdf } from './replaced-tokens.js';
import { meanRtdLoss, splitAtacformerCells } from './train-atacformer.js';

/**
 * Atacformer's batch-correction fine-tune (Ganin & Lempitsky's domain
 * adversary, as the reference note gives it): a classifier predicts each
 * cell's batch from its mean-pooled embedding through a gradient-reversal
 * layer, so the head learns to tell batches apart while the encoder is
 * pushed to hide them. Replaced-token detection keeps training on the same
 * cells so the embedding keeps what distinguishes cells (an encoder that
 * only fooled the adversary could forget everything). Loss = RTD +
 * λ · CE(batch). Only the last `unfrozenLayers` encoder blocks, the final
 * norm and the heads train; the token table is frozen.
 */
export interface BatchAdversaryConfig {
  atacformer: AtacformerConfig;
  batches: number;
  /** λ_adv: weight of the adversary's cross-entropy (reference: 1). */
  adversaryWeight: number;
  /** GRL α: the encoder receives −α times the adversary's gradient (reference: 1). */
  reversal: number;
  /** Encoder blocks trained, counted from the last (reference: 2). */
  unfrozenLayers: number;
  /** Weight of the RTD term (1: as pretraining; 0: the adversary alone). */
  rtdWeight: number;
}

/** An Atacformer with a batch adversary on its cell embedding, as a `Trainable`. */
export class BatchAdversaryModel implements Trainable {
  readonly base: AtacformerModel;
  readonly config: BatchAdversaryConfig;
  readonly vars = new VariableList();
  readonly hidden: LinearParams;
  readonly out: LinearParams;

  constructor(base: AtacformerModel, config: BatchAdversaryConfig, seed: number) {
    if (!(Number.isInteger(config.batches) && config.batches >= 2)) {
      throw new ChromflowError('VALUE', 'batch correction needs cells of at least two batches', {
        field: 'batches',
        expected: '2 or more batches',
        found: String(config.batches),
      });
    }
    this.base = base;
    this.config = config;
    const rng = new SeededRandom(seed ^ 0xad7);
    const d = base.config.dim;
    this.hidden = createLinear(this.vars, rng, 'adversary/hidden', d, d);
    this.out = createLinear(this.vars, rng, 'adversary/out', d, config.batches);
  }

  /** The last `unfrozenLayers` blocks, the final norm, the RTD head and the adversary. */
  trainableVariables(): tf.Variable[] {
    const layers = this.base.config.layers;
    const first = Math.max(0, layers - this.config.unfrozenLayers);
    const trains = (name: string): boolean => {
      const m = /^encoder\/block(\d+)\//.exec(name);
      return m ? Number(m[1]) >= first : true;
    };
    return [
      ...this.base.vars.named.filter((n) => n.trainable && trains(n.name)).map((n) => n.variable),
      ...this.vars.trainableVariables(),
    ];
  }

  stateVariables(): tf.Variable[] {
    return [];
  }

  /** Batch logits [B, batches] of cell embeddings [B, D], through the gradient reversal. */
  adversaryLogits(cells: tf.Tensor2D, alpha = this.config.reversal): tf.Tensor2D {
    return tf.tidy(() => {
      const r = gradientReversal(cells, alpha);
      return linear(relu(linear(r, this.hidden)), this.out) as tf.Tensor2D;
    });
  }

  /** Mean softmax cross-entropy of the adversary on clean cells with batch ids. */
  adversaryLoss(
    tokens: Int32Array,
    batchIds: Int32Array,
    n: number,
    t: number,
    alpha = this.config.reversal,
  ): tf.Scalar {
    return tf.tidy(() => {
      const e = meanPool(this.base.encode(tokens, n, t), tokens);
      const z = this.adversaryLogits(e, alpha);
      const y = tf.oneHot(tf.tensor1d(batchIds, 'int32'), this.config.batches);
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(z, -1), y), -1))) as tf.Scalar;
    });
  }

  /** RTD on the corrupted copy + λ · the adversary's cross-entropy on the clean cells. */
  trainingLoss(batch: HostBatch): tf.Scalar {
    const b = batch as {
      tokens: Int32Array;
      corrupted: Int32Array;
      labels: Float32Array;
      batchIds: Int32Array;
      n: number;
      t: number;
      alpha?: number;
    };
    return tf.tidy(() => {
      const adv = tf.mul<tf.Scalar>(
        this.adversaryLoss(b.tokens, b.batchIds, b.n, b.t, b.alpha),
        this.config.adversaryWeight,
      );
      if (this.config.rtdWeight === 0) return adv;
      const rtd = this.base.rtdLoss(b.corrupted, b.labels, b.n, b.t);
      return tf.add<tf.Scalar>(tf.mul(rtd, this.config.rtdWeight), adv);
    });
  }

  batchSize(batch: HostBatch): number {
    return batch['n'] as number;
  }

  splitBatch(batch: HostBatch): HostBatch[] {
    return [batch];
  }

  /** Disposes the adversary and the Atacformer. */
  dispose(): void {
    this.vars.dispose();
    this.base.dispose();
  }
}

/**
 * A training batch: the cells clean (adversary) and corrupted for RTD (same
 * padding), with their batch ids. A cell's replacements are drawn from its
 * own batch's token frequencies (`cdfs[batch]`): with one distribution for
 * all, a token of another batch would betray the replacement, and RTD would
 * reward the encoder for keeping the batch the adversary removes.
 */
export function makeBatchAdversaryBatch(
  sets: TokenSets,
  cells: ArrayLike<number>,
  batchOf: Int32Array,
  cdfs: readonly Float64Array[],
  p: number,
  rng: SeededRandom,
): HostBatch {
  const { tokens, t } = padCells(sets, cells);
  const corrupted = tokens.slice();
  const labels = new Float32Array(tokens.length);
  for (let i = 0; i < cells.length; i++) {
    const cdf = cdfs[batchOf[cells[i]!]!]!;
    for (let k = i * t; k < (i + 1) * t; k++) {
      const orig = tokens[k]!;
      if (orig === PAD_TOKEN || rng.uniform() >= p) continue;
      const next = sampleToken(cdf, rng.uniform());
      corrupted[k] = next;
      labels[k] = next === orig ? 0 : 1;
    }
  }
  return {
    tokens,
    corrupted,
    labels,
    batchIds: Int32Array.from({ length: cells.length }, (_, i) => batchOf[cells[i]!]!),
    n: cells.length,
    t,
  };
}

/** Mean RTD loss (`meanRtdLoss`) with replacements drawn from each cell's own batch. */
export function evaluateBatchRtdLoss(
  model: AtacformerModel,
  sets: TokenSets,
  cells: Int32Array,
  batchOf: Int32Array,
  cdfs: readonly Float64Array[],
  batchSize: number,
  seed: number,
): number {
  return meanRtdLoss(model, cells, batchSize, seed, (idx, rng) => {
    const b = makeBatchAdversaryBatch(
      sets,
      idx,
      batchOf,
      cdfs,
      model.config.replaceProbability,
      rng,
    );
    return {
      tokens: b['corrupted'] as Int32Array,
      labels: b['labels'] as Float32Array,
      t: b['t'] as number,
    };
  });
}

/**
 * Batch-mixing error of cells' embeddings: 1 − kNN batch entropy
 * (`knnBatchEntropy`, k = min(15, n − 1)) of the embeddings of `cells`.
 */
export function batchMixingError(
  model: AtacformerModel,
  sets: TokenSets,
  cells: Int32Array,
  batchOf: Int32Array,
): number {
  const sub = subsetTokenSets(sets, cells);
  const e = embedAtacformer(model, sub);
  const knn = nearestNeighbours(Float64Array.from(e.cells), cells.length, e.dim, 15);
  return (
    1 -
    knnBatchEntropy(
      knn,
      Array.from(cells, (r) => batchOf[r]!),
    )
  );
}

/** The token sets of `cells` only, in that order. */
export function subsetTokenSets(sets: TokenSets, cells: ArrayLike<number>): TokenSets {
  const offsets = new Int32Array(cells.length + 1);
  for (let i = 0; i < cells.length; i++) {
    const r = cells[i]!;
    offsets[i + 1] = offsets[i]! + sets.offsets[r + 1]! - sets.offsets[r]!;
  }
  const tokens = new Int32Array(offsets[cells.length]!);
  for (let i = 0; i < cells.length; i++) {
    const r = cells[i]!;
    tokens.set(sets.tokens.subarray(sets.offsets[r], sets.offsets[r + 1]), offsets[i]);
  }
  return {
    barcodes: Array.from({ length: cells.length }, (_, i) => sets.barcodes[cells[i]!]!),
    offsets,
    tokens,
    nOverlapped: Int32Array.from({ length: cells.length }, (_, i) => sets.nOverlapped[cells[i]!]!),
  };
}

export interface FinetuneBatchOptions {
  pretrained: AtacformerModel;
  seed: number;
  epochs: number;
  patience: number;
  /** Cells per batch. */
  batchSize: number;
  learningRate: number;
  valFraction: number;
  adversaryWeight: number;
  reversal: number;
  unfrozenLayers: number;
  /** Weight of the RTD term; default 1. */
  rtdWeight?: number;
  checkpointDir?: string;
  resume?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  log?: (message: string) => void;
}

export interface FinetuneBatchResult {
  /** The corrected Atacformer (the adversary is dropped; same format as the pretrained one). */
  model: AtacformerModel;
  bestEpoch: number;
  /** Validation batch-mixing error + RTD loss of the best epoch. */
  bestValLoss: number;
  history: FitEpochRecord[];
  batchNames: string[];
  trainCells: number;
  valCells: number;
}

/**
 * Batch-correction fine-tune of a pretrained Atacformer on model-ready
 * `sets` (`atacformerInputs`) whose cells carry a batch (`batches[r]`, ''
 * = unknown: left out). AdamW on the trained variables, one warm-up epoch
 * then cosine, global-norm clip 1. Best weights by, on held-out cells, the
 * batch-mixing error (`batchMixingError`) plus the RTD loss: an epoch that
 * mixes batches by forgetting the cells loses on the second term.
 */
export async function finetuneAtacformerBatch(
  sets: TokenSets,
  batches: readonly string[],
  o: FinetuneBatchOptions,
): Promise<FinetuneBatchResult> {
  const batchNames = [...new Set(batches.filter((b) => b !== ''))].sort();
  const index = new Map(batchNames.map((b, i) => [b, i]));
  const batchOf = Int32Array.from(batches, (b) => index.get(b) ?? -1);
  if (batchNames.length < 2) {
    throw new ChromflowError('VALUE', 'batch correction needs cells of at least two batches', {
      field: 'batch',
      expected: 'two or more batch names among the tokenized cells',
      found: batchNames.length === 0 ? 'none' : `only '${batchNames[0]}'`,
    });
  }
  const known = Int32Array.from(batches.flatMap((b, i) => (b === '' ? [] : [i])));
  const split = splitAtacformerCells(known.length, o.valFraction, o.seed);
  const train = Int32Array.from(split.train, (i) => known[i]!);
  const val = Int32Array.from(split.val.length > 0 ? split.val : split.train, (i) => known[i]!);
  const c = o.pretrained.config;
  const cdfs = batchNames.map((_, b) =>
    tokenFrequencyCdf(
      sets,
      train.filter((r) => batchOf[r] === b),
      c.vocabSize,
    ),
  );
  const config: BatchAdversaryConfig = {
    atacformer: c,
    batches: batchNames.length,
    adversaryWeight: o.adversaryWeight,
    reversal: o.reversal,
    unfrozenLayers: o.unfrozenLayers,
    rtdWeight: o.rtdWeight ?? 1,
  };
  const steps = Math.ceil(train.length / o.batchSize);
  const r = await fit<BatchAdversaryModel>({
    factory: (cfg, seed) => {
      const base = new AtacformerModel(c, seed);
      base.assignFrom(o.pretrained);
      return new BatchAdversaryModel(base, cfg as BatchAdversaryConfig, seed);
    },
    config,
    seed: o.seed,
    batches: {
      *epoch(rng: SeededRandom, epoch: number) {
        const order = rng.shuffle(Int32Array.from(train));
        for (let lo = 0, k = 0; lo < order.length; lo += o.batchSize, k++) {
          const idx = order.subarray(lo, Math.min(order.length, lo + o.batchSize));
          const batch = makeBatchAdversaryBatch(
            sets,
            idx,
            batchOf,
            cdfs,
            c.replaceProbability,
            rng,
          );
          // DANN's schedule: α·(2/(1 + e^(−10p)) − 1) over training progress p, so the
          // adversary learns the batches before the encoder is pushed against it.
          const p = (epoch * steps + k) / (o.epochs * steps);
          batch['alpha'] = o.reversal * (2 / (1 + Math.exp(-10 * p)) - 1);
          yield { batch, size: idx.length };
        }
      },
    },
    selections: [
      {
        name: 'val',
        label: 'val mixing error + RTD loss',
        evaluate: (m) =>
          Promise.resolve(
            batchMixingError(m.base, sets, val, batchOf) +
              evaluateBatchRtdLoss(m.base, sets, val, batchOf, cdfs, o.batchSize, o.seed ^ 0xe7a1),
          ),
      },
    ],
    epochs: o.epochs,
    patience: o.patience,
    ...adamWRecipe({
      learningRate: o.learningRate,
      weightDecay: 0.01,
      schedule: { kind: 'warmup-cosine', stepsPerEpoch: steps, epochs: o.epochs },
      clipGlobalNorm: 1,
    }),
    ...fitRunControls(o),
  });
  const { model: tuned, bestEpoch, bestValLoss, history } = restoreBest(r, 'val');
  tuned.vars.dispose();
  return {
    model: tuned.base,
    bestEpoch,
    bestValLoss,
    history,
    batchNames,
    trainCells: train.length,
    valCells: split.val.length,
  };
}
