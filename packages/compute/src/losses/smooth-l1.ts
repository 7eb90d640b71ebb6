import * as tf from '@tensorflow/tfjs-core';

/**
 * Smooth L1 (CLASTER's loss): PyTorch `F.smooth_l1_loss(input, target,
 * beta, reduction='mean')`: per element d = input − target,
 * 0.5·d²/β where |d| < β, else |d| − 0.5·β; β = 0 is the L1 loss.
 */
export function smoothL1Loss(input: tf.Tensor, target: tf.Tensor, beta = 1): tf.Scalar {
  if (!(beta >= 0)) throw new RangeError(`smoothL1Loss: beta must be ≥ 0, got ${beta}`);
  return tf.tidy(() => {
    const ad = tf.abs(tf.sub(input, target));
    if (beta === 0) return tf.mean(ad);
    // 0.5·min(|d|, β)²/β + (|d| − min(|d|, β)) is both branches in one
    // expression (TF.js has no gradient through the comparison a where() needs).
    const inner = tf.minimum(ad, beta);
    return tf.mean(tf.add(tf.div(tf.mul(tf.square(inner), 0.5), beta), tf.sub(ad, inner)));
  });
}
