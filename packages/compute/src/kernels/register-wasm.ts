import { adamUpdateConfig } from './adam-update.js';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { conv2dConfig } from './conv-forward.js';
import { conv2dBackpropFilterConfig, conv2dBackpropInputConfig } from './conv-backprop.js';
import { fusedKernelConfigs } from './fused-elementwise.js';
import { identityConfig } from './identity.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { loadNativeBlas } from './native-blas.js';
import { nativeMatMulConfigs } from './native-matmul.js';
import { saveStockKernels } from './stock.js';
import { replaceKernel } from './wasm-heap.js';

let registered = false;

/**
 * Registers chromflow's wasm training kernels (idempotent): fixed
 * `MaxPoolGrad`, `Conv2DBackpropFilter` (missing in tfjs-backend-wasm 4.22),
 * fast `Conv2D` (1-D), `Conv2DBackpropInput` and transposed `BatchMatMul`, the fused
 * `Chromflow*` kernels used by `src/ops` and the fused Adam update. Call after the wasm backend exists.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  saveStockKernels();
  for (const config of [
    identityConfig,
    conv2dConfig,
    maxPoolGradConfig,
    conv2dBackpropFilterConfig,
    conv2dBackpropInputConfig,
    batchMatMulConfig,
    ...fusedKernelConfigs,
    adamUpdateConfig,
  ]) {
    replaceKernel(config);
  }
  // Where the native GEMM addon is built, it takes BatchMatMul and _FusedMatMul (native-matmul.ts).
  const blas = loadNativeBlas();
  if (blas !== undefined) for (const config of nativeMatMulConfigs(blas)) replaceKernel(config);
  registered = true;
}

/** Whether `registerWasmKernels` has run in this process. */
export function wasmKernelsRegistered(): boolean {
  return registered;
}
