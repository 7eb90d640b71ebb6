import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError, SeededRandom } from '@chromflow/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/init-backend.js';
import {
  SparseEmbedding,
  disposeEmbeddingBatch,
  lookupRows,
  uniqueWithInverse,
  type SparseAdamOptions,
} from '../src/layers/sparse-embedding.js';
import { normals, relativeError, runTorchTwin, torchPython } from './twins/check-case.js';

const rows = 200_000;
const dim = 64;
const tableBytes = rows * dim * 4;

/** 120 tokens over 50 distinct rows spread across the table (repeats included). */
function batchIds(seed: number): Int32Array {
  const rng = new SeededRandom(seed);
  const distinct = Array.from({ length: 50 }, () => rng.int(0, rows));
  while (new Set(distinct).size < 50) distinct.push(rng.int(0, rows));
  const set = Array.from(new Set(distinct)).slice(0, 50);
  return Int32Array.from({ length: 120 }, (_, i) => set[i < 50 ? i : rng.int(0, 50)]!);
}

/** A loss of the token embeddings: Σ (e·w)² / N with a fixed w. */
const loss = (e: tf.Tensor2D, w: tf.Tensor1D): tf.Scalar =>
  tf.div(tf.sum(tf.square(tf.sum(tf.mul(e, w), 1))), e.shape[0]);

