import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@chromflow/compute';
import { benchBatch, makeBenchCnn, type BenchCnnConfig } from './cnn-trainable.js';

/**
 * Per-kernel cost of one training step (and one inference batch) of a bench
 * CNN in this process: `tsx bench/profile.ts [arch] [batch] [calls]`.
 * Kernels are timed in process CPU time (`process.cpuUsage`), which is far
 * less sensitive than wall time to other processes on a shared machine;
 * with `calls` every kernel call over 0.3 ms is listed with its shapes.
 */
const arch = (process.argv[2] ?? 'note') as BenchCnnConfig['arch'];
const batch = Number(process.argv[3] ?? 16);
const listCalls = process.argv[4] === 'calls';
const backendName = (process.env['CHROMFLOW_BACKEND'] as 'wasm' | 'cpu' | undefined) ?? 'wasm';
await initBackend({ backend: backendName });
const made = makeBenchCnn({ arch, cells: 500 }, 1);
if (made instanceof Promise) throw new Error('bench CNN factory is synchronous');
const model = made as typeof made & { predict(codes: Uint8Array, n: number): tf.Tensor };
const b = benchBatch(batch, 500, 2);
const vars = model.trainableVariables();
const step = (): void => {
  const { value, grads } = tf.variableGrads(() => model.trainingLoss(b), vars);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};
const infer = (): void => {
  const p = model.predict(b['codes'] as Uint8Array, batch);
  p.dataSync();
  p.dispose();
};

const cpuMs = (): number => process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000;
const measure = (f: () => void, reps: number): { wall: number; cpu: number } => {
  f();
  const w0 = performance.now();
  const c0 = cpuMs();
  for (let i = 0; i < reps; i++) f();
  return { wall: (performance.now() - w0) / reps, cpu: (cpuMs() - c0) / reps };
};
const tr = measure(step, 4);
const inf = measure(infer, 4);
console.log(
  `${arch} B${batch} (1 thread): train ${tr.wall.toFixed(0)} ms wall / ${tr.cpu.toFixed(0)} ms CPU per step ` +
    `= ${((1000 * batch) / tr.cpu).toFixed(1)} seq/s by CPU time; infer ${inf.cpu.toFixed(0)} ms CPU ` +
    `= ${((1000 * batch) / inf.cpu).toFixed(1)} seq/s; load ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`,
);

// Wrap every registered kernel of the backend with a CPU-time meter.
const byName = new Map<string, { ms: number; n: number }>();
const calls: string[] = [];
for (const config of tf.getKernelsForBackend(backendName)) {
  const inner = config.kernelFunc;
  tf.unregisterKernel(config.kernelName, backendName);
  tf.registerKernel({
    ...config,
    kernelFunc: (args) => {
      const c0 = cpuMs();
      const out = inner(args);
      const ms = cpuMs() - c0;
      const e = byName.get(config.kernelName) ?? { ms: 0, n: 0 };
      e.ms += ms;
      e.n++;
      byName.set(config.kernelName, e);
      if (listCalls && ms > 0.3) {
        const shapes = Object.values(args.inputs).map((t) => `[${t?.shape.join(',') ?? ''}]`);
        calls.push(
          `${config.kernelName.padEnd(30)} ${ms.toFixed(2).padStart(7)} ms ${shapes.join(' ')}`,
        );
      }
      return out;
    },
  });
}
const report = (label: string, f: () => void, reps: number): void => {
  byName.clear();
  calls.length = 0;
  const c0 = cpuMs();
  for (let i = 0; i < reps; i++) f();
  const total = (cpuMs() - c0) / reps;
  const inKernels = [...byName.values()].reduce((s, e) => s + e.ms, 0) / reps;
  console.log(
    `\n${label}: ${total.toFixed(1)} ms CPU per call, ${inKernels.toFixed(1)} ms in kernels, ${(total - inKernels).toFixed(1)} ms outside`,
  );
  for (const [name, e] of [...byName.entries()].sort((x, y) => y[1].ms - x[1].ms).slice(0, 22)) {
    console.log(
      `${name.padEnd(32)} ${(e.ms / reps).toFixed(2).padStart(8)} ms  ${((100 * e.ms) / reps / total).toFixed(1).padStart(5)} %  ×${e.n / reps}`,
    );
  }
  if (listCalls) for (const c of calls.slice(0, calls.length / reps)) console.log(c);
};
report('training step', step, 3);
report('inference batch', infer, 3);
