import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChromflowError, SeededRandom } from '@chromflow/core';
import { fit, type BatchSource, type FitOptions } from '../src/train/fit.js';
import type { HostBatch, Trainable } from '../src/train/trainable.js';
import {
  SparseEmbedding,
  lookupRows,
  type EmbeddingBatch,
} from '../src/layers/sparse-embedding.js';
import { createLinear, linear, type LinearParams } from '../src/layers/linear.js';
import { VariableList } from '../src/layers/named-variables.js';

/**
 * `fit` with a sparse table (`Trainable.sparseTables`): a bag-of-tokens
 * regressor, mean of the token rows → Linear(4 → 1), MSE. Checks that the
 * first update of the table equals SparseAdam on the dense table gradient's
 * touched rows (computed apart with `tf.variableGrads` on a dense copy), that
 * rows no batch touched keep their bits, and that a run stopped and resumed
 * ends bit-equal to an uninterrupted one (table, moments, dense weights, best).
 */
const dir = mkdtempSync(join(tmpdir(), 'chromflow-fit-sparse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const vocab = 60;
const dim = 4;
const perExample = 5;

class BagModel implements Trainable {
  readonly vars = new VariableList();
  readonly table: SparseEmbedding;
  readonly head: LinearParams;
  private held?: EmbeddingBatch;
  constructor(seed: number) {
    const rng = new SeededRandom(seed);
    this.table = new SparseEmbedding('tokens', vocab, dim, rng);
    this.head = createLinear(this.vars, rng, 'head', dim, 1);
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
    this.held = this.table.gather(batch['ids'] as Int32Array);
    return [this.held];
  }
  lossWith(e: tf.Tensor2D, batch: HostBatch): tf.Scalar {
    const n = batch['n'] as number;
    const pooled = tf.mean(tf.reshape(e, [n, perExample, dim]), 1);
    const y = tf.tensor2d(batch['y'] as Float32Array, [n, 1]);
    return tf.mean(tf.square(tf.sub(linear(pooled, this.head), y)));
  }
  trainingLoss(batch: HostBatch): tf.Scalar {
    return tf.tidy(() => this.lossWith(lookupRows(this.held!), batch));
  }
  batchSize(batch: HostBatch): number {
    return batch['n'] as number;
  }
  splitBatch(batch: HostBatch): HostBatch[] {
    return [batch];
  }
}

/** 24 examples using tokens 0..39 only (40..59 are never touched), target = Σ id mod 3. */
const examples = Array.from({ length: 24 }, (_, i) => {
  const r = new SeededRandom(100 + i);
  const ids = Int32Array.from({ length: perExample }, () => r.int(0, 40));
  return { ids, y: ids.reduce((s, v) => s + (v % 3), 0) / perExample };
});

const batches: BatchSource = {
  *epoch(rng: SeededRandom) {
    const order = rng.shuffle(Array.from({ length: 24 }, (_, i) => i));
    for (let lo = 0; lo < 24; lo += 6) {
      const idx = order.slice(lo, lo + 6);
      const ids = new Int32Array(idx.length * perExample);
      idx.forEach((e, k) => ids.set(examples[e]!.ids, k * perExample));
      const y = Float32Array.from(idx, (e) => examples[e]!.y);
      yield { batch: { n: idx.length, ids, y }, size: idx.length };
    }
  },
};

const evalBatch: HostBatch = {
  n: 24,
  ids: Int32Array.from(examples.flatMap((e) => [...e.ids])),
  y: Float32Array.from(examples, (e) => e.y),
};

function options(extra: Partial<FitOptions<BagModel>> = {}): FitOptions<BagModel> {
  return {
    factory: (_c, seed) => new BagModel(seed),
    config: {},
    seed: 3,
    batches,
    selections: [
      {
        name: 'val',
        label: 'val loss',
        evaluate: (m) => {
          const b = m.table.gather(evalBatch['ids'] as Int32Array);
          const l = tf.tidy(() => m.lossWith(lookupRows(b), evalBatch));
          const v = l.dataSync()[0]!;
          tf.dispose([l, b.rows, b.inverse]);
          return Promise.resolve(v);
        },
      },
    ],
    epochs: 3,
    patience: 10,
    optimizer: {
      kind: 'adamw',
      options: { learningRate: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 },
    },
    clip: { globalNorm: 1 },
    ...extra,
  };
}

describe('fit with a sparse embedding table', () => {
  it('updates only touched rows, each by SparseAdam on its dense-table gradient', async () => {
    const start = new BagModel(3);
    const table0 = start.table.weights.slice();
    // The first batch fit will draw, and its gradient on a dense copy of the table.
    const first = [...batches.epoch(new SeededRandom(3 ^ 0x5eed), 0)][0]!.batch;
    const dense = tf.variable(tf.tensor2d(table0, [vocab, dim]));
    const { grads } = tf.variableGrads(
      () => start.lossWith(tf.gather(dense, first['ids'] as Int32Array), first),
      [dense, ...start.trainableVariables()],
    );
    const gAll = tf.concat(Object.values(grads).map((g) => tf.reshape(g, [-1])));
    const norm = tf.norm(gAll).dataSync()[0]!;
    const scale = Math.min(1, 1 / norm);
    const g = grads[dense.name]!.dataSync();
    const touched = Int32Array.from(new Set(first['ids'] as Int32Array)).sort();
    const rowGrads = new Float32Array(touched.length * dim);
    touched.forEach((id, u) => {
      for (let j = 0; j < dim; j++) rowGrads[u * dim + j] = g[id * dim + j]! * scale;
    });
    const o = options();
    start.table.applySparseAdam(touched, rowGrads, { ...o.optimizer.options, weightDecay: 0.01 });
    const expected = start.table.weights;

    const r = await fit({ ...o, epochs: 1, stopAfterEpochs: undefined, batches: oneBatch(first) });
    const got = r.model.table.weights;
    for (let i = 0; i < vocab * dim; i++) expect(got[i]).toBeCloseTo(expected[i]!, 6);
    const untouched = Array.from({ length: vocab }, (_, id) => id).filter(
      (id) => !touched.includes(id),
    );
    for (const id of untouched)
      expect(Array.from(got.subarray(id * dim, id * dim + dim))).toEqual(
        Array.from(table0.subarray(id * dim, id * dim + dim)),
      );
    tf.dispose([dense, gAll, ...Object.values(grads)]);
    start.vars.dispose();
    r.model.vars.dispose();
  });

  it('lowers the loss, never touches unused rows, and resumes bit-equal', async () => {
    const full = await fit(options());
    const h = full.history.map((e) => e.losses['val']!);
    expect(h.at(-1)!).toBeLessThan(h[0]!);
    const init = new BagModel(3).table.weights;
    const unused = full.model.table.weights.subarray(40 * dim);
    expect(Array.from(unused)).toEqual(Array.from(init.subarray(40 * dim)));

    const ck = join(dir, 'resume');
    const part = await fit(options({ checkpointDir: ck, stopAfterEpochs: 1 }));
    expect(part.interrupted).toBe(true);
    part.model.vars.dispose();
    const resumed = await fit(options({ checkpointDir: ck, resume: true }));
    expect(Array.from(resumed.model.table.weights)).toEqual(Array.from(full.model.table.weights));
    expect(Array.from(resumed.model.table.m)).toEqual(Array.from(full.model.table.m));
    expect(resumed.model.table.step).toBe(full.model.table.step);
    expect(Array.from(resumed.model.head.kernel.dataSync())).toEqual(
      Array.from(full.model.head.kernel.dataSync()),
    );
    const bestA = full.selections['val']!.weights;
    const bestB = resumed.selections['val']!.weights;
    expect(bestB.length).toBe(bestA.length);
    expect(Array.from(bestB.at(-1)!)).toEqual(Array.from(bestA.at(-1)!));
    full.model.vars.dispose();
    resumed.model.vars.dispose();
  });

  it('refuses data-parallel workers', async () => {
    const o = options({
      parallel: { workers: 2, module: 'unused', factoryName: 'unused' },
      gradientStep: undefined,
    });
    await expect(fit(o)).rejects.toThrow(ChromflowError);
  });
});

function oneBatch(batch: HostBatch): BatchSource {
  return {
    *epoch() {
      yield { batch, size: batch['n'] as number };
    },
  };
}
