import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './wasm-heap.js';
import { asWasmBackend, input } from './wasm-heap.js';

/**
 * Zero-copy `Identity` (as the `cpu` backend does it): the stock wasm kernel
 * copies, and TF.js core clones through Identity every tensor it saves for
 * the backward pass, so training copied each activation once more. Tensor
 * data is immutable in TF.js (variables swap data ids), so sharing is safe.
 */
function identity(args: KernelArgs): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const x = input(args, 'x');
  if (x.dtype === 'string')
    throw new Error('chromflow Identity: string tensors are not supported on wasm');
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: identity,
};
