/**
 * The optimizer step on the main thread vs in the workers (docs/adr/0004-…), same engine,
 * same batch, alternating: `gradientStep` + `AdamW.apply` (the workers sum the gradients,
 * the main thread wraps them into tensors and steps) against `shardedStep` (the workers
 * step their ranges in shared memory). Medians of `steps` timed steps after one warm-up,
 * per round. `tsx --conditions=@chromflow/source bench/optimizer-step.ts [shape] [steps] [rounds]`.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, createTrainingEngine, initBackend } from '../src/index.js';
import { getBatch, getShapes, type GetShape } from './get-trainable.js';

const shape = (process.argv[2] ?? 'get-published') as GetShape;
const steps = Number(process.argv[3] ?? 3);
const rounds = Number(process.argv[4] ?? 2);
const s = getShapes[shape];
const info = await initBackend({ backend: 'wasm', quiet: true });
const engine = await createTrainingEngine({
  module: join(fileURLToPath(new URL('.', import.meta.url)), 'get-trainable.ts'),
  factory: 'makeGetBench',
  config: { d: s.d, layers: s.layers, heads: s.heads },
  seed: 1,
  workers: 2,
});
const model = engine.model;
const params = model.trainableVariables().reduce((a, v) => a + v.size, 0);
const opt = new AdamW(model.trainableVariables(), {
  learningRate: 1e-4,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0.01,
});
const batch = getBatch(s.batch, 7);
const variants = {
  main: async (): Promise<void> => {
    const { grads } = await engine.gradientStep(model, batch);
    opt.apply(grads);
    tf.dispose(grads);
  },
  workers: async (): Promise<void> => {
    await engine.shardedStep(model, batch, opt);
  },
};
console.log(
  `${shape} (${params} parameters, B${s.batch}), 2 workers, ${info.kernelPath}; load ${loadavg()[0]!.toFixed(1)}`,
);
const medians: Record<string, number[]> = { main: [], workers: [] };
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? (['main', 'workers'] as const) : (['workers', 'main'] as const);
  for (const name of order) {
    await variants[name](); // warm-up (and the switch's one copy into or out of shared memory)
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await variants[name]();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const med = times[Math.floor(times.length / 2)]!;
    medians[name]!.push(med);
    console.log(
      `round ${r + 1} ${name.padEnd(7)} step ${med.toFixed(0)} ms (${times.map((t) => t.toFixed(0)).join(', ')})  load ${loadavg()[0]!.toFixed(1)}`,
    );
  }
}
engine.syncHost();
const best = (xs: number[]): number => Math.min(...xs);
console.log(
  `best round: main-thread step ${best(medians['main']!).toFixed(0)} ms, in the workers ${best(medians['workers']!).toFixed(0)} ms ` +
    `(×${(best(medians['main']!) / best(medians['workers']!)).toFixed(2)} samples/s)`,
);
opt.dispose();
await engine.dispose();
