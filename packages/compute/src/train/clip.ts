import * as tf from '@tensorflow/tfjs-core';

/** Scales a gradient to at most `maxNorm` in L2 norm (Keras `clipnorm`, per variable). */
export function clipGradientByNorm(g: tf.Tensor, maxNorm: number): tf.Tensor {
  return tf.tidy(() => {
    const norm = tf.norm(g);
    const scale = tf.div(maxNorm, tf.maximum(norm, maxNorm));
    return tf.mul(g, scale);
  });
}

/**
 * Scales all gradients together so their joint L2 norm is at most `maxNorm`,
 * as `torch.nn.utils.clip_grad_norm_`: coefficient `maxNorm / (total + 1e-6)`,
 * applied only when below 1. Returns new tensors (the caller disposes both
 * sets) and the norm before clipping.
 */
export function clipGradientsByGlobalNorm(
  grads: tf.Tensor[],
  maxNorm: number,
): { grads: tf.Tensor[]; totalNorm: number } {
  const totalNorm = tf.tidy(() => {
    const squares = grads.map((g) => tf.sum(tf.square(g)));
    return Math.sqrt(squares.reduce((a, s) => a + (s.dataSync()[0] ?? 0), 0));
  });
  const coef = maxNorm / (totalNorm + 1e-6);
  const out = grads.map((g) => (coef < 1 ? tf.mul(g, coef) : tf.clone(g)));
  return { grads: out, totalNorm };
}