const adam: SparseAdamOptions = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** torch.optim.SparseAdam's update in float64, on the given rows only. */
function sparseAdam64(
  w: Float64Array,
  m: Float64Array,
  v: Float64Array,
  ids: Int32Array,
  g: ArrayLike<number>,
  t: number,
  o: SparseAdamOptions,
): void {
  const [b1, b2, eps] = [o.beta1!, o.beta2!, o.epsilon!];
  const step = (o.learningRate * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
  ids.forEach((id, u) => {
    for (let j = 0; j < dim; j++) {
      const i = id * dim + j;
      m[i] = b1 * m[i]! + (1 - b1) * g[u * dim + j]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[u * dim + j]! ** 2;
      w[i] = w[i]! - (step * m[i]) / (Math.sqrt(v[i]) + eps);
    }
  });
}

describe('sparse embedding: a step on a 200,000 × 64 table touching 50 rows', () => {
  let table: SparseEmbedding;
  const initial = normals(rows * dim, 1);
  const w = normals(dim, 2);
  const ids = batchIds(3);

  beforeAll(async () => {
    await tf.setBackend('cpu');
    table = new SparseEmbedding('tokens', rows, dim, Float32Array.from(initial));
  });

  it('allocates nothing table-sized, and its row gradients equal the dense gradient on the touched rows', async () => {
    const wt = tf.tensor1d(w);
    const batch = table.gather(ids);
    expect(batch.uniqueIds.length).toBe(50);
    let sparse = new Float32Array(0);
    const profile = await tf.profile(() => {
      const { grads } = tf.variableGrads(() => loss(lookupRows(batch), wt), [batch.rows]);
      sparse = Float32Array.from(grads[batch.rows.name]!.dataSync());
      tf.dispose(grads);
    });
    // Peak bytes while computing the gradient: the batch's rows, not the table.
    expect(profile.peakBytes).toBeLessThan(tableBytes / 100);

    // Oracle, by hand: L = Σₙ (eₙ·w)²/N, so the dense table gradient is
    // Σ over tokens n of 2(eₙ·w)w/N added into row idsₙ (float64).
    const dense = new Map<number, Float64Array>();
    for (const id of ids) {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += initial[id * dim + j]! * w[j]!;
      const row = dense.get(id) ?? new Float64Array(dim);
      for (let j = 0; j < dim; j++) row[j]! += (2 * dot * w[j]!) / ids.length;
      dense.set(id, row);
    }
    const expected = new Float64Array(50 * dim);
    batch.uniqueIds.forEach((id, u) => expected.set(dense.get(id)!, u * dim));
    expect(relativeError(sparse, expected)).toBeLessThan(1e-6);

    // Negative control: the dense formulation (nn.Embedding's dense gradient, an
    // index-add into a zero [rows, dim] table) does show a table-sized peak.
    const full = tf.tensor2d(initial, [rows, dim]);
    const idx = tf.tensor2d(ids, [ids.length, 1], 'int32');
    const denseLookup = tf.customGrad((...args) => ({
      value: tf.gatherND(args[0] as tf.Tensor, idx),
      gradFunc: (dy: tf.Tensor) => tf.scatterND(idx, dy, [rows, dim]),
    }));
    const control = await tf.profile(() => {
      tf.dispose(tf.grad((t: tf.Tensor) => loss(denseLookup(t) as tf.Tensor2D, wt))(full));
    });
    expect(control.peakBytes).toBeGreaterThanOrEqual(tableBytes);
    tf.dispose([full, idx, wt]);
    disposeEmbeddingBatch(batch);
  });

  it('SparseAdam updates only the touched rows and equals the dense Adam step there (step 1), then SparseAdam semantics (step 2)', () => {
    const w64 = Float64Array.from(initial);
    const m64 = new Float64Array(rows * dim);
    const v64 = new Float64Array(rows * dim);
    const wt = tf.tensor1d(w);
    const step = (stepIds: Int32Array, t: number) => {
      const batch = table.gather(stepIds);
      const { grads } = tf.variableGrads(() => loss(lookupRows(batch), wt), [batch.rows]);
      const g = Float32Array.from(grads[batch.rows.name]!.dataSync());
      tf.dispose(grads);
      const before = Float32Array.from(table.weights);
      table.applySparseAdam(batch.uniqueIds, g, adam);
      sparseAdam64(w64, m64, v64, batch.uniqueIds, g, t, adam);
      const touched = new Set(batch.uniqueIds);
      let changedOutside = 0;
      for (let r = 0; r < rows; r++) {
        if (touched.has(r)) continue;
        for (let j = 0; j < dim; j++)
          if (table.weights[r * dim + j] !== before[r * dim + j]) changedOutside++;
      }
      expect(changedOutside).toBe(0);
      const got = new Float32Array(batch.uniqueIds.length * dim);
      const want = new Float64Array(batch.uniqueIds.length * dim);
      batch.uniqueIds.forEach((id, u) => {
        got.set(table.weights.subarray(id * dim, id * dim + dim), u * dim);
        want.set(w64.subarray(id * dim, id * dim + dim), u * dim);
      });
      expect(relativeError(got, want)).toBeLessThan(1e-6);
      disposeEmbeddingBatch(batch);
    };
    step(ids, 1);
    // At step 1 (zero moments) a dense step with ε on √v leaves zero-gradient rows unchanged, so the
    // sparse step is the dense one; at step 2 rows untouched then keep their moments (SparseAdam).
    step(batchIds(4), 2);
    expect(table.step).toBe(2);
    wt.dispose();
  });
});

describe('SparseAdam equals torch.optim.SparseAdam', () => {
  it.skipIf(torchPython.python === undefined)(
    'three steps on a 30 × 5 table with overlapping rows',
    () => {
      const small = new SparseEmbedding('small', 30, 5, normals(150, 9));
      const start = Array.from(small.weights);
      const steps: [number[], number[]][] = [
        [[0, 3, 29], Array.from(normals(15, 10))],
        [[3, 4], Array.from(normals(10, 11))],
        [[0, 4, 7, 8], Array.from(normals(20, 12))],
      ];
      const o: SparseAdamOptions = { learningRate: 0.05, beta1: 0.8, beta2: 0.95, epsilon: 1e-6 };
      for (const [stepIds, g] of steps) small.applySparseAdam(Int32Array.from(stepIds), g, o);
      const [torch] = runTorchTwin([
        {
          op: 'sparse_adam',
          attrs: { rows: 30, dim: 5, lr: 0.05, beta1: 0.8, beta2: 0.95, eps: 1e-6 },
          table: start,
          steps,
        },
      ]);
      expect(relativeError(small.weights, torch!.value)).toBeLessThan(1e-6);
    },
  );
});

describe('sparse embedding state', () => {
  it('saved with toNamedTensors and restored, continues with the same bits', () => {
    const o: SparseAdamOptions = { learningRate: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8 };
    const a = new SparseEmbedding('e', 12, 3, new SeededRandom(1));
    a.applySparseAdam(Int32Array.of(1, 5), normals(6, 2), o);
    const saved = new Map(a.toNamedTensors().map((n) => [n.name, n.tensor]));
    expect([...saved.keys()]).toEqual(['e/table', 'e/adam_m', 'e/adam_v']);
    const b = new SparseEmbedding('e', 12, 3, new SeededRandom(7));
    b.restoreNamedTensors(saved, a.step);
    for (const t of [a, b]) t.applySparseAdam(Int32Array.of(5, 11), normals(6, 3), o);
    expect(b.weights).toEqual(a.weights);
    expect([b.m, b.v, b.step]).toEqual([a.m, a.v, a.step]);
    saved.delete('e/adam_v');
    expect(() => b.restoreNamedTensors(saved, 1)).toThrow(ChromflowError);
    tf.dispose([...saved.values()]);
  });
});

describe('gathering a batch', () => {
  it('unique ids ascending with each token’s index, and located errors for ids outside the table', () => {
    const { uniqueIds, inverse } = uniqueWithInverse(Int32Array.of(7, 2, 7, 9, 2), 10, 't');
    expect(Array.from(uniqueIds)).toEqual([2, 7, 9]);
    expect(Array.from(inverse)).toEqual([1, 0, 1, 2, 0]);
    expect(() => uniqueWithInverse(Int32Array.of(1, 10), 10, 't')).toThrow(ChromflowError);
  });

  it('looks up the same embeddings and row gradients on wasm as on cpu', async () => {
    const small = new SparseEmbedding('small', 40, 6, new SeededRandom(5));
    const tokens = Int32Array.of(3, 39, 3, 0, 17, 17, 17);
    const run = () => {
      const batch = small.gather(tokens);
      const wt = tf.tensor1d(normals(6, 8));
      const e = Float32Array.from(lookupRows(batch).dataSync());
      const { grads } = tf.variableGrads(() => loss(lookupRows(batch), wt), [batch.rows]);
      const g = Float32Array.from(grads[batch.rows.name]!.dataSync());
      tf.dispose([wt, grads]);
      disposeEmbeddingBatch(batch);
      return { e, g };
    };
    await tf.setBackend('cpu');
    const cpu = run();
    await initBackend({ backend: 'wasm', quiet: true });
    const wasm = run();
    await tf.setBackend('cpu');
    // Token 1 is id 39: its embedding is table row 39.
    expect(cpu.e.subarray(6, 12)).toEqual(small.weights.subarray(39 * 6, 40 * 6));
    expect(relativeError(wasm.e, cpu.e)).toBe(0);
    expect(relativeError(wasm.g, cpu.g)).toBeLessThan(1e-5);
  });
});
