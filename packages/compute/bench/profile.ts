/**
 * Where one benchmark row's training step spends its time on the wasm backend: every
 * registered wasm kernel is wrapped with a timer, then a few in-process training steps
 * (1 thread; the row's optimizer, or `sparseTrainStep` for models with sparse tables) run.
 * Times are CPU time of this process (`process.cpuUsage`), so a loaded machine's waits do not
 * count; what is not in a kernel is TF.js's tape, JavaScript and garbage collection.
 * `tsx --conditions=@chromflow/source bench/profile.ts <shape> [steps] [--shapes] [--infer]`
 * (shapes as `npm run bench`: get-small, xchrom-small, claster, atacformer-small, …;
 * `--shapes` splits convolutions, slices, pads and transposes by their input shapes;
 * `--infer` profiles the inference pass, `predictBatch`, instead of a training step).
 */
import * as tf from '@tensorflow/tfjs-core';
import { inProcessGradientStep, initBackend } from '../src/index.js';
import { makeOptimizer, sparseOptions } from '../src/train/fit.js';
import { sparseTrainStep } from '../src/train/sparse-step.js';
import type { TrainableFactory } from '../src/train/trainable.js';
import { subjectOf } from './subjects.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const shape = args[0] ?? 'get-small';
const steps = Number(args[1] ?? 3);
const byShape = process.argv.includes('--shapes');
const infer = process.argv.includes('--infer');
const splitKernels = /^(Conv|Slice|PadV2|Transpose)/;

const cpuMs = (since?: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

const info = await initBackend({ backend: 'wasm' });
console.log(`${shape}: ${info.kernelPath}, ${info.nativeDetail}`);
const totals = new Map<string, { ms: number; calls: number }>();
let active = false;
for (const k of tf.getKernelsForBackend('wasm')) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, 'wasm');
  tf.registerKernel({
    ...k,
    kernelFunc: (a) => {
      if (!active) return inner(a);
      const c0 = process.cpuUsage();
      const out = inner(a);
      const ms = cpuMs(c0);
      const key =
        byShape && splitKernels.test(k.kernelName)
          ? `${k.kernelName} ${Object.values(a.inputs)
              .filter((t) => t !== undefined)
              .map((t) => JSON.stringify(t.shape))
              .join(' ')}`
          : k.kernelName;
      const e = totals.get(key) ?? { ms: 0, calls: 0 };
      e.ms += ms;
      e.calls += 1;
      totals.set(key, e);
      return out;
    },
  });
}

const subject = await subjectOf(shape, { steps, warmup: 1 });
const mod = (await import(subject.module)) as Record<string, TrainableFactory>;
const model = await mod[subject.factory]!(subject.config, 1);
const optimizer = makeOptimizer(subject.optimizer, model.trainableVariables());
const step = async (): Promise<void> => {
  if (infer) {
    const p = model.predictBatch!(subject.batch);
    await p.data();
    p.dispose();
    return;
  }
  if (subject.sparse) {
    await sparseTrainStep(
      model,
      subject.batch,
      optimizer,
      sparseOptions(subject.optimizer),
      undefined,
      (g) => g,
    );
    return;
  }
  const { grads } = await inProcessGradientStep(model, subject.batch);
  optimizer.apply(grads);
  tf.dispose(grads);
};
await step();
active = true;
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < steps; i++) await step();
const wall = (performance.now() - t0) / steps;
const cpu = cpuMs(c0) / steps;
active = false;
const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((a, [, e]) => a + e.ms, 0) / steps;
console.log(
  `${infer ? 'inference' : 'training step'} (batch ${subject.n}): ${cpu.toFixed(0)} ms CPU (${wall.toFixed(0)} ms wall), ` +
    `${kernelMs.toFixed(0)} ms CPU in kernels (${((100 * kernelMs) / cpu).toFixed(0)} %)`,
);
for (const [name, e] of rows.slice(0, 30)) {
  console.log(
    `${name.padEnd(byShape ? 56 : 28)} ${(e.ms / steps).toFixed(1).padStart(8)} ms ${((100 * e.ms) / steps / cpu).toFixed(1).padStart(5)} %  ${String(e.calls / steps).padStart(5)} calls`,
  );
}
