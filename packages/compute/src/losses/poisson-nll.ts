import * as tf from '@tensorflow/tfjs-core';

/**
 * Poisson negative log-likelihood on rates (GET's expression loss): PyTorch
 * `F.poisson_nll_loss(input, target, log_input=False, full=False, eps=1e-8,
 * reduction='mean')` = mean(input − target·log(input + eps)). `input` must be
 * non-negative (a Softplus output); shapes must match.
 */
export function poissonNllLoss(input: tf.Tensor, target: tf.Tensor, eps = 1e-8): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sub(input, tf.mul(target, tf.log(tf.add(input, eps))))));
}
