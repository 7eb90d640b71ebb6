/**
 * Where a GET training step spends its time on the wasm backend: every registered wasm
 * kernel is wrapped with a timer, then a few in-process training steps run.
 * `tsx --conditions=@chromflow/source bench/profile-get.ts [get-small|get-medium|…] [steps]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Adam, inProcessGradientStep, initBackend } from '../src/index.js';
import { getBatch, getShapes, makeGetBench, type GetShape } from './get-trainable.js';

const shape = (process.argv[2] ?? 'get-small') as GetShape;
const steps = Number(process.argv[3] ?? 3);
const s = getShapes[shape];
console.log(`${shape}: ${JSON.stringify(s)}`);
const info = await initBackend({ backend: 'wasm' });
console.log(info.kernelPath, info.nativeDetail);
const totals = new Map<string, { ms: number; calls: number }>();
let active = false;
for (const k of tf.getKernelsForBackend('wasm')) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, 'wasm');
  tf.registerKernel({
    ...k,
    kernelFunc: (args) => {
      if (!active) return inner(args);
      const t0 = performance.now();
      const out = inner(args);
      const e = totals.get(k.kernelName) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - t0;
      e.calls += 1;
      totals.set(k.kernelName, e);
      return out;
    },
  });
}
const model = await makeGetBench({ d: s.d, layers: s.layers, heads: s.heads }, 1);
const adam = new Adam(model.trainableVariables(), {
  learningRate: 1e-4,
  decayRate: 1,
  decaySteps: 1,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  clipNorm: 0,
});
const batch = getBatch(s.batch, 7);
const step = async (): Promise<void> => {
  const { grads } = await inProcessGradientStep(model, batch);
  adam.apply(grads);
  tf.dispose(grads);
};
await step();
active = true;
const t0 = performance.now();
for (let i = 0; i < steps; i++) await step();
const wall = (performance.now() - t0) / steps;
active = false;
const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((a, [, e]) => a + e.ms, 0) / steps;
console.log(`step ${wall.toFixed(0)} ms wall, ${kernelMs.toFixed(0)} ms in kernels`);
for (const [name, e] of rows.slice(0, 25)) {
  console.log(
    `${name.padEnd(28)} ${(e.ms / steps).toFixed(1).padStart(8)} ms ${((100 * e.ms) / steps / wall).toFixed(1).padStart(5)} %  ${String(e.calls / steps).padStart(5)} calls`,
  );
}
