import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '@chromflow/core';
import { ChromflowError, type ProgressCallback } from '@chromflow/core';
import {
  restoreBest,
  fit,
  fitRunControls,
  type FitEpochRecord,
  type HostBatch,
  adamWRecipe,
} from '@chromflow/compute';
import type { TokenSets } from '@chromflow/atac-pseudobulk';
import { CraftModel, type CraftConfig } from './craft-model.js';
import type { AtacformerModel } from './model.js';
import { padCells } from './replaced-tokens.js';
import { splitAtacformerCells } from './train-atacformer.js';

/** Paired cells: row r of `sets` and row r of `rna` (n × `genes`, row-major, normalised) are one cell. */
export interface CraftPairs {
  sets: TokenSets;
  rna: Float32Array;
  genes: number;
}

/** A CRAFT batch of `cells` (rows of `pairs`): padded tokens and their expression rows. */
export function makeCraftBatch(pairs: CraftPairs, cells: ArrayLike<number>): HostBatch {
  const { tokens, t } = padCells(pairs.sets, cells);
  const g = pairs.genes;
  const rna = new Float32Array(cells.length * g);
  for (let i = 0; i < cells.length; i++) {
    const r = cells[i]!;
    rna.set(pairs.rna.subarray(r * g, r * g + g), i * g);
  }
  return { tokens, t, n: cells.length, rna };
}

export interface TrainCraftOptions {
  /** The pretrained Atacformer: CRAFT's ATAC encoder starts from its weights (its configuration is kept). */
  pretrained: AtacformerModel;
  /** Everything of `CraftConfig` but the ATAC configuration and the gene count. */
  heads: Omit<CraftConfig, 'atac' | 'genes'>;
  /** Rows of `pairs` CRAFT may see (validation included); default all. Held-out test cells stay outside. */
  cells?: Int32Array;
  seed: number;
  epochs: number;
  patience: number;
  /** Pairs per batch: each cell's negatives are the batch's other cells. */
  batchSize: number;
  learningRate: number;
  valFraction: number;
  checkpointDir?: string;
  resume?: boolean;
  stopAfterEpochs?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  log?: (message: string) => void;
}

export interface TrainCraftResult {
  model: CraftModel;
  bestEpoch: number;
  bestValLoss: number;
  history: FitEpochRecord[];
  trainCells: number;
  valCells: number;
  trainSeconds: number;
  epochsThisCall: number;
}

/**
 * CRAFT fine-tune on `fit`: the whole model trains (Atacformer encoder and
 * its sparse token table, RNA encoder, projections, temperature, decoder;
 * AdamW + SparseAdam, warm-up + cosine, global-norm clip 1). Best weights by
 * the loss (CLIP + imputeWeight · MSE) of held-out cells in fixed batches.
 */
export async function trainCraft(
  pairs: CraftPairs,
  o: TrainCraftOptions,
): Promise<TrainCraftResult> {
  const pool = o.cells ?? Int32Array.from({ length: pairs.sets.barcodes.length }, (_, i) => i);
  if (pool.length < 2 || pairs.rna.length !== pairs.sets.barcodes.length * pairs.genes) {
    throw new ChromflowError('VALUE', 'CRAFT needs two or more paired cells', {
      field: 'cells',
      expected: '≥ 2 cells with both tokens and an expression row of every gene',
      found: `${pool.length} cells; ${pairs.rna.length} expression values for ${pairs.sets.barcodes.length} × ${pairs.genes}`,
    });
  }
  const split = splitAtacformerCells(pool.length, o.valFraction, o.seed);
  const train = Int32Array.from(split.train, (i) => pool[i]!);
  const val = Int32Array.from(split.val.length > 0 ? split.val : split.train, (i) => pool[i]!);
  const config: CraftConfig = { ...o.heads, atac: o.pretrained.config, genes: pairs.genes };
  const valLoss = (m: CraftModel): number => {
    let sum = 0;
    for (let lo = 0; lo < val.length; lo += o.batchSize) {
      const cells = val.subarray(lo, Math.min(val.length, lo + o.batchSize));
      // A last batch of one cell has no negatives: its CLIP loss is 0, still a fair MSE term.
      const l = m.loss(makeCraftBatch(pairs, cells));
      sum += l.dataSync()[0]! * cells.length;
      l.dispose();
    }
    return sum / val.length;
  };
  // The decoder's output bias starts at the training cells' mean expression, so
  // imputation starts from the mean baseline instead of 0 (log1p CP10k is far from 0).
  const g = pairs.genes;
  const mean = new Float32Array(g);
  for (const r of train)
    for (let j = 0; j < g; j++) mean[j]! += pairs.rna[r * g + j]! / train.length;
  const steps = Math.ceil(train.length / o.batchSize);
  const r = await fit<CraftModel>({
    factory: (c, seed) => {
      const m = new CraftModel(c as CraftConfig, seed);
      m.atac.assignFrom(o.pretrained);
      tf.tidy(() => (m.decoder[1].bias as tf.Variable).assign(tf.tensor1d(mean)));
      return m;
    },
    config,
    seed: o.seed,
    batches: {
      *epoch(rng: SeededRandom) {
        const order = rng.shuffle(Int32Array.from(train));
        for (let lo = 0; lo < order.length; lo += o.batchSize) {
          const cells = order.subarray(lo, Math.min(order.length, lo + o.batchSize));
          yield { batch: makeCraftBatch(pairs, cells), size: cells.length };
        }
      },
    },
    selections: [
      { name: 'val', label: 'val CRAFT loss', evaluate: (m) => Promise.resolve(valLoss(m)) },
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
  const { interrupted: _, ...best } = restoreBest(r, 'val');
  return {
    ...best,
    trainCells: train.length,
    valCells: split.val.length,
    trainSeconds: r.trainSeconds,
    epochsThisCall: r.epochsThisCall,
  };
}
