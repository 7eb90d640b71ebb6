import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs } from './wasm-heap.js';
import { asWasmBackend, input, makeFloat, sizeOf, view } from './wasm-heap.js';
import { kernelNames } from './fused-elementwise.js';
import type { NativeBlas } from './native-blas.js';

/**
 * `ChromflowLayerNorm` and its gradient (the contract of `fused-elementwise.ts`, which
 * `ops.layerNorm` runs on wasm) as native loops: the JavaScript pair took 17 % of a
 * get-small training step once GEMM and attention were native.
 */
export function nativeLayerNormConfigs(blas: NativeBlas): KernelConfig[] {
  const off = (backend: BackendWasm, t: TensorInfo): number =>
    backend.getMemoryOffset(t.dataId) / 4;
  const forward = (args: KernelArgs): TensorInfo[] => {
    const backend = asWasmBackend(args.backend);
    const x = input(args, 'x');
    const gamma = input(args, 'gamma');
    const beta = input(args, 'beta');
    const eps = args.attrs?.['epsilon'];
    if (typeof eps !== 'number') throw new Error('ChromflowLayerNorm: epsilon missing');
    const d = x.shape[x.shape.length - 1]!;
    const rows = d === 0 ? 0 : sizeOf(x.shape) / d;
    const y = makeFloat(backend, [...x.shape]);
    const mean = makeFloat(backend, [rows]);
    const rstd = makeFloat(backend, [rows]);
    if (rows > 0) {
      blas.layerNorm(
        view(backend, y).buffer as ArrayBuffer,
        off(backend, x),
        off(backend, gamma),
        off(backend, beta),
        off(backend, y),
        off(backend, mean),
        off(backend, rstd),
        rows,
        d,
        eps,
      );
    }
    return [y, mean, rstd];
  };
  const backward = (args: KernelArgs): TensorInfo[] => {
    const backend = asWasmBackend(args.backend);
    const x = input(args, 'x');
    const dy = input(args, 'dy');
    const gamma = input(args, 'gamma');
    const mean = input(args, 'mean');
    const rstd = input(args, 'rstd');
    const d = x.shape[x.shape.length - 1]!;
    const rows = d === 0 ? 0 : sizeOf(x.shape) / d;
    const dx = makeFloat(backend, [...x.shape]);
    const dGamma = makeFloat(backend, [d]);
    const dBeta = makeFloat(backend, [d]);
    if (rows > 0) {
      blas.layerNormGrad(
        view(backend, dx).buffer as ArrayBuffer,
        off(backend, x),
        off(backend, dy),
        off(backend, gamma),
        off(backend, mean),
        off(backend, rstd),
        off(backend, dx),
        off(backend, dGamma),
        off(backend, dBeta),
        rows,
        d,
      );
    }
    return [dx, dGamma, dBeta];
  };
  return [
    { kernelName: kernelNames.layerNorm, backendName: 'wasm', kernelFunc: forward },
    { kernelName: kernelNames.layerNormGrad, backendName: 'wasm', kernelFunc: backward },
  ];
}
