import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { ChromflowError } from '@chromflow/core';
import {
  disposeEmbeddingBatch,
  type SparseAdamOptions,
  type SparseEmbedding,
} from '../layers/sparse-embedding.js';
import type { Optimizer } from './optimizer.js';
import type { HostBatch, Trainable } from './trainable.js';

/**
 * `fit`'s update for a model with sparse tables (`Trainable.sparseTables`):
 * the dense variables and the batch's gathered table rows are differentiated
 * together, clipped together (a global norm spans both), the dense gradients
 * go to the optimizer and each table's row gradients to its SparseAdam at the
 * same rate. Returns the batch loss.
 */
export async function sparseTrainStep(
  model: Trainable,
  batch: HostBatch,
  optimizer: Optimizer,
  options: SparseAdamOptions,
  learningRate: number | undefined,
  clip: (grads: tf.Tensor[]) => tf.Tensor[],
): Promise<number> {
  const tables = model.sparseTables!();
  const gathered = model.gatherSparseRows!(batch);
  if (gathered.length !== tables.length) {
    throw new ChromflowError('VALUE', 'gatherSparseRows gave one batch per table', {
      field: 'gatherSparseRows',
      expected: `${tables.length} (sparseTables())`,
      found: `${gathered.length}`,
    });
  }
  try {
    const dense = model.trainableVariables();
    const vars = [...dense, ...gathered.map((g) => g.rows)];
    const { value, grads } = tf.variableGrads(() => model.trainingLoss(batch), vars);
    const loss = (await value.data())[0] ?? NaN;
    value.dispose();
    const all = clip(vars.map((v) => grads[v.name] ?? tf.zerosLike(v)));
    const rate = learningRate ?? optimizer.learningRate();
    tables.forEach((t: SparseEmbedding, i) =>
      t.applySparseAdam(gathered[i]!.uniqueIds, all[dense.length + i]!.dataSync(), options, rate),
    );
    optimizer.apply(all.slice(0, dense.length), learningRate);
    tf.dispose(all);
    return loss;
  } finally {
    gathered.forEach(disposeEmbeddingBatch);
  }
}
