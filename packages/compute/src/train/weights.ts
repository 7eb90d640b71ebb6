import * as tf from '@tensorflow/tfjs-core';
import type { Trainable } from './trainable.js';

/**
 * A copy of every variable of a model: trainable ones, then state ones, in
 * the model's order, then its sparse tables (`Trainable.sparseTables`), if any.
 */
export type WeightSnapshot = Float32Array[];

/** All variables of `model` in snapshot order. */
export function snapshotVariables(model: Trainable): tf.Variable[] {
  return [...model.trainableVariables(), ...model.stateVariables()];
}

/** Copies the model's current values (bit for bit). */
export function takeWeights(model: Trainable): WeightSnapshot {
  const tables = (model.sparseTables?.() ?? []).map((t) => t.weights.slice());
  return [...snapshotVariables(model).map((v) => Float32Array.from(v.dataSync())), ...tables];
}

/** Overwrites the model's variables with a snapshot taken from a model of the same build. */
export function assignWeights(model: Trainable, weights: WeightSnapshot): void {
  const vars = snapshotVariables(model);
  const tables = model.sparseTables?.() ?? [];
  if (vars.length + tables.length !== weights.length) {
    throw new RangeError(
      `a snapshot of ${weights.length} variables for a model of ${vars.length + tables.length}`,
    );
  }
  tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(weights[i]!, v.shape, 'float32'))));
  tables.forEach((t, i) => t.weights.set(weights[vars.length + i]!));
}
