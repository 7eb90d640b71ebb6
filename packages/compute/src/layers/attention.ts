import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '@chromflow/core';
import { linear, type LinearParams } from './linear.js';
import { uniformTensor, type VariableList } from './named-variables.js';

/**
 * Multi-head self-attention with PyTorch `nn.MultiheadAttention` semantics
 * (`batch_first=True`, self-attention, no attention dropout): one fused QKV
 * projection, scaled dot-product per head with scale 1/√d_head, softmax over
 * keys, concatenation of the heads, output projection.
 */
export interface AttentionParams {
  /** [D, 3D]: columns 0..D → q, D..2D → k, 2D..3D → v (= `in_proj_weight`ᵀ). */
  qkv: LinearParams;
  /** [D, D] (= `out_proj.weight`ᵀ) and its bias. */
  out: LinearParams;
  heads: number;
}

/**
 * Creates `<prefix>/qkv/kernel`, `<prefix>/qkv/bias`, `<prefix>/out/kernel`,
 * `<prefix>/out/bias`, initialised as `nn.MultiheadAttention`: Xavier-uniform
 * QKV weight, zero biases, output weight as `nn.Linear`.
 */
export function createAttention(
  vars: VariableList,
  rng: SeededRandom,
  prefix: string,
  dim: number,
  heads: number,
  trainable = true,
): AttentionParams {
  if (dim % heads !== 0) {
    throw new RangeError(`model width ${dim} is not divisible by ${heads} heads`);
  }
  // torch applies xavier_uniform_ to the [3D, D] in_proj_weight as one matrix.
  const qkvBound = Math.sqrt(6 / (dim + 3 * dim));
  const qkv = {
    kernel: vars.add(
      `${prefix}/qkv/kernel`,
      uniformTensor(rng, [dim, 3 * dim], qkvBound),
      trainable,
    ) as tf.Variable<tf.Rank.R2>,
    bias: vars.add(`${prefix}/qkv/bias`, tf.zeros([3 * dim]), trainable) as tf.Variable<tf.Rank.R1>,
  };
  const out = {
    kernel: vars.add(
      `${prefix}/out/kernel`,
      uniformTensor(rng, [dim, dim], 1 / Math.sqrt(dim)),
      trainable,
    ) as tf.Variable<tf.Rank.R2>,
    bias: vars.add(`${prefix}/out/bias`, tf.zeros([dim]), trainable) as tf.Variable<tf.Rank.R1>,
  };
  return { qkv, out, heads };
}

/**
 * Added to masked scores instead of −∞: exp(−1e30 − max) is exactly 0 in
 * float32 as exp(−∞) is, but a row whose keys are all masked stays finite
 * (uniform) instead of NaN, and is then zeroed by `keep` below.
 */
const maskedScore = -1e30;

/**
 * Self-attention of x [B, T, D]. `keyPaddingMask` [B, T] (bool or 0/1) marks
 * keys to ignore with true/1, PyTorch's `key_padding_mask` convention. An
 * example whose keys are all masked gets a zero attention context (its output
 * is the output projection's bias) and zero gradients, where PyTorch gives NaN.
 * `scoreBias` [B or 1, H, T, T] is added to the scaled scores before the
 * softmax (PyTorch's float `attn_mask`): relative-position biases.
 */
export function multiHeadSelfAttention(
  x: tf.Tensor3D,
  p: AttentionParams,
  keyPaddingMask?: tf.Tensor2D,
  scoreBias?: tf.Tensor4D,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, t, d] = x.shape;
    const h = p.heads;
    const dh = d / h;
    const qkv = linear(x, p.qkv);
    const heads = (part: tf.Tensor): tf.Tensor4D =>
      tf.transpose(tf.reshape<tf.Rank.R4>(part, [b, t, h, dh]), [0, 2, 1, 3]);
    const [q, k, v] = tf.split(qkv, 3, 2).map(heads) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh));
    if (scoreBias !== undefined) scores = tf.add(scores, scoreBias);
    let keep: tf.Tensor | undefined;
    if (keyPaddingMask !== undefined) {
      const masked = tf.cast(keyPaddingMask, 'float32');
      scores = tf.add(scores, tf.reshape(tf.mul(masked, maskedScore), [b, 1, 1, t]));
      // 1 where an example has at least one unmasked key.
      keep = tf.reshape(tf.cast(tf.less(tf.min(masked, 1), 0.5), 'float32'), [b, 1, 1, 1]);
    }
    let probs = tf.softmax(scores, -1);
    if (keep !== undefined) probs = tf.mul(probs, keep);
    const context = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [b, t, d]);
    return linear(context, p.out) as tf.Tensor3D;
  });
}
