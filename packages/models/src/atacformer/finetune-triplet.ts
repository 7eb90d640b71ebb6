import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError, SeededRandom, type ProgressCallback } from '@chromflow/core';
import {
  restoreBest,
  fit,
  type FitEpochRecord,
  type HostBatch,
  fitRunControls,
  adamWRecipe,
} from '@chromflow/compute';
import type { TokenSets } from '@chromflow/atac-pseudobulk';
import { AtacformerModel } from './model.js';
import { AtacformerCellTypeModel, type CellTypeHead } from './classifier.js';
import { FrozenTokenTable } from './frozen-token-table.js';
import { padCells } from './replaced-tokens.js';
import { splitAtacformerCells } from './train-atacformer.js';

/**
 * Atacformer's cell-type fine-tune: triplet margin loss (margin 1, p 2) on
 * the mean-pooled cell embeddings of labelled cells, optionally jointly with
 * a classification head's cross-entropy (`classifier.ts`). A triplet is an
 * anchor cell, a random other cell of its type and a random cell of another type.
 */

/** Cells grouped by label: `classOf[r]` is the label index of cell r (−1: unlabelled, never drawn). */
export interface CellClasses {
  classOf: Int32Array;
  /** Cell indices of each label. */
  members: Int32Array[];
  names: string[];
}

export function cellClasses(labels: readonly string[], cells?: ArrayLike<number>): CellClasses {
  const names = [...new Set(labels.filter((l) => l !== ''))].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  const classOf = Int32Array.from(labels, (l) => index.get(l) ?? -1);
  const lists: number[][] = names.map(() => []);
  const pool = cells ?? Int32Array.from({ length: labels.length }, (_, i) => i);
  for (let i = 0; i < pool.length; i++) {
    const r = pool[i]!;
    if (classOf[r]! >= 0) lists[classOf[r]!]!.push(r);
  }
  return { classOf, members: lists.map((l) => Int32Array.from(l)), names };
}

/**
 * A triplet batch for `anchors` (labelled cells): tokens of anchors, then
 * positives, then negatives, padded to the longest; draws from `rng`.
 * Needs two labels with cells.
 */
export function makeTripletBatch(
  sets: TokenSets,
  classes: CellClasses,
  anchors: ArrayLike<number>,
  rng: SeededRandom,
): HostBatch {
  const k = anchors.length;
  const cells = new Int32Array(3 * k);
  const present = classes.members.map((m, i) => (m.length > 0 ? i : -1)).filter((i) => i >= 0);
  for (let i = 0; i < k; i++) {
    const a = anchors[i]!;
    const c = classes.classOf[a]!;
    const same = classes.members[c]!;
    let p = same[rng.int(0, same.length)]!;
    if (same.length > 1) while (p === a) p = same[rng.int(0, same.length)]!;
    let other = present[rng.int(0, present.length)]!;
    while (other === c) other = present[rng.int(0, present.length)]!;
    const diff = classes.members[other]!;
    cells[i] = a;
    cells[k + i] = p;
    cells[2 * k + i] = diff[rng.int(0, diff.length)]!;
  }
  const { tokens, t } = padCells(sets, cells);
  // Class of each of the 3K cells, for the classification head's cross-entropy.
  const classIds = Int32Array.from(cells, (r) => classes.classOf[r]!);
  return { tokens, n: 3 * k, t, triplets: k, classIds };
}

