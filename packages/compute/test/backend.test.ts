import { describe, expect, it } from 'vitest';
import { ChromflowError } from '@chromflow/core';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, initBackend, parseBackendChoice } from '../src/backend/init-backend.js';

async function nativeInstalled(): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ ['@tensorflow', 'tfjs-node'].join('/'));
    return true;
  } catch {
    return false;
  }
}

describe('initBackend', () => {
  it('forces cpu and reports it', async () => {
    const info = await initBackend({ backend: 'cpu', quiet: true });
    expect(info).toMatchObject({ name: 'cpu', gpu: false, reason: 'forced', fastKernels: false });
    expect(tf.getBackend()).toBe('cpu');
    expect(describeBackend(info)).toContain('compute backend cpu');
  });

  it('forces wasm with SIMD and registers the replacement kernels', async () => {
    const info = await initBackend({ backend: 'wasm', quiet: true });
    expect(info).toMatchObject({ name: 'wasm', simd: true, threads: 1, fastKernels: true });
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('honours CHROMFLOW_BACKEND', async () => {
    process.env['CHROMFLOW_BACKEND'] = 'cpu';
    try {
      expect((await initBackend({ quiet: true })).name).toBe('cpu');
    } finally {
      delete process.env['CHROMFLOW_BACKEND'];
    }
  });

  it('chooses automatically: native TensorFlow when installed, else wasm', async () => {
    const info = await initBackend({ quiet: true });
    expect(info.reason).toBe('auto');
    expect(info.name).toBe((await nativeInstalled()) ? 'tensorflow' : 'wasm');
  });

  it.skipIf(process.env['CHROMFLOW_TEST_NATIVE'] === '1')(
    'forcing an unavailable native backend is a BACKEND error with the install hint',
    async () => {
      if (await nativeInstalled()) return;
      const err = await initBackend({ backend: 'tensorflow', quiet: true }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ChromflowError);
      expect((err as ChromflowError).code).toBe('BACKEND');
      expect((err as ChromflowError).hint).toContain(
        'npm install-scripts approve @tensorflow/tfjs-node',
      );
    },
  );

  it('rejects an unknown name', () => {
    expect(() => parseBackendChoice('tpu')).toThrow(ChromflowError);
    expect(parseBackendChoice(' WASM ')).toBe('wasm');
  });
});
