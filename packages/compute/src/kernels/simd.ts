import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { setFlagsFromString } from 'node:v8';
import { simdModuleBase64, simdRelaxedModuleBase64 } from './simd-module.generated.js';

/**
 * chromflow's wasm-SIMD kernels (`wasm/kernels.wat`), instantiated on the
 * memory of the tfjs-backend-wasm module so they work on tensors in place.
 * Pointers are byte offsets into that memory. When instantiation fails (no
 * SIMD, a tfjs build without an exported memory) or after
 * `setSimdKernelsEnabled(false)`, callers use their JavaScript loops.
 */
export interface SimdKernels {
  gelu(x: number, y: number, n: number): void;
  geluGrad(x: number, dy: number, dx: number, n: number): void;
  colMoments(x: number, rows: number, c: number, mean: number, acc: number, mode: 0 | 1): void;
  colAffine(x: number, y: number, rows: number, c: number, a: number, b: number): void;
  bnGradSums(
    x: number,
    dy: number,
    rows: number,
    c: number,
    mean: number,
    accDy: number,
    accDyXc: number,
  ): void;
  bnGradApply(
    x: number,
    dy: number,
    dx: number,
    rows: number,
    c: number,
    k0: number,
    k1: number,
    k2: number,
  ): void;
  /** dw[fx, ci, co] += Σ xp[b, o + fx, ci]·dy[b, o, co] over b ∈ [b0, b1), o ∈ [o0, o1) (see kernels.wat). */
  conv1dFilterGrad(
    xp: number,
    dy: number,
    dw: number,
    b0: number,
    b1: number,
    o0: number,
    o1: number,
    wp: number,
    ow: number,
    fw: number,
    cp: number,
    cop: number,
  ): void;
  /** y[b, o, co] = Σ xp[b, o + fx, ci]·w[fx, ci, co], 1-D stride 1 (see kernels.wat). */
  conv1dForward(
    xp: number,
    w: number,
    y: number,
    nb: number,
    wp: number,
    ow: number,
    fw: number,
    c: number,
    cout: number,
  ): void;
  /** y[b, o] = Σ_fx t[fx, codes[b, o + fx]] (dictionary-coded input, see kernels.wat). */
  conv1dTableForward(
    codes: number,
    t: number,
    y: number,
    nb: number,
    wp: number,
    ow: number,
    fw: number,
    k: number,
    cout: number,
  ): void;
  /** t[fx, codes[b, o + fx]] += dy[b, o] (see kernels.wat). */
  conv1dTableFilterGrad(
    codes: number,
    t: number,
    dy: number,
    nb: number,
    wp: number,
    ow: number,
    fw: number,
    k: number,
    cout: number,
  ): void;
  /** Pattern codes of `rows` rows of c floats (see kernels.wat); returns the new k or −1. */
  rowCodes(
    x: number,
    rows: number,
    c: number,
    pat: number,
    k: number,
    max: number,
    codes: number,
  ): number;
  /** One Adam update of n values into xo/mo/vo (see kernels.wat). */
  adamUpdate(
    x: number,
    m: number,
    v: number,
    g: number,
    xo: number,
    mo: number,
    vo: number,
    n: number,
    scale: number,
    b1: number,
    c1: number,
    b2: number,
    c2: number,
    alpha: number,
    eps: number,
  ): void;
  /** Max-pool gradient, 1-D, window = stride = p, no padding (see kernels.wat). */
  maxPoolGrad1d(
    x: number,
    dy: number,
    dx: number,
    nb: number,
    ow: number,
    w: number,
    p: number,
    c: number,
  ): void;
  /** Allocates `floats` zeroed float32 scratch values on the heap; returns the byte offset. */
  alloc(floats: number): number;
  free(ptr: number): void;
  /** A fresh view of `n` floats at `ptr` (views die when the heap grows). */
  floats(ptr: number, n: number): Float32Array;
  /** True when this is the relaxed-SIMD (FMA) variant of the module. */
  relaxed: boolean;
  /** Byte offset of a tensor's data. */
  ptr(t: TensorInfo): number;
}

let enabled = process.env['CHROMFLOW_SIMD_KERNELS'] !== '0';
let cache = new WeakMap<BackendWasm, SimdKernels | null>();