export interface FinetuneTripletOptions {
  /** The pretrained model (its configuration and weights are the start). */
  pretrained: AtacformerModel;
  seed: number;
  epochs: number;
  patience: number;
  /** Triplets per batch. */
  batchSize: number;
  learningRate: number;
  valFraction: number;
  /**
   * > 0: train a classification head jointly, loss = triplet + weight · CE
   * (the validation loss too); 0 or absent: triplet loss only.
   */
  crossEntropyWeight?: number;
  /**
   * true: the token table keeps its pretrained rows and only the encoder,
   * RTD head and classification head train (default false: the whole model).
   */
  freezeTokenTable?: boolean;
  /** AdamW's decoupled weight decay of the dense variables (default 0.01). */
  weightDecay?: number;
  /**
   * What picks the best epoch on the held-out labelled cells: 'loss' (default;
   * the triplet loss, + weight · CE with a head) or 'accuracy' (the head's
   * accuracy; needs `crossEntropyWeight` > 0; the loss is still logged). The
   * loss is a poor proxy for the head's accuracy once the fine-tune
   * overfits: its CE grows with confident errors while accuracy still rises.
   */
  selectBy?: 'loss' | 'accuracy';
  checkpointDir?: string;
  resume?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  log?: (message: string) => void;
}

export interface FinetuneTripletResult {
  model: AtacformerModel;
  bestEpoch: number;
  /** The best epoch's held-out figure: the loss, or with selectBy 'accuracy' 1 − the head's accuracy. */
  bestValLoss: number;
  history: FitEpochRecord[];
  /** The classification head, with `crossEntropyWeight` > 0. */
  head?: CellTypeHead;
  trainCells: number;
  valCells: number;
  /** Barcodes of the labelled cells held out for the validation loss. */
  valBarcodes: string[];
}

/**
 * Fine-tunes a pretrained Atacformer with the triplet loss on the labelled
 * cells of `sets` (`labels[r]`, '' = unlabelled: left out): the whole model
 * (with `freezeTokenTable`, all but the token table) trains (AdamW + SparseAdam, warm-up + cosine, global-norm clip 1); best
 * weights by the triplet loss on held-out labelled cells with fixed triplets.
 */
