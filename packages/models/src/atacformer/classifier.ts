import * as tf from '@tensorflow/tfjs-core';
import { Float32, Table, Utf8, makeVector, vectorFromArray, type Vector } from 'apache-arrow';
import { ChromflowError, SeededRandom, withEncoding } from '@chromflow/core';
import type { FrameColumn } from '@chromflow/cell-embedding';
import {
  createLinear,
  linear,
  tripletMarginLoss,
  VariableList,
  type EmbeddingBatch,
  type HostBatch,
  type LinearParams,
  type Trainable,
} from '@chromflow/compute';
import { meanPool, type AtacformerModel } from './model.js';

/**
 * Atacformer's cell-type classification head: Linear D → K on the
 * mean-pooled cell embedding, softmax cross-entropy. Trained jointly with the
 * triplet loss (loss = triplet + `crossEntropyWeight` · CE on all 3K cells
 * of a triplet batch), so the embedding is shaped by both and the head gives
 * predicted labels with probabilities. Wraps the encoder (`base`, whose
 * weights it shares) with the head variables `celltype/…`.
 */
export class AtacformerCellTypeModel implements Trainable {
  readonly vars = new VariableList();
  readonly head: LinearParams;
  private held?: EmbeddingBatch;

  constructor(
    readonly base: AtacformerModel,
    /** Class names; head output k is `classes[k]`. */
    readonly classes: readonly string[],
    seed: number,
    readonly crossEntropyWeight = 1,
  ) {
    if (classes.length < 2) {
      throw new ChromflowError('VALUE', 'a cell-type head needs two or more classes', {
        field: 'labels',
        expected: '≥ 2 cell types',
        found: String(classes.length),
      });
    }
    this.head = createLinear(
      this.vars,
      new SeededRandom(seed ^ 0xc1a55),
      'celltype',
      base.config.dim,
      classes.length,
    );
  }

  trainableVariables(): tf.Variable[] {
    return [...this.base.trainableVariables(), ...this.vars.trainableVariables()];
  }

  stateVariables(): tf.Variable[] {
    return [];
  }

  sparseTables() {
    return this.base.sparseTables();
  }

  gatherSparseRows(batch: HostBatch): EmbeddingBatch[] {
    const rows = this.base.gatherSparseRows(batch);
    this.held = rows[0];
    return rows;
  }

  /**
   * Triplet + weighted cross-entropy of a triplet batch (`makeTripletBatch`
   * with `classIds`: the class index of each of its 3K cells).
   */
  loss(
    tokens: Int32Array,
    n: number,
    t: number,
    classIds: Int32Array,
    rows?: EmbeddingBatch,
  ): { total: tf.Scalar; triplet: tf.Scalar; crossEntropy: tf.Scalar } {
    return tf.tidy(() => {
      const e = meanPool(this.base.encode(tokens, n, t, rows), tokens);
      const [a, p, q] = tf.split<tf.Tensor2D>(e, 3, 0) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const triplet = tripletMarginLoss(a, p, q, 1);
      const crossEntropy = softmaxCrossEntropy(linear(e, this.head) as tf.Tensor2D, classIds);
      const total = tf.add<tf.Scalar>(triplet, tf.mul(crossEntropy, this.crossEntropyWeight));
      return { total, triplet, crossEntropy };
    });
  }

  trainingLoss(batch: HostBatch): tf.Scalar {
    const { tokens, n, t, classIds } = batch as {
      tokens: Int32Array;
      n: number;
      t: number;
      classIds: Int32Array;
    };
    const l = this.loss(tokens, n, t, classIds, this.held);
    tf.dispose([l.triplet, l.crossEntropy]);
    return l.total;
  }

  batchSize(batch: HostBatch): number {
    return batch['n'] as number;
  }

  splitBatch(batch: HostBatch): HostBatch[] {
    return [batch];
  }

  /** Predicted class index of each of `n` padded cells (inference: argmax of the head's logits). */
  predictClasses(tokens: Int32Array, n: number, t: number): Int32Array {
    const k = tf.tidy(() =>
      tf.argMax(linear(meanPool(this.base.encode(tokens, n, t), tokens), this.head), 1),
    );
    const out = Int32Array.from(k.dataSync());
    k.dispose();
    return out;
  }

  /** The head as host arrays (kernel D × K row-major, bias K), for checkpoints and `cellTypeProbabilities`. */
  headWeights(): { kernel: Float32Array; bias: Float32Array } {
    return {
      kernel: Float32Array.from(this.head.kernel.dataSync()),
      bias: Float32Array.from(this.head.bias.dataSync()),
    };
  }

