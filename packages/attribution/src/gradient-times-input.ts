import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients; tfjs-layers' Node bundle registers them all (see models/src/backend/register-gradients.ts).
import '@tensorflow/tfjs-layers';

/** A model head: one-hot batch [B, L, 4] → one scalar per example [B]. */
export type ScalarModel = (onehot: tf.Tensor3D) => tf.Tensor1D;

export interface GradientTimesInput {
  /** [B, L, 4]: ∂f/∂x · x. */
  readonly scores: tf.Tensor3D;
  /** [B, L]: scores summed over the 4 bases (position 0-based). */
  readonly perPosition: tf.Tensor2D;
}

/** Gradient × input of `f` at `onehot` on the active backend; caller disposes the result. */
export function computeGradientTimesInput(f: ScalarModel, onehot: tf.Tensor3D): GradientTimesInput {
  return tf.tidy(() => {
    const grad = tf.grad((x: tf.Tensor) => tf.sum(f(tf.reshape(x, onehot.shape))))(onehot);
    const scores: tf.Tensor3D = tf.reshape<tf.Rank.R3>(tf.mul(grad, onehot), onehot.shape);
    const perPosition: tf.Tensor2D = tf.reshape<tf.Rank.R2>(tf.sum(scores, 2), [
      onehot.shape[0],
      onehot.shape[1],
    ]);
    return { scores, perPosition };
  });
}
