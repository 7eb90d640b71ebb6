import type { KernelFunc } from '@tensorflow/tfjs-core';
import { stockKernel } from './wasm-heap.js';

/** The wasm backend's own kernels that chromflow's replacements call into (XNNPACK GEMM and convolution). */
export interface StockKernels {
  conv2d: KernelFunc;
  batchMatMul: KernelFunc;
  conv2dBackpropInput: KernelFunc;
  /** Kept for benchmarks only (wrong for windows whose inputs are all ≤ 0). */
  maxPoolGrad: KernelFunc | undefined;
  /** Kept for benchmarks only (copies). */
  identity: KernelFunc | undefined;
}

let saved: StockKernels | undefined;

/** Saves the stock kernels once, before any replacement is registered. */
export function saveStockKernels(): StockKernels {
  if (saved !== undefined) return saved;
  const conv2d = stockKernel('Conv2D')?.kernelFunc;
  const batchMatMul = stockKernel('BatchMatMul')?.kernelFunc;
  const conv2dBackpropInput = stockKernel('Conv2DBackpropInput')?.kernelFunc;
  if (conv2d === undefined || batchMatMul === undefined || conv2dBackpropInput === undefined) {
    throw new Error('tfjs-backend-wasm does not register Conv2D/BatchMatMul/Conv2DBackpropInput');
  }
  saved = {
    conv2d,
    batchMatMul,
    conv2dBackpropInput,
    maxPoolGrad: stockKernel('MaxPoolGrad')?.kernelFunc,
    identity: stockKernel('Identity')?.kernelFunc,
  };
  return saved;
}

export function stock(): StockKernels {
  if (saved === undefined)
    throw new Error('chromflow wasm kernels are not registered (call initBackend)');
  return saved;
}
