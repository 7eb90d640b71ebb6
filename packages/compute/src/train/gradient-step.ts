import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node bundle has no gradients; tfjs-layers' bundle registers them all in the shared registry.
import '@tensorflow/tfjs-layers';
import type { HostBatch, Trainable } from './trainable.js';

/**
 * Computes the mean loss and the gradients of the trainable variables for one
 * batch. The default runs in this process; a data-parallel engine can supply
 * its own (same contract: gradients in `trainableVariables()` order, state
 * variables updated as a side effect). The caller disposes the gradients.
 */
export type GradientStep = (
  model: Trainable,
  batch: HostBatch,
) => Promise<{ loss: number; grads: tf.Tensor[] }>;

/** Single-process gradient step with `tf.variableGrads`. */
export const localGradientStep: GradientStep = async (model, batch) => {
  const vars = model.trainableVariables();
  const { value, grads } = tf.variableGrads(() => model.trainingLoss(batch), vars);
  const loss = (await value.data())[0] ?? NaN;
  value.dispose();
  return { loss, grads: vars.map((v) => grads[v.name] ?? tf.zerosLike(v)) };
};
