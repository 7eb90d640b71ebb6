import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/init-backend.js';
import { relaxedSimdActive, simdKernels } from '../src/kernels/simd.js';
import { stock } from '../src/kernels/stock.js';
import { asWasmBackend } from '../src/kernels/wasm-heap.js';
import { normals, relativeError } from './kernels-harness.js';

describe('wasm kernels', () => {
  it('the SIMD module is built from wasm/kernels.wat and instantiates on the wasm heap', async () => {
    const build = fileURLToPath(new URL('../wasm/build.mjs', import.meta.url));
    expect(() =>
      execFileSync(process.execPath, [build, '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
    await initBackend({ backend: 'wasm', quiet: true });
    expect(simdKernels(asWasmBackend(tf.backend()))).toBeDefined();
    // Node ≥ 20 runs the relaxed-SIMD (FMA) variant (flag switched on at run time on Node 20).
    expect(relaxedSimdActive(asWasmBackend(tf.backend()))).toBe(true);
  });

  it('the stock wasm MaxPoolGrad is wrong on all-negative windows and chromflow’s is right (oracle: cpu backend)', async () => {
    const data = normals(2 * 1 * 12 * 3, 4, -3); // mostly negative, as after BatchNorm shifts
    const shape: [number, number, number, number] = [2, 1, 12, 3];
    const attrs: NamedAttrMap = { filterSize: [1, 2], strides: [1, 2], pad: 'valid' };
    const dyData = normals(2 * 6 * 3, 5);
    await tf.setBackend('cpu');
    const expected = tf.tidy(() => {
      const x = tf.tensor4d(data, shape);
      return tf
        .grad((t: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.maxPool(t as tf.Tensor4D, [1, 2], [1, 2], 'valid'),
              tf.tensor4d(dyData, [2, 1, 6, 3]),
            ),
          ),
        )(x)
        .dataSync();
    });
    await initBackend({ backend: 'wasm', quiet: true });
    const backend = asWasmBackend(tf.backend());
    const run = (which: 'stock' | 'ours'): Float32Array =>
      tf.tidy(() => {
        const x = tf.tensor4d(data, shape);
        const y = tf.maxPool(x, [1, 2], [1, 2], 'valid');
        const dy = tf.tensor4d(dyData, [2, 1, 6, 3]);
        const inputs = { dy, input: x, output: y } as Record<string, TensorInfo>;
        const func =
          which === 'stock' ? stock().maxPoolGrad : tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc;
        if (func === undefined) throw new Error('kernel missing');
        const out = func({ inputs, backend, attrs }) as TensorInfo;
        const values = Float32Array.from(backend.readSync(out.dataId) as Float32Array);
        backend.disposeData(out.dataId);
        return values;
      });
    const want = Float32Array.from(expected);
    expect(relativeError(run('ours'), want)).toBeLessThan(1e-6);
    expect(relativeError(run('stock'), want)).toBeGreaterThan(0.1);
  });
});
