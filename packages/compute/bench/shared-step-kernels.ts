/**
 * CPU time per element of the workers' slot sum and AdamW step (src/parallel/shared-memory.ts),
 * wasm-SIMD on a shared WebAssembly.Memory against the same arithmetic in JavaScript: 2 slots
 * of `n` floats, 5 repetitions, the last 3 printed (`process.cpuUsage`, so a loaded machine
 * changes little). `tsx --conditions=@chromflow/source bench/shared-step-kernels.ts [n]`.
 */
import {
  allocateSharedTraining,
  SharedStepper,
  sharedViews,
} from '../src/parallel/shared-memory.js';
import type { HostUpdateRule } from '../src/train/host-update.js';

const n = Number(process.argv[2] ?? 4_000_000);
const rule: HostUpdateRule = {
  kind: 'adamw',
  stepSize: 1e-4,
  bc2Sqrt: 0.03,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  decay: 0.99999,
};
const cpuNs = (u: NodeJS.CpuUsage): number => ((u.user + u.system) * 1000) / n;
for (const wasm of [true, false]) {
  if (!wasm) process.env['CHROMFLOW_SHARED_WASM'] = '0';
  const mem = allocateSharedTraining(n, 2);
  const v = sharedViews(mem);
  for (const a of [v.weights, v.m, v.v, ...v.slots])
    for (let i = 0; i < n; i++) a[i] = Math.random() * 1e-2;
  const stepper = new SharedStepper(mem);
  for (let k = 0; k < 5; k++) {
    const c0 = process.cpuUsage();
    stepper.reduce(2, 0, n);
    const reduced = process.cpuUsage(c0);
    stepper.step(rule, 0, n);
    const stepped = cpuNs(process.cpuUsage(c0)) - cpuNs(reduced);
    if (k >= 2)
      console.log(
        `${stepper.simd ? 'wasm-simd ' : 'javascript'} slot sum ${cpuNs(reduced).toFixed(2)} ns/element, ` +
          `AdamW step ${stepped.toFixed(2)} ns/element (CPU time)`,
      );
  }
}
