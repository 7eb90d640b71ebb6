import type * as tf from '@tensorflow/tfjs-core';

/**
 * An optimizer `fit` can drive and checkpoint: one update per call at the
 * rate it is given, its whole state in `step` and `slotVariables()`.
 */
export interface Optimizer {
  /** Updates applied so far (the schedule's argument for the next one). */
  step: number;
  /** The rate the optimizer's own options give at `step` (used when `fit` has no schedule). */
  learningRate(step?: number): number;
  /** One update with `grads`, in the order of the variables it was built on. */
  apply(grads: tf.Tensor[], learningRate?: number): void;
  /** The moment variables, in a fixed order (for checkpoints). */
  slotVariables(): tf.Variable[];
  dispose(): void;
}
