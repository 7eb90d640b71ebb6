/**
 * CLASTER training and inference speed: chromflow (this process, the backend
 * initBackend picks) vs the PyTorch twin (float32, same shapes, same threads),
 * a training step = forward, SmoothL1, backward, AdamW.
 *
 *   npx tsx --conditions=@chromflow/source packages/models/scripts/bench-claster.ts [size] [batch] [reps]
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, initBackend, TORCH_ADAMW } from '@chromflow/compute';
import { SeededRandom } from '@chromflow/core';
import { clasterConfig, ClasterModel, makeClasterBatch, type ClasterSize } from '../src/index.js';

const size = (process.argv[2] ?? 'small') as ClasterSize;
const n = Number(process.argv[3] ?? 16);
const reps = Number(process.argv[4] ?? 5);
const backend = await initBackend({ quiet: true });
const config = clasterConfig(size, 'landscape', { tracks: 4, bins: 10_001, outputs: 401 });
const model = new ClasterModel(config, 0);
const rng = new SeededRandom(0);
const arrays = {
  landscape: Float32Array.from({ length: n * 4 * 10_001 }, () => rng.uniform()),
  nTracks: 4,
  nBins: 10_001,
  targets: Float32Array.from({ length: n * 401 }, () => rng.uniform()),
};
const idx = Int32Array.from({ length: n }, (_, i) => i);
const opt = new AdamW(model.trainableVariables(), {
  ...TORCH_ADAMW,
  learningRate: 1e-4,
  weightDecay: 0.01,
});
const times: number[] = [];
for (let r = 0; r <= reps; r++) {
  const batch = makeClasterBatch(arrays, config, idx, rng);
  const t0 = performance.now();
  const { value, grads } = tf.variableGrads(
    () => model.trainingLoss(batch),
    model.trainableVariables(),
  );
  opt.apply(model.trainableVariables().map((v) => grads[v.name]!));
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
  times.push(performance.now() - t0);
}
const train = n / (times.slice(1).sort((a, b) => a - b)[reps >> 1]! / 1000);
const batch = makeClasterBatch(arrays, config, idx);
const t0 = performance.now();
for (let r = 0; r < reps; r++) model.predictBatch(batch).dispose();
const infer = n / ((performance.now() - t0) / reps / 1000);
const shapes = Object.fromEntries(model.vars.named.map((v) => [v.name, v.variable.shape]));
const here = dirname(fileURLToPath(import.meta.url));
const twin = spawnSync('/usr/bin/python3', [join(here, '../test/twins/claster_twin.py')], {
  input: JSON.stringify({ mode: 'speed', config, shapes, n, reps, threads: 1 }),
  encoding: 'utf8',
  maxBuffer: 1 << 26,
});
const t =
  twin.status === 0
    ? (JSON.parse(twin.stdout) as { train: number; infer: number; torch: string })
    : undefined;
console.log(
  `claster ${size} B${n} (${model.countParams()} params) on ${backend.name}/${backend.kernelPath}: ` +
    `train ${train.toFixed(2)} samples/s, infer ${infer.toFixed(2)}` +
    (t
      ? `; PyTorch ${t.torch} (1 thread): train ${t.train.toFixed(2)}, infer ${t.infer.toFixed(2)} (train ×${(train / t.train).toFixed(2)})`
      : `; PyTorch twin unavailable: ${twin.stderr.split('\n').slice(-2).join(' ')}`),
);
model.dispose();
