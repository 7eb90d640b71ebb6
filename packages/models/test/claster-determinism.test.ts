import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '@chromflow/core';
import type { ClasterArrays } from '../src/claster/batches.js';
import { clasterConfig } from '../src/claster/config.js';
import { trainClaster } from '../src/claster/train-claster.js';

/**
 * Two scale-5 runs differing only in their epoch limit (20 vs 45) split at
 * epoch 7 by 1e-4 in the training loss. A run is a function of its seed and
 * data: the shuffles, the dropout and stochastic-depth masks all come from the
 * seed, and nothing depends on the epoch limit. (Those two runs used different
 * convolution kernels: the native GEMM path was added to the working tree
 * between them, and its rounding grew into the split.)
 */
const bins = 21;
const outputs = 7;
const n = 96;
const rng = new SeededRandom(5);
const arrays: ClasterArrays = {
  landscape: Float32Array.from({ length: n * 4 * bins }, () =>
    rng.uniform() < 0.2 ? 3 * rng.uniform() : 0,
  ),
  nTracks: 4,
  nBins: bins,
  targets: Float32Array.from({ length: n * outputs }, () => 5 * rng.uniform()),
};
const split = {
  train: Int32Array.from({ length: 80 }, (_, i) => i),
  validation: Int32Array.from({ length: 16 }, (_, i) => 80 + i),
};
// Every mask in use (channel and fusion dropout, stochastic depth), as the stage's sizes.
const config = {
  ...clasterConfig('tiny', 'landscape', { tracks: 4, bins, outputs }, [0.2, 0.2, 0.2, 0.2]),
  transform: 'log1p' as const,
};

async function losses(seed: number, epochs: number): Promise<number[]> {
  const r = await trainClaster(arrays, split, {
    config,
    seed,
    epochs,
    patience: epochs,
    batchSize: 16,
    learningRate: 3e-3,
  });
  r.model.dispose();
  return r.history.flatMap((h) => [h.trainLoss, h.losses['val']!]);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('CLASTER training is deterministic', () => {
  it('same seed, same losses, whatever the epoch limit; another seed differs', async () => {
    const a = await losses(3, 3);
    const b = await losses(3, 4);
    const other = await losses(4, 3);
    expect(a).toHaveLength(6);
    expect(b.slice(0, 6)).toEqual(a);
    expect(other).not.toEqual(a);
  }, 120_000);
});
