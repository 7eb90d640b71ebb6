/**
 * Per-kernel timings on the wasm backend, stock tfjs-backend-wasm 4.22
 * kernels (or reference op composites) against chromflow's, on XChrom-shaped
 * tensors (batch 16, note CNN's first tower block: length 448, 64 → 72
 * channels, kernel 5). `tsx --conditions=@chromflow/source bench/kernels.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { initBackend, ops } from '../src/index.js';
import * as ref from '../src/ops/reference.js';

await initBackend({ backend: 'wasm' });
// Stock kernels, as saved before replacement by registerWasmKernels (same module state).
const { stock } = await import('../src/kernels/stock.js');
const backend = tf.backend();

function time(f: () => void, reps = 5): number {
  f();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

function runInfo(func: KernelFunc, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap): void {
  const out = func({ inputs, backend, attrs });
  const outs = Array.isArray(out) ? out : [out];
  for (const o of outs) backend.disposeData(o.dataId);
}

const rows: { kernel: string; stock_ms: number; chromflow_ms: number; speedup: number }[] = [];
function report(kernel: string, stockMs: number, oursMs: number): void {
  rows.push({ kernel, stock_ms: stockMs, chromflow_ms: oursMs, speedup: stockMs / oursMs });
  console.log(
    `${kernel.padEnd(58)} stock ${stockMs.toFixed(1).padStart(8)} ms  chromflow ${oursMs.toFixed(1).padStart(7)} ms  ×${(stockMs / oursMs).toFixed(1)}`,
  );
}

const [B, L, Cin, Cout, K] = [16, 448, 64, 72, 5];
// Op level, forward + backward: reference composites (stock kernels) vs fused.
const h = tf.randomNormal([B, L, Cout], 0, 1, 'float32', 6);
const gamma = tf.ones<tf.Rank.R1>([Cout]);
const beta = tf.zeros<tf.Rank.R1>([Cout]);
const dyOut = tf.randomNormal([B, L, Cout], 0, 1, 'float32', 9);
const gradTime = (f: (t: tf.Tensor) => tf.Tensor): number =>
  time(() =>
    tf.tidy(() => {
      // (a block body: tidy walks a returned typed array element by element)
      tf.grad((t: tf.Tensor) => f(t))(h, dyOut).dataSync();
    }),
  );
report(
  `GELU forward+backward [${B},${L},${Cout}]`,
  gradTime((t) => ref.geluSigmoidReference(t)),
  gradTime((t) => ops.geluSigmoid(t)),
);
report(
  `BatchNorm train forward+backward [${B},${L},${Cout}]`,
  gradTime((t) => ref.batchNormTrainReference(t, gamma, beta, 1e-3).y),
  gradTime((t) => ops.batchNormTrain(t, gamma, beta, 1e-3).y),
);
report(
  `LayerNorm forward+backward [${B * L},${Cout}]`,
  gradTime((t) => ref.layerNormReference(t, gamma, beta, 1e-3)),
  gradTime((t) => ops.layerNorm(t, gamma, beta, 1e-3)),
);
const x = tf.randomNormal([B, 1, L, Cin], 0, 1, 'float32', 1);
const w = tf.randomNormal([1, K, Cin, Cout], 0, 0.1, 'float32', 2);
const dy = tf.randomNormal([B, 1, L, Cout], 0, 1, 'float32', 3);
const convAttrs = {
  strides: [1, 1],
  pad: 'same',
  dataFormat: 'NHWC',
  dimRoundingMode: undefined,
} as unknown as NamedAttrMap;

// Conv2DBackpropInput
const bpInput = tf.getKernel('Conv2DBackpropInput', 'wasm').kernelFunc;
report(
  `Conv2DBackpropInput [${B},${L},${Cout}]→${Cin} k${K}`,
  time(
    () =>
      runInfo(
        stock().conv2dBackpropInput,
        { dy, filter: w },
        { ...convAttrs, inputShape: x.shape },
      ),
    2,
  ),
  time(() => runInfo(bpInput, { dy, filter: w }, { ...convAttrs, inputShape: x.shape })),
);
// Conv2DBackpropFilter: stock has none; compare with the cpu backend's kernel on the same data.
const bpFilter = tf.getKernel('Conv2DBackpropFilter', 'wasm').kernelFunc;
const oursFilter = time(() => runInfo(bpFilter, { x, dy }, { ...convAttrs, filterShape: w.shape }));
const flops = 2 * B * L * K * Cin * Cout;
console.log(
  `Conv2DBackpropFilter: ${oursFilter.toFixed(1)} ms = ${(flops / oursFilter / 1e6).toFixed(1)} GFLOP/s (stock wasm: not registered)`,
);
// Transposed matmul (dense-layer backward shapes)
const a = tf.randomNormal([1, 1024, 224], 0, 1, 'float32', 4);
const g = tf.randomNormal([1, 1024, 256], 0, 1, 'float32', 5);
const mm = tf.getKernel('BatchMatMul', 'wasm').kernelFunc;
const bt = tf.randomNormal([1, 224, 256], 0, 1, 'float32', 8);
report(
  'BatchMatMul aᵀ·b [1024,224]ᵀ×[1024,256]',
  time(() => runInfo(stock().batchMatMul, { a, b: g }, { transposeA: true, transposeB: false }), 2),
  time(() => runInfo(mm, { a, b: g }, { transposeA: true, transposeB: false })),
);
report(
  'BatchMatMul a·bᵀ [1024,256]×[224,256]ᵀ',
  time(
    () => runInfo(stock().batchMatMul, { a: g, b: bt }, { transposeA: false, transposeB: true }),
    2,
  ),
  time(() => runInfo(mm, { a: g, b: bt }, { transposeA: false, transposeB: true })),
);

// MaxPool(2) gradient (the stock one is also wrong for all-negative windows).
const pooled = tf.maxPool(x as tf.Tensor4D, [1, 2], [1, 2], 'valid');
const dPool = tf.randomNormal(pooled.shape, 0, 1, 'float32', 7);
const poolAttrs = {
  filterSize: [1, 2],
  strides: [1, 2],
  pad: 'valid',
  dimRoundingMode: undefined,
} as unknown as NamedAttrMap;
const mpg = tf.getKernel('MaxPoolGrad', 'wasm').kernelFunc;
report(
  `MaxPoolGrad pool 2 [${B},${L},${Cin}]`,
  time(() => runInfo(stock().maxPoolGrad!, { dy: dPool, input: x, output: pooled }, poolAttrs)),
  time(() => runInfo(mpg, { dy: dPool, input: x, output: pooled }, poolAttrs)),
);
const idt = tf.getKernel('Identity', 'wasm').kernelFunc;
report(
  `Identity (clone of saved activations) [${B},${L},${Cout}]`,
  time(() => runInfo(stock().identity!, { x: h }, {})),
  time(() => runInfo(idt, { x: h }, {})),
);
console.log(JSON.stringify(rows));
