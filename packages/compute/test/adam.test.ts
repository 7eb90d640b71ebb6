import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSimdKernelsEnabled } from '../src/kernels/simd.js';
import { Adam, type AdamOptions } from '../src/train/adam.js';
import { normals, relativeError } from './kernels-harness.js';

/**
 * The fused Adam kernel (wasm) against the op-by-op Adam on the `cpu`
 * backend (TF.js's pure-JS kernels: the oracle): weights and both moments
 * after several steps, with and without per-variable clipping, on variables
 * of several shapes (odd sizes, a scalar-like one).
 */
const shapes = [[7, 5], [13], [1], [3, 4, 9]];
/** XChrom's settings (the Adam it trains with). */
const KERAS_ADAM: AdamOptions = {
  learningRate: 0.01,
  decayRate: 0.9,
  decaySteps: 10000,
  beta1: 0.95,
  beta2: 0.9995,
  epsilon: 1e-7,
  clipNorm: 1,
};

async function run(
  backend: 'cpu' | 'wasm',
  options: AdamOptions,
): Promise<{ weights: Float32Array[]; slots: Float32Array[] }> {
  await tf.setBackend(backend);
  await tf.ready();
  const vars = shapes.map((s, i) =>
    tf.variable(tf.tensor(normals(tf.util.sizeFromShape(s), 40 + i), s, 'float32')),
  );
  const adam = new Adam(vars, options);
  for (let step = 0; step < 4; step++) {
    // Gradients large enough that clipping is active for most variables.
    const grads = shapes.map((s, i) =>
      tf.tensor(
        normals(tf.util.sizeFromShape(s), 100 * step + i).map((g) => g * (1 + 3 * i)),
        s,
        'float32',
      ),
    );
    adam.apply(grads);
    tf.dispose(grads);
  }
  const weights = vars.map((v) => Float32Array.from(v.dataSync()));
  const slots = adam.slotVariables().map((v) => Float32Array.from(v.dataSync()));
  adam.dispose();
  tf.dispose(vars);
  return { weights, slots };
}

describe.each([
  ['wasm-SIMD', true],
  ['JavaScript', false],
])('Adam: fused wasm kernel (%s) matches the op-by-op update on the cpu backend', (_, simd) => {
  beforeAll(() => setSimdKernelsEnabled(simd));
  afterAll(() => setSimdKernelsEnabled(true));
  it.each([
    ['clipnorm 1', KERAS_ADAM],
    ['no clipping', { ...KERAS_ADAM, clipNorm: 0, learningRate: 0.003 }],
  ])('%s', async (_, options) => {
    const expected = await run('cpu', options);
    const actual = await run('wasm', options);
    expected.weights.forEach((e, i) =>
      expect(relativeError(actual.weights[i]!, e), `weights ${i}`).toBeLessThan(1e-6),
    );
    expected.slots.forEach((e, i) =>
      expect(relativeError(actual.slots[i]!, e), `moment ${i}`).toBeLessThan(1e-5),
    );
    // The update moved the weights (so the comparison is not trivially equal inputs).
    const start = normals(35, 40);
    expect(relativeError(actual.weights[0]!, start)).toBeGreaterThan(1e-3);
  });
});
