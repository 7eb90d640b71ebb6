import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './wasm-heap.js';
import {
  asWasmBackend,
  callKernel,
  dispose,
  input,
  makeFloat,
  sizeOf,
  transposeInto,
  view,
} from './wasm-heap.js';
import { stock } from './stock.js';

/**
 * `BatchMatMul` for the wasm backend: tfjs-backend-wasm 4.22 sends only
 * non-transposed batch-1 products to XNNPACK; every transposed product (each
 * backward matmul) ran a scalar loop. Here transposed operands are
 * materialised with a blocked transpose and batched products (same batch on
 * both sides) run one XNNPACK GEMM per matrix. Broadcast batches go to the
 * stock kernel.
 */
function batchMatMul(args: KernelArgs): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const a = input(args, 'a');
  const b = input(args, 'b');
  const attrs = args.attrs ?? {};
  const transposeA = attrs['transposeA'] === true;
  const transposeB = attrs['transposeB'] === true;
  const stockMatMul = stock().batchMatMul;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    return callKernel(stockMatMul, backend, { a, b }, { transposeA, transposeB });
  }
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  const [aRows, aCols] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [bRows, bCols] = [b.shape[rb - 2]!, b.shape[rb - 1]!];
  const M = transposeA ? aCols : aRows;
  const K = transposeA ? aRows : aCols;
  const N = transposeB ? bRows : bCols;
  const sameBatch =
    batchA === batchB && a.shape.slice(0, -2).join(',') === b.shape.slice(0, -2).join(',');
  if (!sameBatch || (!transposeA && !transposeB && batchA === 1)) {
    return callKernel(stockMatMul, backend, { a, b }, { transposeA, transposeB });
  }
  const outShape = [...a.shape.slice(0, -2), M, N];
  const out = makeFloat(backend, outShape);
  for (let i = 0; i < batchA; i++) {
    // Fresh operands each time: XNNPACK operators are cached by tensor id.
    const aPart = makeFloat(backend, [1, M, K]);
    const bPart = makeFloat(backend, [1, K, N]);
    const av = view(backend, a);
    const bv = view(backend, b);
    if (transposeA) transposeInto(av, i * M * K, K, M, view(backend, aPart), 0);
    else view(backend, aPart).set(av.subarray(i * M * K, (i + 1) * M * K));
    if (transposeB) transposeInto(bv, i * K * N, N, K, view(backend, bPart), 0);
    else view(backend, bPart).set(bv.subarray(i * K * N, (i + 1) * K * N));
    const prod = callKernel(
      stockMatMul,
      backend,
      { a: aPart, b: bPart },
      { transposeA: false, transposeB: false },
    );
    view(backend, out).set(view(backend, prod), i * M * N);
    dispose(backend, prod, aPart, bPart);
  }
  return out;
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  kernelFunc: batchMatMul,
};
