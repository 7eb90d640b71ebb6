import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Helpers for kernels written in JavaScript over the wasm backend's heap:
 * outputs are allocated with `makeOutput` and filled through `Float32Array`
 * views. A view is invalidated when the heap grows, so take views only after
 * the last allocation of a step (`view()` re-reads the buffer each call).
 */

/** What a kernel function receives (a supertype of TF.js's own argument type). */
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}

/** Reads a required input of a kernel. */
export function input(args: KernelArgs, name: string): TensorInfo {
  const t = args.inputs[name];
  if (t === undefined) throw new Error(`kernel input '${name}' is missing`);
  return t;
}

export function asWasmBackend(backend: unknown): BackendWasm {
  if (!(backend instanceof BackendWasm)) {
    throw new Error('chromflow wasm kernel called on a backend other than wasm');
  }
  return backend;
}

/** A fresh Float32Array view of a tensor's data on the wasm heap. */
export function view(backend: BackendWasm, t: TensorInfo): Float32Array {
  const a = backend.typedArrayFromHeap(t);
  if (!(a instanceof Float32Array))
    throw new Error(`chromflow wasm kernel expects float32, got ${t.dtype}`);
  return a;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Allocates a float32 output on the heap. */
export function makeFloat(backend: BackendWasm, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

export function dispose(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/** The stock kernel of a backend, saved before chromflow replaces it. */
export function stockKernel(kernelName: string, backendName = 'wasm'): KernelConfig | undefined {
  return tf.getKernel(kernelName, backendName);
}

/** Calls a kernel function with typed arguments and expects a single output. */
export function callKernel(
  func: KernelFunc,
  backend: BackendWasm,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
): TensorInfo {
  const out = func({ inputs, backend, attrs });
  if (Array.isArray(out)) {
    const [first] = out;
    if (first === undefined) throw new Error('kernel returned no output');
    return first;
  }
  if (out instanceof Promise) throw new Error('kernel returned a promise');
  return out;
}

/** Replaces (or adds) a kernel registration. */
export function replaceKernel(config: KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) !== undefined) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}

/** Blocked transpose of a row-major [rows, cols] matrix into `out` ([cols, rows]). */
export function transposeInto(
  src: Float32Array,
  srcOffset: number,
  rows: number,
  cols: number,
  out: Float32Array,
  outOffset: number,
): void {
  const block = 32;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = Math.min(rows, r0 + block);
    for (let c0 = 0; c0 < cols; c0 += block) {
      const c1 = Math.min(cols, c0 + block);
      for (let r = r0; r < r1; r++) {
        const s = srcOffset + r * cols;
        for (let c = c0; c < c1; c++) out[outOffset + c * rows + r] = src[s + c]!;
      }
    }
  }
}
