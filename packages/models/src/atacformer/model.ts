import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@chromflow/core';
import {
  createLinear,
  createTransformerEncoder,
  disposeEmbeddingBatch,
  linear,
  lookupRows,
  SparseEmbedding,
  transformerEncoder,
  VariableList,
  type EmbeddingBatch,
  type HostBatch,
  type LinearParams,
  type Trainable,
  type TransformerEncoderParams,
  tripletMarginLoss,
} from '@chromflow/compute';
import { validateAtacformerConfig, type AtacformerConfig } from './config.js';

/** Token id of padding (the vocabulary's `<pad>`): masked as a key, left out of pooling and loss. */
export const PAD_TOKEN = 0;

/**
 * Atacformer as a `Trainable`. The token table is compute's
 * `SparseEmbedding` (`tokens`: host rows, SparseAdam on the rows a batch
 * touches; `nn.Embedding(padding_idx=0)`: N(0, 1) rows, pad row zero), the
 * encoder `encoder/block<i>/…` + `encoder/norm`, the head `rtd/…`
 * (Linear D → 1). A batch: `tokens` int32 [B·T] padded with 0, `labels`
 * float32 [B·T] (1 = replaced), `n` = B, `t` = T.
 */
export class AtacformerModel implements Trainable {
  readonly config: AtacformerConfig;
  readonly vars = new VariableList();
  readonly table: SparseEmbedding;
  readonly encoder: TransformerEncoderParams;
  readonly head: LinearParams;
  private held?: EmbeddingBatch;

  constructor(config: AtacformerConfig, seed: number) {
    validateAtacformerConfig(config);
    this.config = config;
    const rng = new SeededRandom(seed);
    const { dim, vocabSize } = config;
    this.table = new SparseEmbedding('tokens', vocabSize, dim, rng);
    const w = this.table.weights;
    if (config.embeddingInitStd !== 1)
      for (let i = 0; i < w.length; i++) w[i]! *= config.embeddingInitStd;
    w.fill(0, PAD_TOKEN * dim, PAD_TOKEN * dim + dim);
    this.encoder = createTransformerEncoder(this.vars, rng, 'encoder', {
      dim,
      heads: config.heads,
      ffnDim: config.ffnDim,
      activation: 'relu',
      epsilon: config.epsilon,
      layers: config.layers,
      finalNorm: true,
    });
    this.head = createLinear(this.vars, rng, 'rtd', dim, 1);
  }

  trainableVariables(): tf.Variable[] {
    return this.vars.trainableVariables();
  }

  stateVariables(): tf.Variable[] {
    return [];
  }

  sparseTables(): SparseEmbedding[] {
    return [this.table];
  }

  gatherSparseRows(batch: HostBatch): EmbeddingBatch[] {
    this.held = this.table.gather(batch['tokens'] as Int32Array);
    return [this.held];
  }

  /**
   * Contextual token embeddings [B, T, D] of padded ids [B·T]; `rows` the
   * batch's gathered table rows (training), else gathered here.
   */
  encode(tokens: Int32Array, b: number, t: number, rows?: EmbeddingBatch): tf.Tensor3D {
    const own = rows === undefined ? this.table.gather(tokens) : undefined;
    try {
      return tf.tidy(() => {
        const x = tf.reshape<tf.Rank.R3>(lookupRows((rows ?? own)!), [b, t, this.config.dim]);
        return transformerEncoder(x, this.encoder, padMask(tokens, b, t));
      });
    } finally {
      if (own) disposeEmbeddingBatch(own);
    }
  }

  /** Copies every weight of `other` (same configuration), e.g. a pretrained model into a fine-tune. */
  assignFrom(other: AtacformerModel): void {
    this.table.weights.set(other.table.weights);
    const src = new Map(other.vars.named.map((n) => [n.name, n.variable]));
    tf.tidy(() => this.vars.named.forEach((n) => n.variable.assign(src.get(n.name)!)));
  }

  /** Per-token replaced logits [B, T] from contextual embeddings. */
  rtdLogits(h: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => tf.squeeze<tf.Tensor2D>(linear(h, this.head), [2]));
  }

  /** Mean per-token binary cross-entropy (with logits) over non-pad tokens. */
  rtdLoss(
    tokens: Int32Array,
    labels: Float32Array,
    b: number,
    t: number,
    rows?: EmbeddingBatch,
  ): tf.Scalar {
    return tf.tidy(() => {
      const z = this.rtdLogits(this.encode(tokens, b, t, rows));
      const y = tf.tensor2d(labels, [b, t]);
      const valid = tf.sub(1, padMask(tokens, b, t));
      const bce = tf.sub(tf.softplus(z), tf.mul(y, z));
      return tf.div(tf.sum(tf.mul(bce, valid)), tf.maximum(tf.sum(valid), 1));
    });
  }

  /**
   * Triplet margin loss (margin 1, p 2; the cell-type fine-tune) of the
   * mean-pooled embeddings of 3·K cells: anchors, then positives, then negatives.
   */
  tripletLoss(tokens: Int32Array, n: number, t: number, rows?: EmbeddingBatch): tf.Scalar {
    return tf.tidy(() => {
      const e = meanPool(this.encode(tokens, n, t, rows), tokens);
      const [a, p, q] = tf.split<tf.Tensor2D>(e, 3, 0) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      return tripletMarginLoss(a, p, q, 1);
    });
  }

  /** RTD loss, or with `triplets` in the batch the triplet loss (`makeTripletBatch`). */
  trainingLoss(batch: HostBatch): tf.Scalar {
    if (batch['triplets'] !== undefined) {
      const { tokens, n, t } = batch as { tokens: Int32Array; n: number; t: number };
      return this.tripletLoss(tokens, n, t, this.held);
    }
    const { tokens, labels, n, t } = batch as {
      tokens: Int32Array;
      labels: Float32Array;
      n: number;
      t: number;
    };
    return this.rtdLoss(tokens, labels, n, t, this.held);
  }

  batchSize(batch: HostBatch): number {
    return batch['n'] as number;
  }

  splitBatch(batch: HostBatch): HostBatch[] {
    return [batch];
  }

  dispose(): void {
    this.vars.dispose();
  }
}

/** 1 where a token is padding, [B, T] float32 (PyTorch's `key_padding_mask`). */
export function padMask(tokens: Int32Array, b: number, t: number): tf.Tensor2D {
  return tf.tensor2d(
    Float32Array.from(tokens, (x) => (x === PAD_TOKEN ? 1 : 0)),
    [b, t],
  );
}

/** Cell embeddings [B, D]: the mean of the contextual embeddings over each cell's non-pad tokens. */
export function meanPool(h: tf.Tensor3D, tokens: Int32Array): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, t] = h.shape;
    const valid = tf.sub(1, padMask(tokens, b, t));
    const sum = tf.sum(tf.mul(h, tf.expandDims(valid, 2)), 1);
    return tf.div<tf.Tensor2D>(sum, tf.maximum(tf.sum(valid, 1, true), 1));
  });
}
