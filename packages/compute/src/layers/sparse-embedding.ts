import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError, type SeededRandom } from '@chromflow/core';

/**
 * An embedding table whose gradient and optimizer step touch only the rows a
 * batch used (Atacformer's vocabulary: 10⁵–10⁶ rows × 384; a dense table
 * gradient per step would cost a table-sized tensor and a table-sized update).
 *
 * The table and its Adam moments live on the host (Float32Array [rows · dim],
 * row-major). A batch gathers its unique rows into a small variable
 * `rows` [U, dim]; the model looks tokens up in it (`lookupRows`), so the
 * gradient the engine computes for `rows` is exactly the (summed) gradient of
 * those table rows, [U, dim], and `applySparseAdam` updates those U rows in
 * place. Nothing table-sized is ever a tensor.
 */
export class SparseEmbedding {
  readonly weights: Float32Array;
  /** Adam first and second moments, same layout as `weights`. */
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Optimizer steps taken (PyTorch's `state['step']`; one per batch). */
  step = 0;

  constructor(
    readonly name: string,
    readonly rows: number,
    readonly dim: number,
    /** PyTorch `nn.Embedding` initialises N(0, 1); pass a table to start from instead. */
    init: SeededRandom | Float32Array,
  ) {
    const n = rows * dim;
    if (init instanceof Float32Array) {
      if (init.length !== n) {
        throw new ChromflowError('VALUE', 'embedding table has the wrong size', {
          field: name,
          expected: `${rows} × ${dim} = ${n} values`,
          found: `${init.length}`,
        });
      }
      this.weights = init;
    } else {
      this.weights = new Float32Array(n);
      for (let i = 0; i < n; i++) this.weights[i] = init.normal();
    }
    this.m = new Float32Array(n);
    this.v = new Float32Array(n);
  }

  /** Gathers the unique rows of `ids` (token ids, any order, repeats allowed) for one batch. */
  gather(ids: Int32Array): EmbeddingBatch {
    const { uniqueIds, inverse } = uniqueWithInverse(ids, this.rows, this.name);
    const d = this.dim;
    const values = new Float32Array(uniqueIds.length * d);
    uniqueIds.forEach((id, u) => values.set(this.weights.subarray(id * d, id * d + d), u * d));
    const rows = tf.variable(tf.tensor2d(values, [uniqueIds.length, d]), true);
    return { uniqueIds, inverse: tf.tensor1d(inverse, 'int32'), rows };
  }

  /**
   * One SparseAdam step on the rows a batch touched: `rowGrads` [U · dim] is
   * the gradient of `batch.rows` (row u is table row `uniqueIds[u]`). The rate
   * is `learningRate` when given (a schedule's, as `Optimizer.apply` takes
   * it), else `o.learningRate`.
   */
  applySparseAdam(
    uniqueIds: Int32Array,
    rowGrads: ArrayLike<number>,
    o: SparseAdamOptions,
    learningRate = o.learningRate,
  ): void {
    const d = this.dim;
    if (rowGrads.length !== uniqueIds.length * d) {
      throw new ChromflowError('VALUE', 'row gradients do not match the touched rows', {
        field: this.name,
        expected: `${uniqueIds.length} × ${d}`,
        found: `${rowGrads.length} values`,
      });
    }
    const lr = learningRate;
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = o;
    const decay = 1 - lr * (o.weightDecay ?? 0);
    this.step += 1;
    const t = this.step;
    const stepSize = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    const { weights: w, m, v } = this;
    uniqueIds.forEach((id, u) => {
      for (let j = 0; j < d; j++) {
        const i = id * d + j;
        const g = rowGrads[u * d + j]!;
        const mi = beta1 * m[i]! + (1 - beta1) * g;
        const vi = beta2 * v[i]! + (1 - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        w[i] = w[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) + epsilon);
      }
    });
  }

  /** Table, moments and step as tensors for a checkpoint (caller disposes). */
  toNamedTensors(): { name: string; tensor: tf.Tensor }[] {
    const shape: [number, number] = [this.rows, this.dim];
    return [
      { name: `${this.name}/table`, tensor: tf.tensor2d(this.weights, shape) },
      { name: `${this.name}/adam_m`, tensor: tf.tensor2d(this.m, shape) },
      { name: `${this.name}/adam_v`, tensor: tf.tensor2d(this.v, shape) },
    ];
  }

  /**
   * Puts back what `toNamedTensors` gave (by name, e.g. read back with
   * `loadNamedTensors`) and the step count saved beside it, so training
   * continues with the same bits.
   */
  restoreNamedTensors(tensors: ReadonlyMap<string, tf.Tensor>, step: number): void {
    const parts: [string, Float32Array][] = [
      ['table', this.weights],
      ['adam_m', this.m],
      ['adam_v', this.v],
    ];
    for (const [suffix, target] of parts) {
      const name = `${this.name}/${suffix}`;
      const t = tensors.get(name);
      if (t?.shape.join() !== `${this.rows},${this.dim}`) {
        throw new ChromflowError('SCHEMA', 'embedding state missing or of another shape', {
          field: name,
          expected: `${this.rows} × ${this.dim}`,
          found: t === undefined ? 'absent' : t.shape.join(' × '),
        });
      }
      target.set(t.dataSync());
    }
    this.step = step;
  }
}

/**
 * PyTorch `torch.optim.SparseAdam` settings. Its update, for touched rows only:
 * m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², w ← w − lr·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε);
 * untouched rows keep their moments (they are not decayed), t counts steps of
 * the table. Note ε is added to √v, not to the bias-corrected √v̂ as in dense
 * `Adam`/`AdamW`. `weightDecay` > 0 adds AdamW's decoupled decay
 * w ← w·(1 − lr·λ) before the step, to touched rows only ("lazy"; SparseAdam
 * itself has none, and a dense decay would touch every row).
 */
export interface SparseAdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

/** One batch's view of the table: see `SparseEmbedding.gather`. */
export interface EmbeddingBatch {
  /** Table rows touched, ascending, each once. */
  uniqueIds: Int32Array;
  /** For each token, its row in `rows` (int32 [N]). */
  inverse: tf.Tensor1D;
  /** Gathered rows [U, dim]: the variable to differentiate. */
  rows: tf.Variable;
}

/**
 * Embeddings of the batch's tokens, [N, dim] (`nn.Embedding` forward);
 * gradients flow to `batch.rows` only. The gradient sums each token's row
 * gradient into its row with one scatter-add (`tf.scatterND` accumulates
 * duplicate indices), O(N·dim): TF.js's own gather gradient
 * (UnsortedSegmentSum) loops over every row on `cpu` and has no `wasm` kernel.
 */
export function lookupRows(batch: EmbeddingBatch): tf.Tensor2D {
  const [u, d] = batch.rows.shape as [number, number];
  const op = tf.customGrad((...args) => {
    const rows = args[0];
    if (!(rows instanceof tf.Tensor)) throw new TypeError('lookupRows takes the rows tensor');
    return {
      value: tf.gather(rows, batch.inverse),
      gradFunc: (dy: tf.Tensor) => tf.scatterND(tf.expandDims(batch.inverse, 1), dy, [u, d]),
    };
  });
  return op(batch.rows) as tf.Tensor2D;
}

/** Frees a batch's tensors once its gradient has been applied. */
export function disposeEmbeddingBatch(batch: EmbeddingBatch): void {
  batch.inverse.dispose();
  batch.rows.dispose();
}

/** Sorted unique ids and each input's index among them. */
export function uniqueWithInverse(
  ids: Int32Array,
  rows: number,
  field: string,
): { uniqueIds: Int32Array; inverse: Int32Array } {
  for (const id of ids) {
    if (!(id >= 0 && id < rows)) {
      throw new ChromflowError('VALUE', 'token id outside the embedding table', {
        field,
        expected: `0 ≤ id < ${rows}`,
        found: `${id}`,
      });
    }
  }
  const uniqueIds = Int32Array.from(new Set(ids)).sort();
  const position = new Map<number, number>();
  uniqueIds.forEach((id, u) => position.set(id, u));
  const inverse = Int32Array.from(ids, (id) => position.get(id)!);
  return { uniqueIds, inverse };
}
