import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { ProgressCallback, SeededRandom } from '@chromflow/core';
import {
  parallelOption,
  restoreBest,
  fit,
  type BatchSource,
  type FitBatch,
  type FitEpochRecord,
  fitRunControls,
  fitThroughput,
  adamWRecipe,
} from '@chromflow/compute';
import type { GetConfig } from './config.js';
import type { GetModel } from './model.js';
import { makeGetBatch, type GetSamples } from './samples.js';
import type { GetArrays } from './tables.js';
import { createGetTrainable } from './trainable-factory.js';

export interface TrainGetOptions {
  config: GetConfig;
  seed: number;
  epochs: number;
  patience: number;
  batchSize: number;
  /** Peak rate (GET: 1e-4 fine-tuning, 1.5e-4 pretraining), one warm-up epoch then cosine to 0. */
  learningRate: number;
  weightDecay?: number;
  /** Weights to start from (pretrained / fine-tuned), assigned by name after the model is built. */
  init?: (model: GetModel) => void;
  checkpointDir?: string;
  resume?: boolean;
  stopAfterEpochs?: number;
  workers?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  log?: (message: string) => void;
}

export interface TrainGetResult {
  /** The model holding the weights of the best validation epoch. */
  model: GetModel;
  bestEpoch: number;
  bestValLoss: number;
  history: FitEpochRecord[];
  interrupted: boolean;
  trainSamplesPerSecond: number;
}

/** Path of the module workers build GET from (`.ts` from source, `.js` from the build). */
export function getTrainableModule(): string {
  const self = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(`./trainable-factory${extname(self)}`, import.meta.url));
}

export function getBatchSource(
  a: GetArrays,
  c: GetConfig,
  s: GetSamples,
  batchSize: number,
): BatchSource {
  return {
    *epoch(rng: SeededRandom): Iterable<FitBatch> {
      const order = rng.shuffle(Int32Array.from({ length: s.types.length }, (_, i) => i));
      for (let lo = 0; lo < order.length; lo += batchSize) {
        const idx = order.subarray(lo, Math.min(order.length, lo + batchSize));
        yield { batch: makeGetBatch(a, c, s, idx, rng), size: idx.length };
      }
    },
  };
}

/** Mean task loss over samples in inference mode (fixed pretraining masks). */
export function evaluateGetLoss(
  model: GetModel,
  a: GetArrays,
  s: GetSamples,
  batchSize: number,
): number {
  let sum = 0;
  for (let lo = 0; lo < s.types.length; lo += batchSize) {
    const idx = Int32Array.from(
      { length: Math.min(batchSize, s.types.length - lo) },
      (_, i) => lo + i,
    );
    const batch = makeGetBatch(a, model.config, s, idx, undefined, lo);
    const loss = tf.tidy(() => {
      const b = idx.length;
      const t = a.windowSize;
      const x = tf.tensor3d(batch.x as Float32Array, [b, t, model.config.features]);
      const y = tf.tensor3d(batch.y as Float32Array, [b, t, 2]);
      const m = batch.mask ? tf.tensor2d(batch.mask as Float32Array, [b, t]) : undefined;
      const tss = batch.tss ? tf.tensor3d(batch.tss as Float32Array, [b, t, 2]) : undefined;
      const pos = batch.pos ? tf.tensor2d(batch.pos as Float32Array, [b, t]) : undefined;
      return model.loss(x, y, m, undefined, tss, pos);
    });
    sum += loss.dataSync()[0]! * idx.length;
    loss.dispose();
  }
  return sum / s.types.length;
}

/**
 * Trains GET with compute's `fit`: AdamW (β 0.9/0.999, decoupled decay
 * 0.05), one warm-up epoch then cosine decay, best weights by validation
 * loss, per-epoch state in `checkpointDir/state` for exact resume.
 */
export async function trainGet(
  a: GetArrays,
  split: { train: GetSamples; val: GetSamples },
  o: TrainGetOptions,
): Promise<TrainGetResult> {
  const stepsPerEpoch = Math.ceil(split.train.types.length / o.batchSize);
  const factory = async (config: unknown, seed: number): Promise<GetModel> => {
    const m = (await createGetTrainable(config, seed)) as GetModel;
    o.init?.(m);
    return m;
  };
  const r = await fit<GetModel>({
    factory,
    config: o.config,
    seed: o.seed,
    batches: getBatchSource(a, o.config, split.train, o.batchSize),
    selections: [
      {
        name: 'val',
        label: 'val loss',
        evaluate: (m) => Promise.resolve(evaluateGetLoss(m, a, split.val, o.batchSize)),
      },
    ],
    epochs: o.epochs,
    patience: o.patience,
    ...adamWRecipe({
      learningRate: o.learningRate,
      weightDecay: o.weightDecay ?? 0.05,
      schedule: { kind: 'warmup-cosine', stepsPerEpoch, epochs: o.epochs },
    }),
    ...parallelOption(o.workers, getTrainableModule(), 'createGetTrainable'),
    ...fitRunControls(o),
  });
  return {
    ...restoreBest(r, 'val'),
    trainSamplesPerSecond: fitThroughput(r, split.train.types.length),
  };
}
