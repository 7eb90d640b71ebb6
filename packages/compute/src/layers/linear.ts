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

/** x [..., in] → [..., out]: `F.linear(x, kernelᵀ, bias)`. */
export function linear(x: tf.Tensor, p: LinearParams): tf.Tensor {
  return tf.tidy(() => {
    const [inFeatures, outFeatures] = p.kernel.shape;
    const lead = x.shape.slice(0, -1);
    const flat = tf.reshape<tf.Rank.R2>(x, [-1, inFeatures]);
    const y = tf.add(tf.matMul(flat, p.kernel), p.bias);
    return tf.reshape(y, [...lead, outFeatures]);
  });
}
