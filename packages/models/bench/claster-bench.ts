import { fileURLToPath } from 'node:url';
import { SeededRandom } from '@chromflow/core';
import type { Trainable } from '@chromflow/compute';
import type { BenchSubjectSpec } from '../../compute/bench/subject.js';
import { makeClasterBatch } from '../src/claster/batches.js';
import { clasterConfig } from '../src/claster/config.js';
import type { ClasterModel } from '../src/claster/model.js';
import { clasterTrainableModule } from '../src/claster/train-claster.js';

/**
 * The `claster` row of the compute benchmark (`packages/compute/bench/index.ts` imports this
 * module by path): CLASTER's default-run network (`small`, landscape variant: 4 tracks ×
 * 10,001 bins → 401 outputs) at batch 16, built by the factory `trainClaster`'s workers use,
 * with its training masks (dropout, stochastic depth), AdamW as `trainClaster` (lr 1e-4,
 * decay 0.01); the twin is `test/twins/claster_twin.py` (mode `bench`, no dropout).
 */
const batchSize = 16;
const tracks = 4;
const bins = 10_001;
const outputs = 401;

export function clasterSubject(): BenchSubjectSpec {
  const config = clasterConfig('small', 'landscape', { tracks, bins, outputs });
  const rng = new SeededRandom(0);
  const arrays = {
    landscape: Float32Array.from({ length: batchSize * tracks * bins }, () => rng.uniform()),
    nTracks: tracks,
    nBins: bins,
    targets: Float32Array.from({ length: batchSize * outputs }, () => rng.uniform()),
  };
  const idx = Int32Array.from({ length: batchSize }, (_, i) => i);
  const adamw = { learningRate: 1e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 };
  return {
    module: clasterTrainableModule(),
    factory: 'createClasterTrainable',
    config,
    batch: makeClasterBatch(arrays, config, idx, rng),
    n: batchSize,
    optimizer: { kind: 'adamw', options: adamw },
    twin: {
      script: fileURLToPath(new URL('../test/twins/claster_twin.py', import.meta.url)),
      request: (model: Trainable) => ({
        config,
        n: batchSize,
        shapes: Object.fromEntries(
          (model as ClasterModel).vars.named.map((v) => [v.name, v.variable.shape]),
        ),
        learningRate: adamw.learningRate,
        weightDecay: adamw.weightDecay,
      }),
    },
  };
}
