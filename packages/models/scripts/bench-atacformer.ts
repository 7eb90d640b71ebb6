/**
 * Atacformer training throughput: chromflow (the training step `fit` runs:
 * gather the batch's token rows, loss and gradients, AdamW on the encoder,
 * SparseAdam on the rows) against its PyTorch twin (float32, AdamW +
 * SparseAdam on nn.Embedding(sparse=True), 2 threads) at the same shapes,
 * same machine, same run. Tokens/s = batch × tokens per step / seconds.
 *
 *   npx tsx --conditions=@chromflow/source packages/models/scripts/bench-atacformer.ts [steps]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@chromflow/core';
import { AdamW, initBackend, type HostBatch } from '@chromflow/compute';
import { atacformerConfig, type AtacformerSize } from '../src/atacformer/config.js';
import { AtacformerModel } from '../src/atacformer/model.js';

const steps = Number(process.argv[2] ?? 3);
const vocab = 10_007; // the Granja universe + 7 special tokens
const shapes: [string, AtacformerSize, number, number][] = [
  ['atacformer-small', 'small', 16, 512],
  // 2,048 tokens of the published size overflow tfjs-wasm's memory (RuntimeError:
  // memory access out of bounds: the [1, 8, T, T] attention and its gradients).
  ['atacformer-published', 'published', 1, 1024],
];

const backend = await initBackend({ quiet: true });
console.log(`backend ${backend.name}; ${steps} timed steps after one warm-up; vocabulary ${vocab}`);
for (const [name, size, b, t] of shapes) {
  const config = atacformerConfig(size, vocab);
  const m = new AtacformerModel(config, 0);
  const rng = new SeededRandom(1);
  const batch: HostBatch = {
    tokens: Int32Array.from({ length: b * t }, () => rng.int(7, vocab)),
    labels: Float32Array.from({ length: b * t }, () => (rng.uniform() < 0.45 ? 1 : 0)),
    n: b,
    t,
  };
  const opt = new AdamW(m.trainableVariables(), {
    learningRate: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    weightDecay: 0.01,
  });
  const step = (): void => {
    const [rows] = m.gatherSparseRows(batch);
    const vars = [...m.trainableVariables(), rows!.rows];
    const { value, grads } = tf.variableGrads(() => m.trainingLoss(batch), vars);
    const g = vars.map((v) => grads[v.name]!);
    m.table.applySparseAdam(rows!.uniqueIds, g.at(-1)!.dataSync(), { learningRate: 1e-3 });
    opt.apply(g.slice(0, -1));
    tf.dispose([value, ...g, rows!.rows, rows!.inverse]);
  };
  step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const ours = (b * t * steps) / ((performance.now() - t0) / 1000);
  opt.dispose();
  m.dispose();
  const py = spawnSync(
    '/usr/bin/python3',
    [join(import.meta.dirname, '../test/twins/atacformer_twin.py')],
    {
      input: JSON.stringify({ mode: 'bench', config, batch: b, tokens: t, steps }),
      encoding: 'utf8',
    },
  );
  const theirs =
    py.status === 0 ? (JSON.parse(py.stdout) as { tokensPerSecond: number }).tokensPerSecond : NaN;
  console.log(
    `${name} (batch ${b} × ${t} tokens): chromflow ${ours.toFixed(0)} tokens/s, PyTorch ${theirs.toFixed(0)} tokens/s, ratio ${(ours / theirs).toFixed(2)}` +
      (py.status === 0 ? '' : ` (twin failed: ${py.stderr.slice(-200)})`),
  );
}
