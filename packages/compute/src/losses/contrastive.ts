import * as tf from '@tensorflow/tfjs-core';
import type { VariableList } from '../layers/named-variables.js';

/** ln(1/0.07): CLIP's (and CRAFT's) initial log-temperature. */
export const CLIP_INITIAL_LOG_SCALE = Math.log(1 / 0.07);

/** Creates the learnable log-scale t (a scalar variable `<name>`, initialised to ln(1/0.07)). */
export function createLogitScale(
  vars: VariableList,
  name = 'logit_scale',
  initial = CLIP_INITIAL_LOG_SCALE,
): tf.Variable<tf.Rank.R0> {
  return vars.add(name, tf.scalar(initial)) as tf.Variable<tf.Rank.R0>;
}

/** Rows scaled to unit L2 norm: `F.normalize(x, dim=-1, eps=1e-12)`. */
export function l2Normalize(x: tf.Tensor): tf.Tensor {
  // √max(Σx², eps²) equals max(‖x‖, eps) and keeps a finite gradient at 0.
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), 1e-24))));
}

/**
 * Symmetric contrastive (CLIP / CRAFT) loss of paired embeddings a [N, E]
 * and b [N, E] (row i of a pairs with row i of b): logits = exp(t)·âb̂ᵀ on
 * L2-normalised rows, loss = ½(CE(logits, arange N) + CE(logitsᵀ, arange N)),
 * each cross-entropy a mean over rows as `F.cross_entropy`. The scale is not
 * clamped (OpenCLIP clamps exp(t) at 100; do it in the caller if wanted).
 */
export function clipLoss(a: tf.Tensor2D, b: tf.Tensor2D, logScale: tf.Scalar): tf.Scalar {
  return tf.tidy(() => {
    const logits = tf.mul(tf.matMul(l2Normalize(a), l2Normalize(b), false, true), tf.exp(logScale));
    const n = a.shape[0];
    const diagonal = tf.eye(n);
    const ce = (l: tf.Tensor): tf.Tensor =>
      tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(l, -1), diagonal), -1)));
    return tf.div<tf.Scalar>(tf.add(ce(logits), ce(tf.transpose(logits))), 2);
  });
}