/** Switches the SIMD kernels off (JavaScript loops) or on; for tests and benchmarks. */
export function setSimdKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** The parts of the WebAssembly JS API used here (the TS lib in use has no DOM/WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi: WasmApi = Reflect.get(globalThis, 'WebAssembly') as WasmApi;

interface EmscriptenParts {
  asm?: { memory?: WasmMemory };
  _malloc?: (bytes: number) => number;
  _free?: (ptr: number) => void;
}

type Fn = (...args: number[]) => void;

let relaxedEnabled = process.env['CHROMFLOW_RELAXED_SIMD'] !== '0';

/** Switches the relaxed-SIMD (FMA) variant of the convolution kernels off or on; for tests and benchmarks. */
export function setRelaxedSimdEnabled(on: boolean): void {
  if (on !== relaxedEnabled) cache = new WeakMap();
  relaxedEnabled = on;
}

/** Whether the kernels of this backend run the relaxed-SIMD (FMA) variant. */
export function relaxedSimdActive(backend: BackendWasm): boolean {
  return simdKernels(backend)?.relaxed === true;
}

/**
 * The relaxed-SIMD variant of the module (convolution multiply-adds as
 * `f32x4.relaxed_madd`: one FMA on x64 with FMA, else a multiply and an
 * add), or undefined. Node 20's V8 has relaxed SIMD behind a flag, which is
 * switched on at run time when needed (unflagged from Node 22).
 */
function relaxedModule(): object | undefined {
  if (!relaxedEnabled) return undefined;
  const bytes = Buffer.from(simdRelaxedModuleBase64, 'base64');
  try {
    return new wasmApi.Module(bytes);
  } catch {
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
      return new wasmApi.Module(bytes);
    } catch {
      return undefined;
    }
  }
}

function instantiate(backend: BackendWasm): SimdKernels | null {
  const parts = backend.wasm;
  const memory = (Reflect.get(parts, 'asm') as EmscriptenParts['asm'])?.memory;
  const malloc = Reflect.get(parts, '_malloc') as EmscriptenParts['_malloc'];
  const free = Reflect.get(parts, '_free') as EmscriptenParts['_free'];
  if (memory === undefined || malloc === undefined || free === undefined) return null;
  try {
    const relaxed = relaxedModule();
    const module = relaxed ?? new wasmApi.Module(Buffer.from(simdModuleBase64, 'base64'));
    const instance = new wasmApi.Instance(module, { env: { memory } });
    const fn = (name: string): Fn => {
      const f = instance.exports[name];
      if (typeof f !== 'function') throw new Error(`simd export ${name} missing`);
      return f as Fn;
    };
    const numberFn = (name: string): ((...args: number[]) => number) => {
      const f = instance.exports[name];
      if (typeof f !== 'function') throw new Error(`simd export ${name} missing`);
      return f as (...args: number[]) => number;
    };
    const colMoments = fn('col_moments');
    return {
      relaxed: relaxed !== undefined,
      gelu: fn('gelu'),
      geluGrad: fn('gelu_grad'),
      colMoments: (x, rows, c, mean, acc, mode) => colMoments(x, rows, c, mean, acc, mode),
      colAffine: fn('col_affine'),
      bnGradSums: fn('bn_grad_sums'),
      bnGradApply: fn('bn_grad_apply'),
      conv1dFilterGrad: fn('conv1d_filter_grad'),
      maxPoolGrad1d: fn('max_pool_grad_1d'),
      conv1dForward: fn('conv1d_forward'),
      adamUpdate: fn('adam_update'),
      rowCodes: numberFn('row_codes'),
      conv1dTableForward: fn('conv1d_table_forward'),
      conv1dTableFilterGrad: fn('conv1d_table_filter_grad'),
      alloc(n) {
        const p = malloc(Math.max(4, n * 4));
        new Float32Array(memory.buffer, p, n).fill(0);
        return p;
      },
      free: (p) => free(p),
      floats: (p, n) => new Float32Array(memory.buffer, p, n),
      ptr: (t) => {
        const d = backend.dataIdMap.get(t.dataId);
        if (d === undefined) throw new Error('tensor data not on the wasm heap');
        return d.memoryOffset;
      },
    };
  } catch {
    return null;
  }
}

/** The SIMD kernels for this backend, or undefined when they are off or unavailable. */
export function simdKernels(backend: BackendWasm): SimdKernels | undefined {
  if (!enabled) return undefined;
  let k = cache.get(backend);
  if (k === undefined) {
    k = instantiate(backend);
    cache.set(backend, k);
  }
  return k ?? undefined;
}
