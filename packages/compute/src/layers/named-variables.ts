import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '@chromflow/core';

/** A variable with its checkpoint name; layers list theirs in a fixed build order. */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
  trainable: boolean;
}

/**
 * Collects a model's variables in creation order, so every process that
 * builds the same model gets the same names in the same order (checkpoints
 * and the data-parallel engine rely on it).
 */
export class VariableList {
  readonly named: NamedVariable[] = [];

  /** Makes a variable from `values` (disposed) under `name`; names must be unique. */
  add(name: string, values: tf.Tensor, trainable = true): tf.Variable {
    if (this.named.some((n) => n.name === name)) {
      throw new RangeError(`variable '${name}' is defined twice`);
    }
    const variable = tf.variable(values, trainable);
    values.dispose();
    this.named.push({ name, variable, trainable });
    return variable;
  }

  trainableVariables(): tf.Variable[] {
    return this.named.filter((n) => n.trainable).map((n) => n.variable);
  }

  dispose(): void {
    for (const n of this.named) n.variable.dispose();
  }
}

/** U(−bound, bound) values drawn from `rng` in row-major order. */
export function uniformTensor(rng: SeededRandom, shape: number[], bound: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * bound;
  return tf.tensor(out, shape);
}
