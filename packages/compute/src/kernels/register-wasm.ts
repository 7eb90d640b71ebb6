import { adamUpdateConfig } from './adam-update.js';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { conv2dConfig } from './conv-forward.js';
import { conv2dBackpropFilterConfig, conv2dBackpropInputConfig } from './conv-backprop.js';
import { fusedKernelConfigs } from './fused-elementwise.js';
import { identityConfig } from './identity.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { loadNativeBlas } from './native-blas.js';
import { nativeMatMulConfigs } from './native-matmul.js';
import { nativeFusedConfigs } from './native-attention.js';
import { nativeSumConfig } from './native-sum.js';
import { nativeLayerNormConfigs } from './native-layer-norm.js';
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
  if (blas !== undefined) {
    const configs = [...nativeMatMulConfigs(blas), ...nativeFusedConfigs(blas)];
    configs.push(nativeSumConfig(blas), ...nativeLayerNormConfigs(blas));
    for (const config of configs) {
      replaceKernel(config);
    }
  }
  registered = true;
}

/** Whether `registerWasmKernels` has run in this process. */
export function wasmKernelsRegistered(): boolean {
  return registered;
}
