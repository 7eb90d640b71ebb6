import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { ProgressCallback } from '@chromflow/core';
import {
  parallelOption,
  restoreBest,
  fit,
  type FitEpochRecord,
  fitRunControls,
  fitThroughput,
  adamWRecipe,
} from '@chromflow/compute';
import { clasterBatchSource, makeClasterBatch, type ClasterArrays } from './batches.js';
import type { ClasterConfig } from './config.js';
import { ClasterModel, clasterBatchTensors } from './model.js';

export interface TrainClasterOptions {
  config: ClasterConfig;
  seed: number;
  epochs: number;
  patience: number;
  /** CLASTER: 64. */
  batchSize: number;
  /** CLASTER: 1e-4, constant. */
  learningRate: number;
  /** AdamW decoupled decay (torch's default 0.01). */
  weightDecay?: number;
  /** CLASTER's reverse-copy augmentation (each training example flipped with probability ½). */
  reverse?: boolean;
  checkpointDir?: string;
  resume?: boolean;
  stopAfterEpochs?: number;
  workers?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  log?: (message: string) => void;
}

export interface TrainClasterResult {
  /** The model holding the weights of the best validation epoch. */
  model: ClasterModel;
  bestEpoch: number;
  bestValLoss: number;
  history: FitEpochRecord[];
  interrupted: boolean;
  trainSamplesPerSecond: number;
}

/** Path of the module workers build CLASTER from (`.ts` from source, `.js` from the build). */
export function clasterTrainableModule(): string {
  const self = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(`./trainable-factory${extname(self)}`, import.meta.url));
}

/** Mean SmoothL1 over the samples `idx` in inference mode (no dropout, no stochastic depth). */
export function evaluateClasterLoss(
  model: ClasterModel,
  a: ClasterArrays,
  idx: Int32Array,
  batchSize: number,
): number {
  let sum = 0;
  for (let lo = 0; lo < idx.length; lo += batchSize) {
    const part = idx.subarray(lo, Math.min(idx.length, lo + batchSize));
    const batch = makeClasterBatch(a, model.config, part);
    const loss = tf.tidy(() => {
      const t = clasterBatchTensors(model, batch, false);
      return model.loss(t.inputs, t.y!);
    });
    sum += loss.dataSync()[0]! * part.length;
    loss.dispose();
  }
  return sum / idx.length;
}

/**
 * Trains CLASTER with compute's `fit`: AdamW (β 0.9/0.999, ε 1e-8) at a
 * constant rate, SmoothL1, best weights by validation loss (the validation
 * chromosomes' genes), per-epoch state in `checkpointDir/state` for exact resume.
 */
export async function trainClaster(
  a: ClasterArrays,
  split: { train: Int32Array; validation: Int32Array },
  o: TrainClasterOptions,
): Promise<TrainClasterResult> {
  if (!a.targets) throw new TypeError('trainClaster: the samples carry no targets');
  const r = await fit<ClasterModel>({
    factory: (config, seed) => new ClasterModel(config as ClasterConfig, seed),
    config: o.config,
    seed: o.seed,
    batches: clasterBatchSource(a, o.config, split.train, o.batchSize, o.reverse ?? false),
    selections: [
      {
        name: 'val',
        label: 'val loss',
        evaluate: (m) => Promise.resolve(evaluateClasterLoss(m, a, split.validation, o.batchSize)),
      },
    ],
    epochs: o.epochs,
    patience: o.patience,
    ...adamWRecipe({
      learningRate: o.learningRate,
      weightDecay: o.weightDecay ?? 0.01,
      schedule: 'constant',
    }),
    ...parallelOption(o.workers, clasterTrainableModule(), 'createClasterTrainable'),
    ...fitRunControls(o),
  });
  return {
    ...restoreBest(r, 'val'),
    trainSamplesPerSecond: fitThroughput(r, split.train.length),
  };
}
