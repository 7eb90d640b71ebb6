import * as tf from '@tensorflow/tfjs-core';

/**
 * Reference implementations of the ops chromflow's models are written with,
 * as plain TF.js composites. They define the semantics; `../ops/index.ts`
 * may route them to faster kernels on a given backend, which must match these
 * (values and gradients) within the tolerances of the kernel test suite.
 * Layouts are channels-last: sequences are [batch, length, channels].
 */

/** GELU in the sigmoid form used by scBasset/XChrom: x · σ(1.702 x). */
export function geluSigmoidReference(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

/** 1-D convolution, no bias. x [B, L, Cin], filter [k, Cin, Cout] → [B, L', Cout]. */
export function conv1dReference(
  x: tf.Tensor3D,
  filter: tf.Tensor3D,
  padding: 'same' | 'valid',
  stride = 1,
): tf.Tensor3D {
  return tf.conv1d(x, filter, stride, padding);
}

/** Max pooling along the length axis with window = stride = `pool` ('valid'): [B, L, C] → [B, ⌊L/pool⌋, C]. */
export function maxPool1dReference(x: tf.Tensor3D, pool: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, l, c] = x.shape;
    const y = tf.maxPool(tf.reshape<tf.Rank.R4>(x, [b, 1, l, c]), [1, pool], [1, pool], 'valid');
    return tf.reshape(y, [b, Math.floor(l / pool), c]);
  });
}

export interface BatchNormTrainResult {
  y: tf.Tensor;
  /** Batch mean per channel (last axis). */
  mean: tf.Tensor1D;
  /** Biased batch variance per channel, as Keras uses to normalise. */
  variance: tf.Tensor1D;
}

/**
 * Batch normalisation in training mode over every axis but the last (channels):
 * y = (x − mean) / √(var + eps) · gamma + beta, with the batch statistics returned
 * for the caller's moving averages.
 */
export function batchNormTrainReference(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): BatchNormTrainResult {
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const y = tf.add(
      tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), gamma),
      beta,
    );
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}

/** Batch normalisation in inference mode with stored statistics. */
export function batchNormInferReference(
  x: tf.Tensor,
  movingMean: tf.Tensor1D,
  movingVariance: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): tf.Tensor {
  return tf.tidy(() => tf.batchNorm(x, movingMean, movingVariance, beta, gamma, epsilon));
}

/** Layer normalisation over the last axis. */
export function layerNormReference(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), gamma), beta);
  });
}
