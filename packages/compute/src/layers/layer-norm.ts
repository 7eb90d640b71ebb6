import * as tf from '@tensorflow/tfjs-core';
import { layerNorm } from '../ops/index.js';
import type { VariableList } from './named-variables.js';

/** Affine layer normalisation over the last axis; `gamma`, `beta` [D]. */
export interface LayerNormParams {
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  epsilon: number;
}

/** Creates `<prefix>/gamma` (ones) then `<prefix>/beta` (zeros), as `nn.LayerNorm` initialises. */
export function createLayerNorm(
  vars: VariableList,
  prefix: string,
  dim: number,
  epsilon = 1e-5,
  trainable = true,
): LayerNormParams {
  const gamma = vars.add(`${prefix}/gamma`, tf.ones([dim]), trainable) as tf.Variable<tf.Rank.R1>;
  const beta = vars.add(`${prefix}/beta`, tf.zeros([dim]), trainable) as tf.Variable<tf.Rank.R1>;
  return { gamma, beta, epsilon };
}

/**
 * PyTorch `nn.LayerNorm(D, eps)` / `F.layer_norm`: (x − mean) / √(var + eps)
 * · gamma + beta with the biased variance (÷ D) and eps inside the square
 * root. It is the `layerNorm` op (fused kernel on wasm, TF.js composite
 * elsewhere), which has exactly these semantics.
 */
export function applyLayerNorm(x: tf.Tensor, p: LayerNormParams): tf.Tensor {
  return layerNorm(x, p.gamma, p.beta, p.epsilon);
}
