import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '@chromflow/core';
import { uniformTensor, type VariableList } from './named-variables.js';

/**
 * A dense layer y = x·W + b over the last axis. `kernel` is [in, out] (the
 * transpose of PyTorch's `nn.Linear.weight`, which is [out, in]); `bias` [out].
 */
export interface LinearParams {
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
  /** A LoRA adapter (set by `createLora`): every layer built on `linear` then uses it. */
  lora?: LowRankUpdate;
}

/** (α/r)·x·A·B added to the layer's output; A [in, r], B [r, out]. */
export interface LowRankUpdate {
  a: tf.Tensor2D;
  b: tf.Tensor2D;
  rank: number;
  alpha: number;
}

/**
 * Creates `<prefix>/kernel` then `<prefix>/bias`, initialised as PyTorch's
 * `nn.Linear.reset_parameters`: kaiming-uniform with a = √5 gives
 * U(−1/√in, 1/√in) for the weight, and the bias draws from the same range.
 */
export function createLinear(
  vars: VariableList,
  rng: SeededRandom,
  prefix: string,
  inFeatures: number,
  outFeatures: number,
  trainable = true,
): LinearParams {
  const bound = 1 / Math.sqrt(inFeatures);
  const kernel = vars.add(
    `${prefix}/kernel`,
    uniformTensor(rng, [inFeatures, outFeatures], bound),
    trainable,
  ) as tf.Variable<tf.Rank.R2>;
  const bias = vars.add(
    `${prefix}/bias`,
    uniformTensor(rng, [outFeatures], bound),
    trainable,
  ) as tf.Variable<tf.Rank.R1>;
  return { kernel, bias };
}

/** x [..., in] → [..., out]: `F.linear(x, kernelᵀ, bias)`, plus the LoRA update when `p.lora` is set. */
export function linear(x: tf.Tensor, p: LinearParams): tf.Tensor {
  return tf.tidy(() => {
    const [inFeatures, outFeatures] = p.kernel.shape;
    const lead = x.shape.slice(0, -1);
    const flat = tf.reshape<tf.Rank.R2>(x, [-1, inFeatures]);
    let y = tf.add(tf.matMul(flat, p.kernel), p.bias);
    const u = p.lora;
    if (u !== undefined)
      y = tf.add(y, tf.mul(tf.matMul(tf.matMul(flat, u.a), u.b), u.alpha / u.rank));
    return tf.reshape(y, [...lead, outFeatures]);
  });
}
