import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/index.js';
import { benchBatch, makeBenchCnn, type BenchCnnConfig } from './cnn-trainable.js';

/** Per-kernel time of one training step of a bench CNN in this process: `tsx bench/profile.ts [arch] [batch]`. */
const arch = (process.argv[2] ?? 'note') as BenchCnnConfig['arch'];
const batch = Number(process.argv[3] ?? 16);
await initBackend({
  backend: (process.env['CHROMFLOW_BACKEND'] as 'wasm' | 'cpu' | undefined) ?? 'wasm',
});
const model = await makeBenchCnn({ arch, cells: 500 }, 1);
const b = benchBatch(batch, 500, 2);
const vars = model.trainableVariables();
const step = (): void => {
  const { value, grads } = tf.variableGrads(() => model.trainingLoss(b), vars);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};
step();
const t0 = performance.now();
for (let i = 0; i < 3; i++) step();
const ms = (performance.now() - t0) / 3;
console.log(
  `${arch} B${batch}: ${ms.toFixed(0)} ms/step, ${((1000 * batch) / ms).toFixed(1)} seq/s (1 thread)`,
);
const info = await tf.profile(step);
const byName = new Map<string, { ms: number; n: number }>();
for (const k of info.kernels) {
  const t = await k.kernelTimeMs;
  const ms1 = typeof t === 'number' ? t : 0;
  const e = byName.get(k.name) ?? { ms: 0, n: 0 };
  e.ms += ms1;
  e.n++;
  byName.set(k.name, e);
}
const total = [...byName.values()].reduce((s, e) => s + e.ms, 0);
for (const [name, e] of [...byName.entries()].sort((x, y) => y[1].ms - x[1].ms).slice(0, 25)) {
  console.log(
    `${name.padEnd(32)} ${e.ms.toFixed(1).padStart(8)} ms  ${((100 * e.ms) / total).toFixed(1).padStart(5)} %  ×${e.n}`,
  );
}
