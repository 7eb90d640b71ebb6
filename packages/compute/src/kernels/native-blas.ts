import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The optional native GEMM addon (`native/blas-gemm.c`, built by
 * `native/build.mjs` against oneDNN or OpenBLAS where a C compiler exists).
 * Loaded once per thread; absent, unloadable or switched off
 * (`CHROMFLOW_NATIVE=0`), chromflow keeps to its wasm kernels and
 * `nativeBlasStatus()` says why.
 */

/** (heap, xp, second operand, third operand, B, wp, C, fw, N): offsets are float elements. */
export type NativeConv1dCall = (
  heap: ArrayBuffer,
  xp: number,
  second: number,
  third: number,
  B: number,
  wp: number,
  C: number,
  fw: number,
  N: number,
) => void;

export interface NativeBlas {
  /**
   * C = op(A)·op(B) (+ bias per column) (ReLU) for each (a, b, c) element-offset triple in
   * `offsets`, all float32 row-major inside `heap`; A is [M,K] ([K,M] when transA), B [K,N]
   * ([N,K] when transB), C [M,N]. `bias` is the element offset of a [N] vector or -1.
   */
  gemm(
    heap: ArrayBuffer,
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    offsets: Float64Array,
    bias: number,
    relu: boolean,
  ): void;
  /**
   * Multi-head attention from the fused projection: qkv [B, T, 3, H, dh] → out [B, T, H, dh],
   * probs [B, H, T, T] kept for the gradient; mask: [B, T] (nonzero = padding key) or -1.
   */
  attention(
    heap: ArrayBuffer,
    qkv: number,
    out: number,
    probs: number,
    mask: number,
    B: number,
    T: number,
    H: number,
    dh: number,
    scale: number,
  ): void;
  /** dqkv [B, T, 3, H, dh] from qkv, probs and dout [B, T, H, dh]. */
  attentionGrad(
    heap: ArrayBuffer,
    qkv: number,
    probs: number,
    dout: number,
    dqkv: number,
    B: number,
    T: number,
    H: number,
    dh: number,
    scale: number,
  ): void;
  /** y = x·Φ(x) over n floats. */
  geluErf(heap: ArrayBuffer, x: number, y: number, n: number): void;
  /** dx = dy·(Φ(x) + x·φ(x)) over n floats. */
  geluErfGrad(heap: ArrayBuffer, x: number, dy: number, dx: number, n: number): void;
  /**
   * Stride-1 1-D convolution of the zero-padded xp [B, wp, C] with w [fw·C, N] into
   * y [B, wp − fw + 1, N], im2col in cache-sized blocks (native/conv1d.c).
   */
  conv1d: NativeConv1dCall;
  /** Its filter gradient: (heap, xp, dy [B, wp − fw + 1, N], dw [fw·C, N], B, wp, C, fw, N). */
  conv1dFilterGrad: NativeConv1dCall;
  /** out[c] = Σ_r x[r, c] for x [rows, cols]. */
  colSum(heap: ArrayBuffer, x: number, out: number, rows: number, cols: number): void;
  /** ChromflowLayerNorm over rows × d (offsets: x, gamma, beta, y, mean, rstd). */
  layerNorm(
    heap: ArrayBuffer,
    x: number,
    gamma: number,
    beta: number,
    y: number,
    mean: number,
    rstd: number,
    rows: number,
    d: number,
    eps: number,
  ): void;
  /** Its gradient (offsets: x, dy, gamma, mean, rstd, dx, dgamma, dbeta). */
  layerNormGrad(
    heap: ArrayBuffer,
    x: number,
    dy: number,
    gamma: number,
    mean: number,
    rstd: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    d: number,
  ): void;
  /** BLAS threads (oneDNN: for the calling thread only). */
  setThreads(n: number): void;
  info(): { blas: string; config: string; threads: number };
}

export interface NativeBlasStatus {
  /** Whether the native matmul kernels are in use in this thread. */
  active: boolean;
  /** The GEMM library (`oneDNN`, `OpenBLAS`) when active. */
  blas?: string;
  /** BLAS threads per calling thread when active. */
  threads?: number;
  /** Why it is not active (or the library's own description when it is). */
  detail: string;
}

const addonUrl = new URL('../../native/build/chromflow-blas.node', import.meta.url);

let loaded: NativeBlas | undefined;
let status: NativeBlasStatus | undefined;

function isNativeBlas(x: unknown): x is NativeBlas {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return (
    typeof o['gemm'] === 'function' &&
    typeof o['attention'] === 'function' &&
    typeof o['geluErf'] === 'function' &&
    typeof o['colSum'] === 'function' &&
    typeof o['layerNorm'] === 'function' &&
    typeof o['conv1d'] === 'function' &&
    typeof o['setThreads'] === 'function' &&
    typeof o['info'] === 'function'
  );
}

/**
 * BLAS threads per calling thread: `CHROMFLOW_NATIVE_THREADS`, default 1 (chromflow's
 * parallelism is one data-parallel worker per core; more BLAS threads would oversubscribe).
 */
export function nativeBlasThreads(): number {
  const n = Number(process.env['CHROMFLOW_NATIVE_THREADS'] ?? 1);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** Loads the addon (once per thread), or returns undefined saying why in `nativeBlasStatus()`. */
export function loadNativeBlas(): NativeBlas | undefined {
  if (status !== undefined) return loaded;
  if (process.env['CHROMFLOW_NATIVE'] === '0') {
    status = { active: false, detail: 'switched off by CHROMFLOW_NATIVE=0' };
    return undefined;
  }
  const path = fileURLToPath(addonUrl);
  if (!existsSync(path)) {
    status = {
      active: false,
      detail: `not built (no ${path}; run npm run build -w @chromflow/compute where a C compiler and oneDNN or OpenBLAS exist)`,
    };
    return undefined;
  }
  try {
    const mod: unknown = createRequire(import.meta.url)(path);
    if (!isNativeBlas(mod))
      throw new Error(
        'the addon lacks one of its functions (rebuild it: npm run build -w @chromflow/compute)',
      );
    const threads = nativeBlasThreads();
    mod.setThreads(threads);
    const info = mod.info();
    loaded = mod;
    status = { active: true, blas: info.blas, threads, detail: info.config };
  } catch (e) {
    status = {
      active: false,
      detail: `failed to load ${path}: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  return loaded;
}

/** What `loadNativeBlas` found in this thread (loads it first). */
export function nativeBlasStatus(): NativeBlasStatus {
  loadNativeBlas();
  return status ?? { active: false, detail: 'not loaded' };
}
