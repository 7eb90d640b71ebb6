import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs } from './wasm-heap.js';
import {
  asWasmBackend,
  callKernel,
  input,
  makeFloat,
  sizeOf,
  stockKernel,
  view,
} from './wasm-heap.js';
import { batchMatMulConfig } from './batch-mat-mul.js';
import type { NativeBlas } from './native-blas.js';

/**
 * `BatchMatMul` and `_FusedMatMul` for the wasm backend computed by the
 * native GEMM addon in place on the wasm heap: transposes folded into the
 * GEMM call, batches (with TF.js batch broadcasting) looped in C, no
 * operator build per call. Every linear layer's forward and both of its
 * backward products, and attention's batched products, land here. Other
 * dtypes and fused activations other than linear/ReLU (or a bias that is
 * not one value per output column) go to the kernels registered before.
 */

function flag(attrs: Record<string, unknown> | undefined, name: string): boolean {
  return attrs?.[name] === true;
}

/** Broadcasts two batch shapes as TF.js does (numpy rules); undefined when incompatible. */
function broadcastBatch(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Element offset of each output batch's operand (`batch`: its batch dims), broadcasting size-1 axes. */
function batchOffsets(
  batch: readonly number[],
  outBatch: readonly number[],
  size: number,
): number[] {
  const rank = outBatch.length;
  const strides: number[] = new Array<number>(rank).fill(0);
  let s = size;
  for (let i = rank - 1; i >= 0; i--) {
    const d = batch[batch.length - rank + i] ?? 1;
    strides[i] = d === 1 ? 0 : s;
    s *= d;
  }
  const total = sizeOf(outBatch);
  const out = new Array<number>(total);
  for (let flat = 0; flat < total; flat++) {
    let rem = flat;
    let off = 0;
    for (let i = rank - 1; i >= 0; i--) {
      const d = outBatch[i]!;
      off += (rem % d) * strides[i]!;
      rem = Math.floor(rem / d);
    }
    out[flat] = off;
  }
  return out;
}

interface Plan {
  outShape: number[];
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  /** Element offsets (relative to each operand's start) of every product: a, b, c. */
  triples: number[];
}

function plan(a: TensorInfo, b: TensorInfo, transA: boolean, transB: boolean): Plan | undefined {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const [aRows, aCols] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [bRows, bCols] = [b.shape[rb - 2]!, b.shape[rb - 1]!];
  let M = transA ? aCols : aRows;
  const K = transA ? aRows : aCols;
  const N = transB ? bRows : bCols;
  if ((transB ? bCols : bRows) !== K) return undefined;
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const outBatch = broadcastBatch(aBatch, bBatch);
  if (outBatch === undefined) return undefined;
  const outShape = [...outBatch, M, N];
  // B shared by every batch and A not transposed: A's batches are consecutive rows of one
  // [batch·M, K] matrix, so one GEMM does them all (a linear layer on [B, T, D]).
  if (!transA && sizeOf(bBatch) === 1 && sizeOf(aBatch) === sizeOf(outBatch)) {
    M *= Math.max(1, sizeOf(outBatch));
    return { outShape, M, N, K, transA, transB, triples: [0, 0, 0] };
  }
  const offA = batchOffsets(aBatch, outBatch, M * K);
  const offB = batchOffsets(bBatch, outBatch, K * N);
  const triples: number[] = [];
  for (let i = 0; i < offA.length; i++) triples.push(offA[i]!, offB[i]!, i * M * N);
  return { outShape, M, N, K, transA, transB, triples };
}

/** The heap's ArrayBuffer, fetched on every call (wasm memory growth replaces it). */
function heapOf(backend: BackendWasm, t: TensorInfo): ArrayBuffer {
  return view(backend, t).buffer as ArrayBuffer;
}

function floatOffset(backend: BackendWasm, t: TensorInfo): number {
  return backend.getMemoryOffset(t.dataId) / 4;
}

function run(
  blas: NativeBlas,
  backend: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  p: Plan,
  bias: TensorInfo | undefined,
  relu: boolean,
): TensorInfo {
  const out = makeFloat(backend, p.outShape);
  if (sizeOf(p.outShape) === 0) return out;
  const oa = floatOffset(backend, a);
  const ob = floatOffset(backend, b);
  const oc = floatOffset(backend, out);
  const offsets = new Float64Array(p.triples.length);
  for (let i = 0; i < p.triples.length; i += 3) {
    offsets[i] = oa + p.triples[i]!;
    offsets[i + 1] = ob + p.triples[i + 1]!;
    offsets[i + 2] = oc + p.triples[i + 2]!;
  }
  const biasOffset = bias === undefined ? -1 : floatOffset(backend, bias);
  blas.gemm(heapOf(backend, out), p.transA, p.transB, p.M, p.N, p.K, offsets, biasOffset, relu);
  return out;
}

/** The native kernels over `blas`; `fallbacks` are the kernels registered before them. */
export function nativeMatMulConfigs(blas: NativeBlas): KernelConfig[] {
  const previousBatchMatMul: KernelFunc = batchMatMulConfig.kernelFunc;
  const stockFused = stockKernel('_FusedMatMul')?.kernelFunc;
  const batchMatMul = (args: KernelArgs): TensorInfo => {
    const backend = asWasmBackend(args.backend);
    const a = input(args, 'a');
    const b = input(args, 'b');
    const transA = flag(args.attrs, 'transposeA');
    const transB = flag(args.attrs, 'transposeB');
    const p =
      a.dtype === 'float32' && b.dtype === 'float32' ? plan(a, b, transA, transB) : undefined;
    if (p === undefined) {
      return callKernel(
        previousBatchMatMul,
        backend,
        { a, b },
        { transposeA: transA, transposeB: transB },
      );
    }
    return run(blas, backend, a, b, p, undefined, false);
  };
  const fusedMatMul = (args: KernelArgs): TensorInfo => {
    const backend = asWasmBackend(args.backend);
    const a = input(args, 'a');
    const b = input(args, 'b');
    const bias = args.inputs['bias'];
    const prelu = args.inputs['preluActivationWeights'];
    const activation = args.attrs?.['activation'] ?? 'linear';
    const transA = flag(args.attrs, 'transposeA');
    const transB = flag(args.attrs, 'transposeB');
    const p =
      a.dtype === 'float32' && b.dtype === 'float32' && prelu === undefined
        ? plan(a, b, transA, transB)
        : undefined;
    const biasOk =
      bias === undefined ||
      (bias.dtype === 'float32' &&
        sizeOf(bias.shape) === p?.N &&
        bias.shape[bias.shape.length - 1] === p.N);
    if (p === undefined || !biasOk || (activation !== 'linear' && activation !== 'relu')) {
      if (stockFused === undefined) throw new Error('tfjs-backend-wasm has no _FusedMatMul kernel');
      return callKernel(
        stockFused,
        backend,
        Object.fromEntries(
          Object.entries(args.inputs).filter((e): e is [string, TensorInfo] => e[1] !== undefined),
        ),
        { ...(args.attrs as Record<string, never>) },
      );
    }
    return run(blas, backend, a, b, p, bias, activation === 'relu');
  };
  return [
    { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: batchMatMul },
    { kernelName: '_FusedMatMul', backendName: 'wasm', kernelFunc: fusedMatMul },
  ];
}
