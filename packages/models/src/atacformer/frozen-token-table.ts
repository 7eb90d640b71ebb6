import type * as tf from '@tensorflow/tfjs-core';
import type { HostBatch, Trainable } from '@chromflow/compute';

/**
 * A model whose token table `fit` leaves alone: it delegates everything but
 * `sparseTables` / `gatherSparseRows`, so the encoder reads the table's rows
 * as constants (gathered in `encode`) and only the dense variables train.
 * The table is most of an Atacformer's parameters (vocabulary × D), the part
 * a fine-tune on a few thousand labelled cells overfits first; the batch
 * fine-tune freezes it likewise.
 */
export class FrozenTokenTable<M extends Trainable> implements Trainable {
  constructor(readonly inner: M) {}

  trainableVariables(): tf.Variable[] {
    return this.inner.trainableVariables();
  }

  stateVariables(): tf.Variable[] {
    return this.inner.stateVariables();
  }

  trainingLoss(batch: HostBatch): tf.Scalar {
    return this.inner.trainingLoss(batch);
  }

  batchSize(batch: HostBatch): number {
    return this.inner.batchSize(batch);
  }

  splitBatch(batch: HostBatch, n: number): HostBatch[] {
    return this.inner.splitBatch(batch, n);
  }
}
