import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/init-backend.js';
import { loadNativeBlas, nativeBlasStatus } from '../src/kernels/native-blas.js';
import { evaluate, normals, relativeError, type Evaluated } from './kernels-harness.js';

/**
 * The native GEMM kernels (oneDNN/OpenBLAS on the wasm heap) against the pure-JS `cpu`
 * backend: values and the gradients TF.js derives through them (the backward products are
 * transposed matmuls, so every transpose combination is exercised), odd sizes, batch
 * broadcasting, fused bias + ReLU. Skipped where the addon is not built.
 */

const blas = loadNativeBlas();
if (blas === undefined) console.warn(`skipping: native BLAS ${nativeBlasStatus().detail}`);

/** The wasm backend as chromflow sets it up: the native kernels must have been chosen. */
async function nativeWasm(): Promise<void> {
  const info = await initBackend({ backend: 'wasm', quiet: true });
  expect(info.kernelPath).toBe('wasm+native-blas');
}

interface Case {
  a: number[];
  b: number[];
  transA: boolean;
  transB: boolean;
  /**
   * False for broadcast batches: tfjs-core 4.22's BatchMatMul gradient does not sum over
   * broadcast batch axes (it fails on the cpu backend too), so only values are compared.
   */
  grads?: false;
}

const cases: Case[] = [
  { a: [7, 5], b: [5, 3], transA: false, transB: false },
  { a: [5, 7], b: [5, 3], transA: true, transB: false },
  { a: [7, 5], b: [3, 5], transA: false, transB: true },
  { a: [5, 7], b: [3, 5], transA: true, transB: true },
  { a: [1, 1], b: [1, 1], transA: false, transB: false },
  { a: [3, 33, 17], b: [3, 17, 29], transA: false, transB: false },
  { a: [3, 17, 33], b: [3, 29, 17], transA: true, transB: true },
  // Linear layer on [B, T, D] (one GEMM over B·T rows) and its broadcast batches.
  { a: [2, 9, 11], b: [11, 13], transA: false, transB: false, grads: false },
  { a: [2, 11, 9], b: [13, 11], transA: true, transB: true, grads: false },
  { a: [1, 4, 6], b: [3, 6, 5], transA: false, transB: false, grads: false },
  { a: [4, 6], b: [2, 3, 6, 5], transA: false, transB: false, grads: false },
  // Attention-shaped: [B·H, T, dh] · [B·H, T, dh]ᵀ with an odd T.
  { a: [4, 2, 21, 8], b: [4, 2, 21, 8], transA: false, transB: true },
];

async function valuesOn(
  backend: 'cpu' | 'wasm',
  inputs: { data: Float32Array; shape: number[] }[],
  f: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<Evaluated> {
  await tf.setBackend(backend);
  const values = tf.tidy(() =>
    f(...inputs.map((i) => tf.tensor(i.data, i.shape, 'float32'))).map((t) =>
      Float32Array.from(t.dataSync()),
    ),
  );
  return { values, grads: [] };
}

describe.skipIf(blas === undefined)('native matmul kernels (oracle: cpu backend)', () => {
  it.each(cases)(
    'matMul $a × $b (transposeA $transA, transposeB $transB): values and gradients',
    async ({ a, b, transA, transB, grads }) => {
      const inputs = [
        {
          data: normals(
            a.reduce((x, y) => x * y, 1),
            11,
          ),
          shape: a,
        },
        {
          data: normals(
            b.reduce((x, y) => x * y, 1),
            12,
          ),
          shape: b,
        },
      ];
      const f = (x: tf.Tensor, y: tf.Tensor): tf.Tensor[] => [tf.matMul(x, y, transA, transB)];
      const run = grads === false ? valuesOn : evaluate;
      const want = await run('cpu', inputs, f);
      await nativeWasm();
      const got = await run('wasm', inputs, f);
      expect(got.values[0]!.length).toBe(want.values[0]!.length);
      expect(relativeError(got.values[0]!, want.values[0]!)).toBeLessThan(2e-6);
      got.grads.forEach((g, i) => expect(relativeError(g, want.grads[i]!)).toBeLessThan(2e-6));
    },
  );

  it.each([
    { activation: 'linear' as const, bias: true },
    { activation: 'relu' as const, bias: true },
    { activation: 'relu' as const, bias: false },
    { activation: 'elu' as const, bias: true }, // not native: falls back to the stock kernel
  ])('fused matMul, $activation activation, bias $bias: values and gradients', async (c) => {
    const inputs = [
      { data: normals(15 * 9, 21), shape: [15, 9] },
      { data: normals(9 * 5, 22), shape: [9, 5] },
      { data: normals(5, 23), shape: [5] },
    ].slice(0, c.bias ? 3 : 2);
    const f = (x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor): tf.Tensor[] => [
      tf.fused.matMul({
        a: x,
        b: w,
        bias,
        activation: c.activation,
      }),
    ];
    const want = await evaluate('cpu', inputs, f);
    await nativeWasm();
    const got = await evaluate('wasm', inputs, f);
    expect(relativeError(got.values[0]!, want.values[0]!)).toBeLessThan(2e-6);
    got.grads.forEach((g, i) => expect(relativeError(g, want.grads[i]!)).toBeLessThan(2e-6));
  });

  it('reads the heap afresh after wasm memory grows', async () => {
    await nativeWasm();
    const a = tf.tensor2d(normals(6 * 4, 31), [6, 4]);
    const b = tf.tensor2d(normals(4 * 3, 32), [4, 3]);
    const before = tf.matMul(a, b).dataSync();
    // 256 MiB more than the heap holds now forces memory.grow (and a new ArrayBuffer).
    const big = tf.zeros([64, 1024, 1024]);
    const after = tf.matMul(a, b).dataSync();
    big.dispose();
    expect(Array.from(after)).toEqual(Array.from(before));
    tf.dispose([a, b]);
  });
});