  dispose(): void {
    this.vars.dispose();
  }
}

/** Mean over rows of −log softmax(z)[y], z [N, K] logits, y class indices. */
export function softmaxCrossEntropy(z: tf.Tensor2D, y: Int32Array): tf.Scalar {
  return tf.tidy(() => {
    const onehot = tf.oneHot(tf.tensor1d(y, 'int32'), z.shape[1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(z)), 1))) as tf.Scalar;
  });
}

/** A trained head: class names and weights (kernel D × K row-major, bias K). */
export interface CellTypeHead {
  classes: string[];
  kernel: Float32Array;
  bias: Float32Array;
}

/**
 * Class probabilities (n × K row-major, softmax of the head's logits) and the
 * most probable class of each of `n` cell embeddings (row-major n × D).
 */
export function cellTypeProbabilities(
  head: CellTypeHead,
  cells: Float32Array,
  n: number,
): { probabilities: Float32Array; predicted: string[]; maxProbability: Float32Array } {
  const k = head.classes.length;
  const d = head.kernel.length / k;
  if (!Number.isInteger(d) || cells.length !== n * d || head.bias.length !== k) {
    throw new ChromflowError('VALUE', 'cell embeddings do not match the cell-type head', {
      field: 'celltype/kernel',
      expected: `${n} cells × ${d} dims and ${k} biases`,
      found: `${cells.length} values, ${head.bias.length} biases`,
    });
  }
  const probabilities = new Float32Array(n * k);
  const maxProbability = new Float32Array(n);
  const predicted: string[] = [];
  const z = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = head.bias[c]!;
      for (let j = 0; j < d; j++) s += cells[i * d + j]! * head.kernel[j * k + c]!;
      z[c] = s;
      max = Math.max(max, s);
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += z[c] = Math.exp(z[c]! - max);
    let best = 0;
    for (let c = 0; c < k; c++) {
      probabilities[i * k + c] = z[c]! / sum;
      if (z[c]! > z[best]!) best = c;
    }
    predicted.push(head.classes[best]!);
    maxProbability[i] = z[best]! / sum;
  }
  return { probabilities, predicted, maxProbability };
}

export const ATACFORMER_CELL_TYPES_ENCODING = 'atacformer-cell-types';

/** Column names of the per-class probabilities: `prob_<class>`. */
export const probabilityColumn = (cls: string): string => `prob_${cls}`;

/**
 * An `atacformer-cell-types` table, one row per cell: `barcode`, any
 * `extra` utf8 columns (e.g. the given label and the cell's part in the
 * fine-tune), `predicted_cell_type`, `probability` (of that type), then
 * `prob_<class>` (float32) for every class of the head.
 */
export function cellTypePredictionsToTable(
  barcodes: readonly string[],
  head: CellTypeHead,
  p: ReturnType<typeof cellTypeProbabilities>,
  extra: Record<string, readonly string[]> = {},
): Table {
  const k = head.classes.length;
  const cols: Record<string, Vector> = {
    barcode: vectorFromArray([...barcodes], new Utf8()),
  };
  for (const [name, v] of Object.entries(extra)) cols[name] = vectorFromArray([...v], new Utf8());
  cols['predicted_cell_type'] = vectorFromArray(p.predicted, new Utf8());
  cols['probability'] = makeVector({ type: new Float32(), data: p.maxProbability });
  head.classes.forEach((c, j) => {
    cols[probabilityColumn(c)] = makeVector({
      type: new Float32(),
      data: Float32Array.from(barcodes, (_, i) => p.probabilities[i * k + j]!),
    });
  });
  return withEncoding(new Table(cols), ATACFORMER_CELL_TYPES_ENCODING, '1');
}

/** The same predictions as h5ad `obs` columns: a categorical `predicted_cell_type`, float32 `probability` and `prob_<class>`. */
export function cellTypeObsColumns(
  head: CellTypeHead,
  p: ReturnType<typeof cellTypeProbabilities>,
): Record<string, FrameColumn> {
  const k = head.classes.length;
  const index = new Map(head.classes.map((c, i) => [c, i]));
  const out: Record<string, FrameColumn> = {
    predicted_cell_type: {
      categories: [...head.classes],
      codes: Int32Array.from(p.predicted, (c) => index.get(c)!),
      ordered: false,
    },
    probability: p.maxProbability,
  };
  const n = p.predicted.length;
  head.classes.forEach((c, j) => {
    out[probabilityColumn(c)] = Float32Array.from(
      { length: n },
      (_, i) => p.probabilities[i * k + j]!,
    );
  });
  return out;
}
