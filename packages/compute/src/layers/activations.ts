import * as tf from '@tensorflow/tfjs-core';
import '../backend/register-gradients.js';

/**
 * Activations of the transformer networks. The sigmoid-form GELU of
 * scBasset/XChrom is `geluSigmoid` in `../ops`; this is the exact one.
 */

/**
 * GELU in the exact erf form, x·½(1 + erf(x/√2)): PyTorch `nn.GELU()` /
 * `F.gelu(x)` with its default `approximate='none'` (GET's MLP).
 */
export function geluErf(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/**
 * Softplus log(1 + eˣ): PyTorch `F.softplus(x)` (β = 1, threshold 20). TF.js
 * switches to x above ≈ 13.9 and to eˣ below ≈ −13.9 instead of 20; the
 * difference there is below 1e-6 relative. Gradient σ(x).
 */
export function softplus(x: tf.Tensor): tf.Tensor {
  return tf.softplus(x);
}

/** ReLU: PyTorch `F.relu` (Atacformer's FFN). */
export function relu(x: tf.Tensor): tf.Tensor {
  return tf.relu(x);
}