export async function finetuneAtacformerTriplet(
  sets: TokenSets,
  labels: readonly string[],
  o: FinetuneTripletOptions,
): Promise<FinetuneTripletResult> {
  const labelled = Int32Array.from(labels.flatMap((l, i) => (l === '' ? [] : [i])));
  const split = splitAtacformerCells(labelled.length, o.valFraction, o.seed);
  const train = Int32Array.from(split.train, (i) => labelled[i]!);
  const val = Int32Array.from(split.val.length > 0 ? split.val : split.train, (i) => labelled[i]!);
  const trainClasses = cellClasses(labels, train);
  const valClasses = cellClasses(labels, val);
  if (trainClasses.members.filter((m) => m.length > 0).length < 2) {
    throw new ChromflowError('VALUE', 'the triplet fine-tune needs cells of at least two labels', {
      field: 'labels',
      expected: 'two or more cell types among the labelled cells',
      found: `${trainClasses.members.filter((m) => m.length > 0).length}`,
    });
  }
  const withHead = (o.crossEntropyWeight ?? 0) > 0;
  const byAccuracy = (o.selectBy ?? 'loss') === 'accuracy';
  if (byAccuracy && !withHead) {
    throw new ChromflowError('PARAM', "selectBy 'accuracy' needs the classification head", {
      field: 'crossEntropyWeight',
      expected: "> 0 with selectBy 'accuracy'",
      found: String(o.crossEntropyWeight ?? 0),
    });
  }
  if (!['loss', 'accuracy'].includes(o.selectBy ?? 'loss')) {
    throw new ChromflowError('PARAM', 'unknown best-epoch criterion', {
      field: 'selectBy',
      expected: 'loss | accuracy',
      found: String(o.selectBy),
    });
  }
  type Tuned = AtacformerModel | AtacformerCellTypeModel;
  type Fitted = Tuned | FrozenTokenTable<Tuned>;
  const unwrap = (m: Fitted): Tuned => (m instanceof FrozenTokenTable ? m.inner : m);
  const valTriplets = (fitted: Fitted): number => {
    const m = unwrap(fitted);
    const rng = new SeededRandom(o.seed ^ 0x3a1);
    let sum = 0;
    for (let lo = 0; lo < val.length; lo += o.batchSize) {
      const anchors = val.subarray(lo, Math.min(val.length, lo + o.batchSize));
      const b = makeTripletBatch(sets, valClasses, anchors, rng);
      const [tokens, n, t] = [b['tokens'] as Int32Array, b['n'] as number, b['t'] as number];
      let l: tf.Scalar;
      if (m instanceof AtacformerCellTypeModel) {
        const parts = m.loss(tokens, n, t, b['classIds'] as Int32Array);
        tf.dispose([parts.triplet, parts.crossEntropy]);
        l = parts.total;
      } else l = m.tripletLoss(tokens, n, t);
      sum += l.dataSync()[0]! * anchors.length;
      l.dispose();
    }
    return sum / val.length;
  };
  // 1 − the head's accuracy on the held-out labelled cells (a loss: lower is better).
  const valHeadError = (fitted: Fitted): number => {
    const m = unwrap(fitted) as AtacformerCellTypeModel;
    let correct = 0;
    for (let lo = 0; lo < val.length; lo += 3 * o.batchSize) {
      const cells = val.subarray(lo, Math.min(val.length, lo + 3 * o.batchSize));
      const { tokens, t } = padCells(sets, cells);
      const k = m.predictClasses(tokens, cells.length, t);
      cells.forEach((r, i) => (correct += k[i] === valClasses.classOf[r] ? 1 : 0));
    }
    return 1 - correct / val.length;
  };
  const lossSelection = {
    name: 'val',
    label: withHead ? 'val triplet + CE loss' : 'val triplet loss',
    evaluate: (m: Fitted) => Promise.resolve(valTriplets(m)),
  };
  const accuracySelection = {
    name: 'accuracy',
    label: 'val head error',
    evaluate: (m: Fitted) => Promise.resolve(valHeadError(m)),
  };
  const steps = Math.ceil(train.length / o.batchSize);
  const r = await fit<Fitted>({
    factory: (config, seed) => {
      const m = new AtacformerModel(config as AtacformerModel['config'], seed);
      m.assignFrom(o.pretrained);
      const tuned = withHead
        ? new AtacformerCellTypeModel(m, trainClasses.names, seed, o.crossEntropyWeight)
        : m;
      return o.freezeTokenTable ? new FrozenTokenTable<Tuned>(tuned) : tuned;
    },
    config: o.pretrained.config,
    seed: o.seed,
    batches: {
      *epoch(rng: SeededRandom) {
        const order = rng.shuffle(Int32Array.from(train));
        for (let lo = 0; lo < order.length; lo += o.batchSize) {
          const anchors = order.subarray(lo, Math.min(order.length, lo + o.batchSize));
          yield { batch: makeTripletBatch(sets, trainClasses, anchors, rng), size: anchors.length };
        }
      },
    },
    selections: byAccuracy ? [accuracySelection, lossSelection] : [lossSelection],
    epochs: o.epochs,
    patience: o.patience,
    ...adamWRecipe({
      learningRate: o.learningRate,
      weightDecay: o.weightDecay ?? 0.01,
      schedule: { kind: 'warmup-cosine', stepsPerEpoch: steps, epochs: o.epochs },
      clipGlobalNorm: 1,
    }),
    ...fitRunControls(o),
  });
  const best = restoreBest(r, byAccuracy ? 'accuracy' : 'val');
  const tuned = unwrap(best.model);
  let model: AtacformerModel;
  let head: CellTypeHead | undefined;
  if (tuned instanceof AtacformerCellTypeModel) {
    model = tuned.base;
    head = { classes: [...tuned.classes], ...tuned.headWeights() };
    tuned.dispose();
  } else model = tuned;
  return {
    model,
    bestEpoch: best.bestEpoch,
    bestValLoss: best.bestValLoss,
    history: best.history,
    head,
    trainCells: train.length,
    valCells: split.val.length,
    valBarcodes: Array.from(split.val, (i) => sets.barcodes[labelled[i]!]!),
  };
}
