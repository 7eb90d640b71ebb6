import type * as tf from '@tensorflow/tfjs-core';
import '../backend/register-gradients.js';
import {
  batchNormInferReference,
  batchNormTrainReference,
  conv1dReference,
  geluSigmoidReference,
  layerNormReference,
  maxPool1dReference,
  type BatchNormTrainResult,
} from './reference.js';
import {
  batchNormInferFused,
  batchNormTrainFused,
  fusedPathActive,
  geluSigmoidFused,
  layerNormFused,
} from './fused.js';

/**
 * The ops models are written with. On the `wasm` backend GELU, batch norm and
 * layer norm run fused chromflow kernels with custom gradients; conv1d and
 * max-pool use TF.js ops whose wasm gradient kernels chromflow replaces
 * (`src/kernels`). Elsewhere these are the reference composites. Semantics
 * are those of `reference.ts`; `test/ops.test.ts` checks values and gradients.
 */
export type { BatchNormTrainResult } from './reference.js';

/**
 * 1-D convolution (`tf.conv1d` semantics). On wasm, chromflow's kernels
 * (SIMD forward, filter and input gradients) are registered first.
 */
export function conv1d(
  x: tf.Tensor3D,
  filter: tf.Tensor3D,
  padding: 'same' | 'valid',
  stride = 1,
): tf.Tensor3D {
  fusedPathActive();
  return conv1dReference(x, filter, padding, stride);
}

/** 1-D max-pooling, window = stride = `pool`, 'valid' (on wasm with chromflow's fixed gradient). */
export function maxPool1d(x: tf.Tensor3D, pool: number): tf.Tensor3D {
  fusedPathActive();
  return maxPool1dReference(x, pool);
}

/** GELU in the sigmoid form used by scBasset/XChrom: x · σ(1.702 x). */
export function geluSigmoid(x: tf.Tensor): tf.Tensor {
  return fusedPathActive() ? geluSigmoidFused(x) : geluSigmoidReference(x);
}

/** Batch normalisation in training mode (statistics over every axis but the last). */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): BatchNormTrainResult {
  return fusedPathActive()
    ? batchNormTrainFused(x, gamma, beta, epsilon)
    : batchNormTrainReference(x, gamma, beta, epsilon);
}

/** Batch normalisation in inference mode with stored statistics. */
export function batchNormInfer(
  x: tf.Tensor,
  movingMean: tf.Tensor1D,
  movingVariance: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): tf.Tensor {
  return fusedPathActive()
    ? batchNormInferFused(x, movingMean, movingVariance, gamma, beta, epsilon)
    : batchNormInferReference(x, movingMean, movingVariance, gamma, beta, epsilon);
}

/** Layer normalisation over the last axis. */
export function layerNorm(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): tf.Tensor {
  return fusedPathActive()
    ? layerNormFused(x, gamma, beta, epsilon)
    : layerNormReference(x, gamma, beta, epsilon);
}
