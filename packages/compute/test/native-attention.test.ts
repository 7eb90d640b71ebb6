import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/init-backend.js';
import { loadNativeBlas, nativeBlasStatus } from '../src/kernels/native-blas.js';
import {
  attentionFromQkv,
  attentionFromQkvReference,
  geluErfNative,
} from '../src/kernels/native-attention.js';
import { layerNormReference } from '../src/ops/reference.js';
import { ops } from '../src/index.js';
import { evaluate, normals, relativeError } from './kernels-harness.js';

/**
 * The native fused attention (Q/K/V read from the projection layout) and erf-GELU kernels
 * against TF.js composites on the pure-JS `cpu` backend: values and gradients, odd sizes,
 * padding masks (including an example whose keys are all padding). Skipped where the addon
 * is not built.
 */

const blas = loadNativeBlas();
if (blas === undefined) console.warn(`skipping: native BLAS ${nativeBlasStatus().detail}`);

describe.skipIf(blas === undefined)('native fused kernels (oracle: cpu backend)', () => {
  it.each([
    { b: 2, t: 7, heads: 2, dh: 4, mask: false },
    { b: 3, t: 13, heads: 3, dh: 5, mask: false },
    { b: 1, t: 1, heads: 1, dh: 3, mask: false },
    { b: 3, t: 9, heads: 2, dh: 8, mask: true },
  ])(
    'attention B$b T$t H$heads dh$dh mask $mask: values and qkv gradient',
    async ({ b, t, heads, dh, mask }) => {
      const d = heads * dh;
      // Example 0: last 3 keys are padding; example 1: every key is padding; others none.
      const maskData = new Float32Array(b * t);
      if (mask) {
        for (let j = t - 3; j < t; j++) maskData[j] = 1;
        maskData.fill(1, t, 2 * t);
      }
      const inputs = [{ data: normals(b * t * 3 * d, 41), shape: [b, t, 3 * d] }];
      const maskTensor = (): tf.Tensor2D | undefined =>
        mask ? tf.tensor2d(maskData, [b, t]) : undefined;
      const want = await evaluate('cpu', inputs, (qkv) => [
        attentionFromQkvReference(qkv as tf.Tensor3D, heads, maskTensor()),
      ]);
      const info = await initBackend({ backend: 'wasm', quiet: true });
      expect(info.kernelPath).toBe('wasm+native-blas');
      const got = await evaluate('wasm', inputs, (qkv) => [
        attentionFromQkv(qkv as tf.Tensor3D, heads, maskTensor()),
      ]);
      expect(relativeError(got.values[0]!, want.values[0]!)).toBeLessThan(1e-5);
      expect(relativeError(got.grads[0]!, want.grads[0]!)).toBeLessThan(1e-5);
      if (mask) {
        // The all-padding example attends to nothing: zero context, zero gradient.
        const ctx = got.values[0]!.subarray(t * d, 2 * t * d);
        expect(ctx.every((x) => x === 0)).toBe(true);
      }
    },
  );

  it.each([[1], [7], [3, 1023]])('erf-GELU on %j: values and gradients', async (...shape) => {
    const n = shape.reduce((a, s) => a * s, 1);
    const inputs = [{ data: normals(n, 51).map((x) => 3 * x), shape }];
    const want = await evaluate('cpu', inputs, (x) => [
      tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))),
    ]);
    await initBackend({ backend: 'wasm', quiet: true });
    const got = await evaluate('wasm', inputs, (x) => [geluErfNative(x)]);
    // tfjs's cpu Erf is a 1.5e-7-accurate rational approximation; glibc's erff is exact to 1 ulp.
    expect(relativeError(got.values[0]!, want.values[0]!)).toBeLessThan(2e-6);
    expect(relativeError(got.grads[0]!, want.grads[0]!)).toBeLessThan(2e-6);
  });

  it.each([
    { shape: [9, 7], axis: [0], keepDims: false },
    { shape: [2, 5, 3], axis: [0, 1], keepDims: true },
    { shape: [2, 5, 3], axis: [1, 0], keepDims: false },
    { shape: [4, 6], axis: [1], keepDims: false }, // not leading: the stock kernel
  ])('Sum of $shape over $axis (keepDims $keepDims): values and gradients', async (c) => {
    const n = c.shape.reduce((a, s) => a * s, 1);
    const inputs = [{ data: normals(n, 61), shape: c.shape }];
    const f = (x: tf.Tensor): tf.Tensor[] => [tf.sum(x, c.axis, c.keepDims)];
    const want = await evaluate('cpu', inputs, f);
    await initBackend({ backend: 'wasm', quiet: true });
    const got = await evaluate('wasm', inputs, f);
    expect(got.values[0]!.length).toBe(want.values[0]!.length);
    expect(relativeError(got.values[0]!, want.values[0]!)).toBeLessThan(1e-6);
    expect(relativeError(got.grads[0]!, want.grads[0]!)).toBeLessThan(1e-6);
  });

  it.each([
    [3, 5],
    [2, 7, 33],
  ])('layerNorm on [%i, %i, …]: values and gradients of x, gamma, beta', async (...shape) => {
    const d = shape[shape.length - 1]!;
    const n = shape.reduce((a, s) => a * s, 1);
    const inputs = [
      { data: normals(n, 71, 2), shape },
      { data: normals(d, 72, 1), shape: [d] },
      { data: normals(d, 73), shape: [d] },
    ];
    const want = await evaluate('cpu', inputs, (x, g, b) => [
      layerNormReference(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5),
    ]);
    await initBackend({ backend: 'wasm', quiet: true });
    const got = await evaluate('wasm', inputs, (x, g, b) => [
      ops.layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5),
    ]);
    expect(relativeError(got.values[0]!, want.values[0]!)).toBeLessThan(1e-5);
    got.grads.forEach((g, i) => expect(relativeError(g, want.grads[i]!)).toBeLessThan(1e-5));
  });
});
