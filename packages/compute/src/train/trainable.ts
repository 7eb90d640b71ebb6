import type * as tf from '@tensorflow/tfjs-core';
import type { EmbeddingBatch, SparseEmbedding } from '../layers/sparse-embedding.js';

/**
 * The contract between a model and the training engine (single-process or
 * data-parallel over worker threads). A batch travels as plain typed arrays so
 * it can be posted to workers; the model turns it into tensors itself.
 */
export type HostBatch = Record<string, Float32Array | Int32Array | Uint8Array | number>;

export interface Trainable {
  /** Trainable variables, in the same fixed order in every process. */
  trainableVariables(): tf.Variable[];
  /** Non-trainable state (BatchNorm moving statistics), same order everywhere. */
  stateVariables(): tf.Variable[];
  /**
   * Mean loss of the batch in training mode (dropout, noise, augmentation on).
   * Updates state variables as a side effect; called inside `tf.variableGrads`.
   */
  trainingLoss(batch: HostBatch): tf.Scalar;
  /** Number of examples in a batch (used to weight shards when averaging gradients). */
  batchSize(batch: HostBatch): number;
  /** Splits a batch into `n` shards of near-equal size along the example axis. */
  splitBatch(batch: HostBatch, n: number): HostBatch[];
  /**
   * Optional: outputs in inference mode, examples along axis 0 (the caller
   * disposes). Lets the engine predict data-parallel (`TrainingEngine.predict`).
   */
  predictBatch?(batch: HostBatch): tf.Tensor;
  /**
   * Optional: host tables trained sparsely (only the rows a batch touches,
   * by `SparseEmbedding.applySparseAdam`), in a fixed order. `fit` then
   * calls `gatherSparseRows` before each `trainingLoss`; those two are the
   * whole contract. Single-process only (no data-parallel engine).
   */
  sparseTables?(): SparseEmbedding[];
  /** Gathers the batch's rows of each table (`sparseTables()` order) and holds them for the next `trainingLoss`. */
  gatherSparseRows?(batch: HostBatch): EmbeddingBatch[];
}

/**
 * A module that workers can import to build the same model: it exports a
 * function of this type under the name given to the engine. `config` is plain
 * JSON; `seed` makes initial weights deterministic (the engine then
 * broadcasts the main process's weights anyway).
 */
export type TrainableFactory = (config: unknown, seed: number) => Promise<Trainable> | Trainable;
