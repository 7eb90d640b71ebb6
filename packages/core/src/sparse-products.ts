import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ChromflowError } from './errors.js';
import { type JacobiWorkspace, luInPlace, type LuWorkspace, svdSmall } from './dense-linalg.js';
import { SPARSE_KERNEL_WASM_BASE64 } from './sparse-kernel-wasm.js';
import type { CsrMatrix } from './sparse-matrix.js';
import { makeJsProducts } from './sparse-products-js.js';

export { csrTimesDense, transposeCsr } from './sparse-products-js.js';

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => {
    readonly buffer: SharedArrayBuffer;
  };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
type SpmmKernel = (...args: number[]) => void;
let compiledKernels: object | undefined;

/**
 * The job block (16 int32 at byte 0 of the memory) shared by the caller and the
 * workers: [0] job sequence number, [1] claim word (sequence·2^16 + next chunk),
 * [2] chunks done, [3…5] CSR pointers, [6] input, [7] output, [8] lp,
 * [9] rowsIn, [10] rows per cache chunk, [11] kernel (0 float64, 1 float32),
 * [12] number of chunks, [13] byte offset of the chunk row bounds, [14] exit,
 * [15] −1 after a failure.
 */
const JOB = { seq: 0, claim: 1, done: 2, exit: 14, failed: 15 } as const;

/**
 * Runs in each worker thread: on every new job it claims chunks of rows with a
 * compare-and-swap on the claim word (only while the word carries the job's
 * sequence number, so a late worker never takes a chunk of a newer job) and
 * counts each finished chunk. The caller claims chunks the same way and waits
 * only for the chunks done, never for a worker that was not scheduled.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory } = workerData;
const c = new Int32Array(memory.buffer, 0, 16);
const e = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = [e.spmm, e.spmm32];
// Job kind 2: the CSC form of X ([3…5] X's CSR, [6…8] the transpose's, [9] rows, [10] cols).
const transpose = () => e.transpose(c[3], c[4], c[5], c[9], c[10], c[6], c[7], c[8]);
let seen = 0;
for (;;) {
  Atomics.wait(c, 0, seen);
  if (Atomics.load(c, 14) !== 0) break;
  const seq = Atomics.load(c, 0);
  seen = seq;
  const tag = (seq & 0x7fff) << 16;
  const kernel = kernels[c[11]];
  const n = c[12];
  const bounds = new Int32Array(memory.buffer, c[13], n + 1);
  for (;;) {
    const cur = Atomics.load(c, 1);
    if ((cur & ~0xffff) !== tag || (cur & 0xffff) >= n) break;
    if (Atomics.compareExchange(c, 1, cur, cur + 1) !== cur) continue;
    const i = cur & 0xffff;
    try {
      if (c[11] === 2) transpose();
      else kernel(c[3], c[4], c[5], c[6], c[7], bounds[i], bounds[i + 1], c[8], c[9], c[10]);
    } catch {
      Atomics.store(c, 15, -1);
    }
    Atomics.add(c, 2, 1);
    Atomics.notify(c, 2);
  }
}
`;

/** Products with a sparse X and its transpose; dense blocks row-major. */
export interface SparseProducts {
  /** 'wasm-simd' (with its thread count) or 'js'. */
  readonly backend: string;
  /**
   * X · m, m cols × l → rows × l; with `centre` (μ, length cols), (X − 1μᵀ) · m
   * = X·m − 1·(μᵀm), the rank-one term summed over μ's non-zeros in column order.
   */
  times(m: Float64Array, l: number, centre?: Float64Array): Float64Array;
  /**
   * Xᵀ · y, y rows × l → cols × l; with `centre` (μ, length cols),
   * (X − 1μᵀ)ᵀ · y = Xᵀy − μ·(1ᵀy), 1ᵀy summed in row order.
   */
  transposeTimes(y: Float64Array, l: number, centre?: Float64Array): Float64Array;
  /**
   * `luNormaliseColumns` of a rows × l block (rows ≤ max(X's rows, cols)),
   * in the wasm memory when there is one: the same numbers either way.
   */
  luNormalise(y: Float64Array, rows: number, l: number): void;
  /**
   * `timesSmall` (a rows × l times b l × k, row stride ldb; rows ≤ max(X's rows, cols),
   * k ≤ l, and ldb ≤ l), in the wasm memory when there is one: the same numbers either way.
   */
  timesSmall(
    a: Float64Array,
    rows: number,
    l: number,
    b: Float64Array,
    ldb: number,
    k: number,
  ): Float64Array;
  /** `gramUpper` of a rows × l block (as `timesSmall`, in the wasm memory when there is one). */
  gramUpper(y: Float64Array, rows: number, l: number): Float64Array;
  /** `svdSmall` (n ≤ l; in the wasm memory when there is one: the same numbers either way). */
  svdSmall(
    bt: Float64Array,
    n: number,
    l: number,
  ): { s: Float64Array; U: Float64Array; Vt: Float64Array };
  /**
   * The power iterations of the randomized SVD: `iterations` times y = (X − 1μᵀ)·z,
   * `luNormalise(y)` when `normalise`, z = (X − 1μᵀ)ᵀ·y, `luNormalise(z)` when `normalise`
   * (μ = `centre`, or none); returns the last z (cols × l). The numbers of that loop over
   * `times`, `luNormalise` and `transposeTimes`; in the wasm memory the blocks stay there.
   * `onProduct` runs after each product (progress, abort).
   */
  powerIterations(
    z: Float64Array,
    l: number,
    iterations: number,
    centre: Float64Array | undefined,
    normalise: boolean,
    onProduct?: () => void,
  ): Float64Array;
  /** Ends the worker threads (if any). */
  close(): void;
}

