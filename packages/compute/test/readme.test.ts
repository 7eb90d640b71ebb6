import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import {
  fit,
  initBackend,
  warmupCosineSchedule,
  type HostBatch,
  type Trainable,
} from '../src/index.js';

// The README example, verbatim but for the checkpoint path; the fitted line is y = 3x − 1.
it('README example: fit recovers w = 3, b = −1 and writes its state', async () => {
  await initBackend({ backend: 'cpu', quiet: true });

  // y = 3x − 1 with noise; one weight and one bias.
  const makeLine = (): Trainable => {
    const w = tf.variable(tf.scalar(0));
    const b = tf.variable(tf.scalar(0));
    const predict = (x: Float32Array): tf.Tensor => tf.add(tf.mul(tf.tensor1d(x), w), b);
    return {
      trainableVariables: () => [w, b],
      stateVariables: () => [],
      trainingLoss: (batch: HostBatch) =>
        tf.tidy(() =>
          tf.mean(
            tf.square(
              tf.sub(predict(batch['x'] as Float32Array), tf.tensor1d(batch['y'] as Float32Array)),
            ),
          ),
        ),
      batchSize: (batch) => (batch['x'] as Float32Array).length,
      splitBatch: (batch) => [batch],
      predictBatch: (batch) => predict(batch['x'] as Float32Array),
    };
  };
  const xs = Float32Array.from({ length: 64 }, (_, i) => i / 32 - 1);
  const ys = xs.map((x) => 3 * x - 1);
  const val = { x: Float32Array.of(-0.5, 0.25, 0.75), y: Float32Array.of(-2.5, -0.25, 1.25) };

  const result = await fit({
    factory: makeLine,
    config: {},
    seed: 0,
    batches: {
      *epoch(rng) {
        const order = rng.shuffle(Array.from(xs.keys()));
        for (let lo = 0; lo < order.length; lo += 16) {
          const idx = order.slice(lo, lo + 16);
          const x = Float32Array.from(idx, (i) => xs[i]!);
          const y = Float32Array.from(idx, (i) => ys[i]! + 0.01 * rng.normal());
          yield { batch: { x, y }, size: idx.length };
        }
      },
    },
    selections: [
      {
        name: 'val',
        label: 'val loss',
        evaluate: async (m) => {
          const p = m.predictBatch!(val);
          const d = await p.data<'float32'>();
          p.dispose();
          return d.reduce((s, v, i) => s + (v - val.y[i]!) ** 2, 0) / d.length;
        },
      },
    ],
    epochs: 60,
    patience: 10,
    optimizer: {
      kind: 'adamw',
      options: { learningRate: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
    },
    schedule: warmupCosineSchedule({ learningRate: 0.1, warmupSteps: 8, totalSteps: 240 }),
    clip: { globalNorm: 5 },
    checkpointDir: join(mkdtempSync(join(tmpdir(), 'compute-readme-')), 'line-ck'), // whole state after every epoch; `resume: true` continues bit-exactly
  });
  const [w, b] = result.selections['val']!.weights; // the best epoch's weights: ≈ 3 and ≈ −1
  expect(w![0]).toBeCloseTo(3, 1);
  expect(b![0]).toBeCloseTo(-1, 1);
  expect(result.history.length).toBeGreaterThan(10);
}, 60_000);
