import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './wasm-heap.js';
import { asWasmBackend, callKernel, input, makeFloat, stockKernel, view } from './wasm-heap.js';
import type { NativeBlas } from './native-blas.js';

/**
 * `Sum` over leading axes (every bias gradient: TF.js sums dy over all rows) as one native
 * column-sum loop; tfjs-backend-wasm 4.22 transposes the reduced axes to the end first
 * (9.6 % of a get-small training step with native GEMM). Other reductions and dtypes go to
 * the stock kernel.
 */
export function nativeSumConfig(blas: NativeBlas): KernelConfig {
  const stockSum = stockKernel('Sum')?.kernelFunc;
  const sum = (args: KernelArgs): TensorInfo => {
    const backend = asWasmBackend(args.backend);
    const x = input(args, 'x');
    const rawAxis = args.attrs?.['axis'];
    const keepDims = args.attrs?.['keepDims'] === true;
    const rank = x.shape.length;
    const axes = (Array.isArray(rawAxis) ? rawAxis : [rawAxis])
      .map((a) => (typeof a === 'number' ? (a < 0 ? a + rank : a) : Number.NaN))
      .sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) {
      if (stockSum === undefined) throw new Error('tfjs-backend-wasm has no Sum kernel');
      return callKernel(stockSum, backend, { x }, { axis: rawAxis as number[], keepDims });
    }
    const k = axes.length;
    const rows = x.shape.slice(0, k).reduce((a, s) => a * s, 1);
    const cols = x.shape.slice(k).reduce((a, s) => a * s, 1);
    const outShape = keepDims
      ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)]
      : x.shape.slice(k);
    const out = makeFloat(backend, outShape);
    if (cols === 0) return out;
    blas.colSum(
      view(backend, out).buffer as ArrayBuffer,
      backend.getMemoryOffset(x.dataId) / 4,
      backend.getMemoryOffset(out.dataId) / 4,
      rows,
      cols,
    );
    return out;
  };
  return { kernelName: 'Sum', backendName: 'wasm', kernelFunc: sum };
}