export interface SparseProductsOptions {
  /** 'auto' (default): wasm SIMD when the runtime has it and X fits in 4 GiB, else JavaScript. */
  backend?: 'auto' | 'wasm' | 'js';
  /**
   * Threads running the products (the calling one included). Default: up to
   * 4 of the machine's cores when nnz·l ≥ 5e7, else 1. Threads need wasm.
   */
  threads?: number;
  /**
   * Arithmetic of the sparse products: 'float64' (default) or 'float32' (the
   * dense block rounded to float32, products summed in float32, as a float32
   * BLAS would: half the memory traffic, twice the SIMD width). The rest of
   * the SVD is float64 either way.
   */
  precision?: 'float64' | 'float32';
}

/**
 * Sets up X·M and Xᵀ·Y products for dense blocks of width up to l: X and its
 * transpose are laid out once in a shared WebAssembly memory, and each product
 * runs the SIMD kernel `SPARSE_KERNEL_WAT` over row ranges of equal non-zero
 * counts on the calling thread and `threads − 1` workers (synchronously:
 * the caller waits on Atomics). The JavaScript fallback (`csrTimesDense`)
 * sums in the same order, so both backends give identical numbers.
 */
export function makeSparseProducts(
  x: CsrMatrix,
  l: number,
  options: SparseProductsOptions = {},
): SparseProducts {
  const f32 = options.precision === 'float32';
  const api = Reflect.get(globalThis, 'WebAssembly') as WasmApi | undefined;
  const nnz = x.indices.length;
  const threads = Math.max(
    1,
    Math.floor(options.threads ?? (nnz * l >= 5e7 ? Math.min(4, availableParallelism()) : 1)),
  );
  const align = (b: number): number => Math.ceil(b / 64) * 64;
  // Panels: 8 float64 or 16 float32 columns, 64 bytes a row.
  const panel = f32 ? 16 : 8;
  const lp = Math.ceil(l / panel) * panel;
  // A dense region holds a product's panels, or the LU's float64 columns.
  // (+ 64: unpack writes one float64 past an odd-width block.)
  const dense = align(Math.max(x.nRows, x.nCols) * Math.max((f32 ? 4 : 8) * lp, 8 * l) + 64);
  const csrBytes = (rows: number): number => align(4 * (rows + 1)) + 2 * align(4 * nnz);
  const total =
    64 +
    align(4 * (16 * threads + 1)) +
    csrBytes(x.nRows) +
    csrBytes(x.nCols) +
    3 * dense +
    2 * align(8 * Math.max(x.nRows, x.nCols)) +
    align(8 * lp) +
    2 * align(8 * l * l);
  const pages = Math.ceil(total / 65536);
  let memory: InstanceType<WasmApi['Memory']> | undefined;
  let module: object | undefined;
  let kernel: SpmmKernel | undefined;
  let luKernel: SpmmKernel = () => undefined;
  let pack: SpmmKernel = () => undefined;
  let unpack: SpmmKernel = () => undefined;
  let gemm: SpmmKernel = () => undefined;
  let gram: SpmmKernel = () => undefined;
  let transposeKernel: SpmmKernel = () => undefined;
  let jacobi: SpmmKernel = () => undefined;
  if (options.backend !== 'js') {
    try {
      if (!api) throw new Error('this runtime has no WebAssembly');
      if (pages > 65535) throw new Error('the matrix is too large for a 32-bit wasm memory');
      memory = new api.Memory({ initial: pages, maximum: pages, shared: true });
      // Compiled once per process, so later calls run the optimised (tiered-up) code.
      compiledKernels ??= new api.Module(Buffer.from(SPARSE_KERNEL_WASM_BASE64, 'base64'));
      module = compiledKernels;
      const exports = new api.Instance(module, { env: { memory } }).exports;
      kernel = exports[f32 ? 'spmm32' : 'spmm'] as SpmmKernel;
      luKernel = exports['lu'] as SpmmKernel;
      pack = exports['pack'] as SpmmKernel;
      unpack = exports['unpack'] as SpmmKernel;
      gemm = exports['gemm'] as SpmmKernel;
      gram = exports['gram'] as SpmmKernel;
      transposeKernel = exports['transpose'] as SpmmKernel;
      jacobi = exports['jacobi'] as SpmmKernel;
    } catch (e) {
      if (options.backend === 'wasm') {
        throw new ChromflowError('BACKEND', 'the wasm SIMD sparse kernel could not be set up', {
          hint: 'use backend "js" (or "auto", which falls back to it)',
          cause: e,
        });
      }
    }
  }
  if (!memory || !module || !kernel) return makeJsProducts(x, f32);
  const spmm = kernel;
  const buf = memory.buffer;
  let offset = 64;
  const take = (bytes: number): number => {
    const at = offset;
    offset = align(at + bytes);
    return at;
  };
  // X as it is, then its transpose built in place (the CSC form of X).
  const xIndptr = new Int32Array(buf, take(4 * (x.nRows + 1)), x.nRows + 1);
  const xIndices = new Int32Array(buf, take(4 * nnz), nnz);
  const xValues = new Float32Array(buf, take(4 * nnz), nnz);
  xIndptr.set(x.indptr);
  xIndices.set(x.indices);
  xValues.set(x.values);
  const tIndptr = new Int32Array(buf, take(4 * (x.nCols + 1)), x.nCols + 1);
  const tIndices = new Int32Array(buf, take(4 * nnz), nnz);
  const tValues = new Float32Array(buf, take(4 * nnz), nnz);
  const px = { indptr: xIndptr, rows: x.nRows, cols: x.nCols, ptrs: [xIndptr, xIndices, xValues] };
  const pxt = { indptr: tIndptr, rows: x.nCols, cols: x.nRows, ptrs: [tIndptr, tIndices, tValues] };
  const input = take(dense);
  const output = take(dense);
  // The row-major dense blocks going in and coming out of products.
  const work = take(dense);
  const lu: LuWorkspace = {
    // The LU's matrix goes where the products' output goes (free between products).
    block: new Float64Array(buf, output, Math.max(x.nRows, x.nCols) * l),
    flags: take(8 * Math.max(x.nRows, x.nCols)),
    lu: luKernel,
  };
  // μ (the centre) and the rank-one term's column sums.
  const centreAt = take(8 * Math.max(x.nRows, x.nCols));
  const sumsAt = take(8 * lp);
  // The small l × l operand of timesSmall, and the Gram matrix.
  const smallAt = take(8 * l * l);
  const gramAt = take(8 * l * l);
  const job = new Int32Array(buf, 0, 16);
  const maxChunks = 16 * threads;
  const boundsAt = take(4 * (maxChunks + 1));
  const workers = Array.from(
    { length: threads - 1 },
    () => new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory } }),
  );
  for (const w of workers) w.unref();
  // The transpose is built by a worker while the caller runs the first product (which
  // needs X only) and its LU; without workers, here and now.
  let transposePending = threads > 1;
  if (transposePending) {
    job.set(
      [...[xIndptr, xIndices, xValues, tIndptr, tIndices, tValues].map((v) => v.byteOffset)],
      3,
    );
    job.set([x.nRows, x.nCols, 2, 1], 9);
    Atomics.store(job, JOB.done, 0);
    const seq = (Atomics.load(job, JOB.seq) + 1) & 0x7fff;
    Atomics.store(job, JOB.claim, seq << 16);
    Atomics.store(job, JOB.seq, seq);
    Atomics.notify(job, JOB.seq);
  } else {
    transposeKernel(
      ...[xIndptr, xIndices, xValues].map((v) => v.byteOffset),
      x.nRows,
      x.nCols,
      ...[tIndptr, tIndices, tValues].map((v) => v.byteOffset),
    );
  }
  const awaitTranspose = (): void => {
    if (!transposePending) return;
    for (let d = Atomics.load(job, JOB.done); d < 1; d = Atomics.load(job, JOB.done)) {
      Atomics.wait(job, JOB.done, d);
    }
    transposePending = false;
  };
  /**
   * X·m or Xᵀ·y in the wasm memory, the row-major block m (or y) in the work region and
   * the product put there too: packed into panels (with the rank-one term's column sums,
   * μ at centreAt when `centred`), multiplied, and unpacked less the rank-one term.
   */
  const product = (a: typeof px, w: number, centred: boolean): void => {
    const lp = Math.ceil(w / panel) * panel;
    const rowsIn = a.cols;
    // With a centre μ: X·m − 1·(μᵀm) takes μ-weighted sums of m's rows (pack mode 1) and
    // subtracts them from every output row (unpack mode 2); Xᵀy − μ·(1ᵀy) the other way.
    const transposed = a === pxt;
    const packMode = centred ? (transposed ? 2 : 1) : 0;
    const unpackMode = centred ? (transposed ? 1 : 2) : 0;
    pack(work, rowsIn, w, input, lp, f32 ? 1 : 0, centreAt, packMode, sumsAt);
    // Work chunks of equal non-zero counts (16 per thread, claimed by whoever is
    // free); inside one, the kernel goes through rows in cache chunks of ≈ 2^18 non-zeros.
    const chunk = Math.max(16, Math.round(262144 / Math.max(1, nnz / Math.max(1, a.rows))));
    // While the worker builds the transpose, X·M runs on the caller alone.
    const alone = transposePending && a === px;
    if (!alone) awaitTranspose();
    const nChunks = threads > 1 && !alone ? maxChunks : 1;
    const bounds = new Int32Array(buf, boundsAt, nChunks + 1);
    bounds[0] = 0;
    for (let t = 1; t < nChunks; t++) {
      const goal = (nnz * t) / nChunks;
      let r = bounds[t - 1]!;
      while (r < a.rows && a.indptr[r]! < goal) r++;
      bounds[t] = r;
    }
    bounds[nChunks] = a.rows;
    const ptrs = a.ptrs.map((v) => v.byteOffset);
    if (alone) {
      spmm(...ptrs, input, output, 0, a.rows, lp, rowsIn, chunk);
      unpack(output, a.rows, lp, f32 ? 1 : 0, work, w, centreAt, unpackMode, sumsAt);
      return;
    }
    job.set([...ptrs, input, output, lp, rowsIn, chunk, f32 ? 1 : 0, nChunks, boundsAt], 3);
    Atomics.store(job, JOB.done, 0);
    const seq = (Atomics.load(job, JOB.seq) + 1) & 0x7fff;
    const tag = seq << 16;
    Atomics.store(job, JOB.claim, tag);
    Atomics.store(job, JOB.seq, seq);
    Atomics.notify(job, JOB.seq);
    for (;;) {
      const cur = Atomics.load(job, JOB.claim);
      const i = cur & 0xffff;
      if (i >= nChunks) break;
      if (Atomics.compareExchange(job, JOB.claim, cur, cur + 1) !== cur) continue;
      spmm(...ptrs, input, output, bounds[i]!, bounds[i + 1]!, lp, rowsIn, chunk);
      Atomics.add(job, JOB.done, 1);
    }
    for (let d = Atomics.load(job, JOB.done); d < nChunks; d = Atomics.load(job, JOB.done)) {
      Atomics.wait(job, JOB.done, d);
    }
    if (Atomics.load(job, JOB.failed) < 0) {
      throw new ChromflowError('BACKEND', 'a worker thread of the sparse kernel failed', {
        hint: 'run with threads: 1',
      });
    }
    unpack(output, a.rows, lp, f32 ? 1 : 0, work, w, centreAt, unpackMode, sumsAt);
  };
  const setCentre = (centre: Float64Array | undefined): boolean => {
    if (centre) new Float64Array(buf, centreAt, centre.length).set(centre);
    return centre !== undefined;
  };
  const run = (
    a: typeof px,
    dense: Float64Array,
    w: number,
    centre: Float64Array | undefined,
  ): Float64Array => {
    new Float64Array(buf, work, a.cols * w).set(dense.subarray(0, a.cols * w));
    product(a, w, setCentre(centre));
    return new Float64Array(buf, work, a.rows * w).slice();
  };
  return {
    backend:
      (threads > 1 ? `wasm-simd, ${threads} threads` : 'wasm-simd') + (f32 ? ', float32' : ''),
    times: (m, w, centre) => run(px, m, w, centre),
    transposeTimes: (y, w, centre) => run(pxt, y, w, centre),
    luNormalise: (y, rows, w) => luInPlace(y, rows, w, lu),
    // The block stays in the work region from product to LU to product.
    powerIterations(z, w, iterations, centre, normalise, onProduct) {
      new Float64Array(buf, work, x.nCols * w).set(z.subarray(0, x.nCols * w));
      const centred = setCentre(centre);
      for (let it = 0; it < iterations; it++) {
        product(px, w, centred);
        onProduct?.();
        if (normalise) luKernel(work, x.nRows, w, lu.flags);
        product(pxt, w, centred);
        onProduct?.();
        if (normalise) luKernel(work, x.nCols, w, lu.flags);
      }
      return new Float64Array(buf, work, x.nCols * w).slice();
    },
    // The block goes in the output region and the product in the input region.
    timesSmall(a, rows, w, b, ldb, k) {
      new Float64Array(buf, output, rows * w).set(a.subarray(0, rows * w));
      new Float64Array(buf, smallAt, w * ldb).set(b.subarray(0, w * ldb));
      gemm(output, rows, w, smallAt, ldb, k, input);
      return new Float64Array(buf, input, rows * k).slice();
    },
    svdSmall(bt, n, w) {
      if (n > l || w > l) return svdSmall(bt, n, w);
      // The Jacobi columns and Wᵀ in the regions of timesSmall's operand and the Gram matrix.
      const ws: JacobiWorkspace = {
        cols: new Float64Array(buf, smallAt, l * l),
        wt: new Float64Array(buf, gramAt, l * l),
        jacobi,
      };
      return svdSmall(bt, n, w, ws);
    },
    gramUpper(y, rows, w) {
      new Float64Array(buf, output, rows * w).set(y.subarray(0, rows * w));
      gram(output, rows, w, gramAt);
      return new Float64Array(buf, gramAt, w * w).slice();
    },
    close() {
      Atomics.store(job, JOB.exit, 1);
      Atomics.add(job, JOB.seq, 1);
      Atomics.notify(job, JOB.seq);
      for (const w of workers) void w.terminate();
    },
  };
}
