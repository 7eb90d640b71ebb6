import { ChromflowError, throwIfAborted } from './errors.js';
import type { LongRunOptions } from './progress.js';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CsrMatrix } from './sparse-matrix.js';

/**
 * Randomized truncated SVD of a sparse matrix, optionally centred and scaled
 * column-wise without ever forming the dense matrix — the one implementation
 * behind PCA (`@chromflow/cell-embedding`) and LSI (`@chromflow/atac-pseudobulk`).
 * Dense blocks are row-major Float64Array.
 */
export interface RandomizedSvdOptions extends LongRunOptions, SparseProductsOptions {
  /** Extra random directions beyond k (scikit-learn's `n_oversamples`). Default 10. */
  oversamples?: number;
  /**
   * Power iterations (scikit-learn's `n_iter`). Default scikit-learn's 'auto':
   * 7 when k < 0.1·min(rows, cols), else 4.
   */
  powerIterations?: number;
  /**
   * How the sketch is renormalised between power iterations (scikit-learn's
   * `power_iteration_normalizer`): 'lu' (partial-pivoting LU, keeping P·L),
   * 'qr' (orthonormal basis) or 'none'. Default scikit-learn's 'auto': 'none'
   * for ≤ 2 iterations, else 'lu'. The last range basis is always orthonormal.
   */
  normaliser?: 'lu' | 'qr' | 'none';
  /** Seed of the Gaussian test matrix; the same seed gives the same output. Default 0. */
  seed?: number;
  /** Column means μ: the SVD is of X − 1μᵀ (implicit centring). */
  columnMeans?: ArrayLike<number>;
  /** Column factors d: the SVD is of (X − 1μᵀ)·diag(d). */
  columnScales?: ArrayLike<number>;
}

/** A truncated SVD `A ≈ U · diag(s) · Vᵀ`. */
export interface TruncatedSvd {
  k: number;
  /** rows × k left singular vectors, row-major. */
  u: Float64Array;
  /** k singular values, descending. */
  s: Float64Array;
  /** k × cols right singular vectors as rows (scikit-learn's `Vt` / `components_`). */
  vt: Float64Array;
  /** How the sparse products ran (`SparseProducts.backend`). */
  backend: string;
}

/**
 * A seeded pseudo-random source (xoshiro128** seeded by splitmix32; normals
 * by Box–Muller), reproducible from `seed` alone on every platform.
 */
export function makeRandom(seed: number): { uniform(): number; normal(): number } {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split() | 1;
  let b = split();
  let c = split();
  let d = split() | 1;
  const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const uniform = (): number => (next() + 0.5) / 4294967296;
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const v = spare;
      spare = undefined;
      return v;
    }
    const u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}

/** The transpose of a CSR matrix, as CSR (that is, the matrix in CSC form). */
export function transposeCsr(a: CsrMatrix): CsrMatrix {
  const indptr = new Int32Array(a.nCols + 1);
  for (let q = 0; q < a.indices.length; q++) indptr[a.indices[q]! + 1]!++;
  for (let c = 0; c < a.nCols; c++) indptr[c + 1]! += indptr[c]!;
  const next = indptr.slice(0, a.nCols);
  const indices = new Int32Array(a.indices.length);
  const values = new Float32Array(a.indices.length);
  for (let r = 0; r < a.nRows; r++) {
    for (let q = a.indptr[r]!; q < a.indptr[r + 1]!; q++) {
      const dst = next[a.indices[q]!]!++;
      indices[dst] = r;
      values[dst] = a.values[q]!;
    }
  }
  return { nRows: a.nCols, nCols: a.nRows, indptr, indices, values };
}

/**
 * out (rows × l) = a · m (cols × l), all row-major. Each output row is
 * accumulated in a local array while the row's non-zeros are read once for
 * all l columns; `shift` (length l), when given, is subtracted from every row.
 */
export function csrTimesDense(
  a: CsrMatrix,
  m: Float64Array,
  l: number,
  out: Float64Array = new Float64Array(a.nRows * l),
  shift?: Float64Array,
): Float64Array {
  const { indptr, indices, values } = a;
  const acc = new Float64Array(l);
  for (let r = 0; r < a.nRows; r++) {
    if (shift) for (let j = 0; j < l; j++) acc[j] = -shift[j]!;
    else acc.fill(0);
    const end = indptr[r + 1]!;
    for (let q = indptr[r]!; q < end; q++) {
      const v = values[q]!;
      const o = indices[q]! * l;
      let j = 0;
      for (; j + 3 < l; j += 4) {
        acc[j]! += v * m[o + j]!;
        acc[j + 1]! += v * m[o + j + 1]!;
        acc[j + 2]! += v * m[o + j + 2]!;
        acc[j + 3]! += v * m[o + j + 3]!;
      }
      for (; j < l; j++) acc[j]! += v * m[o + j]!;
    }
    out.set(acc, r * l);
  }
  return out;
}

/**
 * Replaces the rows × l matrix y by P·L of its partial-pivoting LU
 * factorisation (scipy's `lu(permute_l=True)`): same column span, unit
 * lower-trapezoidal up to the row permutation, entries ≤ 1 in magnitude.
 */
export function luNormaliseColumns(y: Float64Array, rows: number, l: number): void {
  luInPlace(y, rows, l, undefined);
}

/** Column-major scratch for the LU in a wasm memory, and the kernel updating four columns. */
interface LuWorkspace {
  cols: Float64Array;
  f: Float64Array;
  axpy4: (...args: number[]) => void;
}

function luInPlace(y: Float64Array, rows: number, l: number, ws: LuWorkspace | undefined): void {
  // Right-looking LU on a column-major copy: every update is a long contiguous
  // axpy over all rows, with multiplier 0 for the rows already used as pivots.
  const all = ws ? ws.cols.subarray(0, rows * l) : new Float64Array(rows * l);
  const f = ws ? ws.f.subarray(0, rows) : new Float64Array(rows);
  const col = (j: number): Float64Array => all.subarray(j * rows, (j + 1) * rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < l; j++) all[j * rows + i] = y[i * l + j]!;
  const isPivot = new Uint8Array(rows);
  const pivots: number[] = [];
  const kMax = Math.min(l, rows);
  for (let k = 0; k < kMax; k++) {
    const ck = col(k);
    // Ties go to the first row, as LAPACK's.
    let piv = -1;
    let pivAbs = 0;
    for (let i = 0; i < rows; i++) {
      const x = Math.abs(ck[i]!);
      if (x > pivAbs && isPivot[i] === 0) {
        pivAbs = x;
        piv = i;
      }
    }
    pivots.push(piv);
    // A zero column on the remaining rows (rank deficiency): L's column stays 0.
    if (piv < 0) continue;
    isPivot[piv] = 1;
    const inv = 1 / ck[piv]!;
    for (let i = 0; i < rows; i++) {
      const x = isPivot[i] === 0 ? ck[i]! * inv : 0;
      f[i] = x;
      if (isPivot[i] === 0) ck[i] = x;
    }
    // Four columns per pass over the multipliers.
    let j = k + 1;
    for (; j + 3 < l; j += 4) {
      const c0 = col(j);
      const c1 = col(j + 1);
      const c2 = col(j + 2);
      const c3 = col(j + 3);
      const u0 = c0[piv]!;
      const u1 = c1[piv]!;
      const u2 = c2[piv]!;
      const u3 = c3[piv]!;
      if (ws) {
        ws.axpy4(
          c0.byteOffset,
          c1.byteOffset,
          c2.byteOffset,
          c3.byteOffset,
          f.byteOffset,
          u0,
          u1,
          u2,
          u3,
          rows,
        );
        continue;
      }
      for (let i = 0; i < rows; i++) {
        const x = f[i]!;
        c0[i] = c0[i]! - x * u0;
        c1[i] = c1[i]! - x * u1;
        c2[i] = c2[i]! - x * u2;
        c3[i] = c3[i]! - x * u3;
      }
    }
    for (; j < l; j++) {
      const cj = col(j);
      const u = cj[piv]!;
      for (let i = 0; i < rows; i++) cj[i] = cj[i]! - f[i]! * u;
    }
  }
  for (let i = 0; i < rows; i++) for (let j = 0; j < l; j++) y[i * l + j] = all[j * rows + i]!;
  pivots.forEach((r, k) => {
    if (r < 0) return;
    const ro = r * l;
    y[ro + k] = 1;
    for (let j = k + 1; j < l; j++) y[ro + j] = 0;
  });
}

/**
 * Orthonormalises the columns of a rows × l row-major matrix in place
 * (Gram–Schmidt, classical within blocks of four columns and modified across
 * them, run twice — "twice is enough"). A column in the span
 * of the earlier ones (below 1e-10 of its first-pass norm) becomes zero.
 */
export function orthonormaliseColumns(y: Float64Array, rows: number, l: number): void {
  const cols: Float64Array[] = [];
  const norm0 = new Float64Array(l);
  for (let j = 0; j < l; j++) {
    const c = new Float64Array(rows);
    let s = 0;
    for (let i = 0; i < rows; i++) {
      const x = y[i * l + j]!;
      c[i] = x;
      s += x * x;
    }
    norm0[j] = Math.sqrt(s);
    cols.push(c);
  }
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < l; j++) {
      const cj = cols[j]!;
      let k = 0;
      // Four earlier columns at a time (classical within the four, modified across).
      for (; k + 3 < j; k += 4) {
        const c0 = cols[k]!;
        const c1 = cols[k + 1]!;
        const c2 = cols[k + 2]!;
        const c3 = cols[k + 3]!;
        let d0 = 0;
        let d1 = 0;
        let d2 = 0;
        let d3 = 0;
        for (let i = 0; i < rows; i++) {
          const x = cj[i]!;
          d0 += c0[i]! * x;
          d1 += c1[i]! * x;
          d2 += c2[i]! * x;
          d3 += c3[i]! * x;
        }
        for (let i = 0; i < rows; i++) {
          cj[i] = cj[i]! - d0 * c0[i]! - d1 * c1[i]! - d2 * c2[i]! - d3 * c3[i]!;
        }
      }
      for (; k < j; k++) {
        const ck = cols[k]!;
        let d = 0;
        for (let i = 0; i < rows; i++) d += ck[i]! * cj[i]!;
        if (d === 0) continue;
        for (let i = 0; i < rows; i++) cj[i]! -= d * ck[i]!;
      }
      let nrm = 0;
      for (let i = 0; i < rows; i++) nrm += cj[i]! * cj[i]!;
      nrm = Math.sqrt(nrm);
      const inv = nrm > 1e-10 * norm0[j]! && nrm > 0 ? 1 / nrm : 0;
      for (let i = 0; i < rows; i++) cj[i]! *= inv;
      norm0[j] = 1;
    }
  }
  for (let j = 0; j < l; j++) {
    const c = cols[j]!;
    for (let i = 0; i < rows; i++) y[i * l + j] = c[i]!;
  }
}

/**
 * Thin SVD of a small matrix B (l × n) given as its transpose bt (n × l,
 * row-major), by one-sided Jacobi rotations on bt's columns. Returns singular
 * values (descending), U (l × l, row-major, columns = left vectors of B) and
 * Vt (l × n, rows = right vectors of B).
 */
export function svdSmall(
  bt: Float64Array,
  n: number,
  l: number,
): { s: Float64Array; U: Float64Array; Vt: Float64Array } {
  const cols: Float64Array[] = [];
  for (let j = 0; j < l; j++) {
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) c[i] = bt[i * l + j]!;
    cols.push(c);
  }
  const W = new Float64Array(l * l);
  for (let j = 0; j < l; j++) W[j * l + j] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let a = 0; a < l - 1; a++) {
      for (let b = a + 1; b < l; b++) {
        const ca = cols[a]!;
        const cb = cols[b]!;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < n; i++) {
          alpha += ca[i]! * ca[i]!;
          beta += cb[i]! * cb[i]!;
          gamma += ca[i]! * cb[i]!;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        for (let i = 0; i < n; i++) {
          const x = ca[i]!;
          const y = cb[i]!;
          ca[i] = cs * x - sn * y;
          cb[i] = sn * x + cs * y;
        }
        for (let i = 0; i < l; i++) {
          const x = W[i * l + a]!;
          const y = W[i * l + b]!;
          W[i * l + a] = cs * x - sn * y;
          W[i * l + b] = sn * x + cs * y;
        }
      }
    }
    if (off < 1e-15) break;
  }
  // bt·W = columns with norms s: bt = (cols/s)·diag(s)·Wᵀ, so B = W·diag(s)·(cols/s)ᵀ.
  const norms = cols.map((c) => Math.sqrt(c.reduce((acc, x) => acc + x * x, 0)));
  const order = norms.map((_, j) => j).sort((x, y) => norms[y]! - norms[x]!);
  const s = new Float64Array(l);
  const U = new Float64Array(l * l);
  const Vt = new Float64Array(l * n);
  order.forEach((j, k) => {
    const nrm = norms[j]!;
    s[k] = nrm;
    for (let i = 0; i < l; i++) U[i * l + k] = W[i * l + j]!;
    const inv = nrm > 0 ? 1 / nrm : 0;
    const c = cols[j]!;
    for (let i = 0; i < n; i++) Vt[k * n + i] = c[i]! * inv;
  });
  return { s, U, Vt };
}

/**
 * The sparse × dense product kernel, WebAssembly text (wasm SIMD, f64x2; the
 * memory is shared so worker threads run the same kernel on other rows).
 * `SPARSE_KERNEL_WASM_BASE64` is this text assembled by wabt's
 * `wat2wasm --enable-threads`; a test re-assembles it and compares.
 */
export const SPARSE_KERNEL_WAT = `(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; out[r·lp + j] = Σ_q values[q]·in(indices[q], j) for rows r0 ≤ r < r1 and q in
  ;; indptr[r] … indptr[r+1], where the input is panel-major: in(c, j) is the float64 at
  ;; in + 8·((j ÷ 8)·rowsIn·8 + c·8 + j mod 8), so one panel of 8 columns is contiguous;
  ;; lp is a multiple of 8. Rows go in chunks of $chunk rows, each chunk once per panel, so
  ;; a chunk's non-zeros and the panel stay in cache. Pointers are byte offsets;
  ;; indptr/indices int32, values float32.
  (func (export "spmm")
    (param $indptr i32) (param $indices i32) (param $values i32) (param $in i32)
    (param $out i32) (param $r0 i32) (param $r1 i32) (param $lp i32)
    (param $rowsIn i32) (param $chunk i32)
    (local $c0 i32) (local $c1 i32) (local $p i32) (local $pin i32) (local $r i32)
    (local $q i32) (local $e i32) (local $o i32)
    (local $v v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $c0 (local.get $r0))
    (block $done (loop $chunks
      (br_if $done (i32.ge_u (local.get $c0) (local.get $r1)))
      (local.set $c1 (i32.add (local.get $c0) (local.get $chunk)))
      (if (i32.gt_u (local.get $c1) (local.get $r1)) (then (local.set $c1 (local.get $r1))))
      (local.set $p (i32.const 0))
      (block $pdone (loop $panels
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $lp)))
        ;; the panel's base: in + p·rowsIn·8 floats
        (local.set $pin (i32.add (local.get $in) (i32.shl (i32.mul (local.get $p) (local.get $rowsIn)) (i32.const 3))))
        (local.set $r (local.get $c0))
        (block $rdone (loop $rows
          (br_if $rdone (i32.ge_u (local.get $r) (local.get $c1)))
          (local.set $q (i32.load (i32.add (local.get $indptr) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $e (i32.load offset=4 (i32.add (local.get $indptr) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $a0 (v128.const i64x2 0 0)) (local.set $a1 (v128.const i64x2 0 0))
          (local.set $a2 (v128.const i64x2 0 0)) (local.set $a3 (v128.const i64x2 0 0))
          (block $qd (loop $ql
            (br_if $qd (i32.ge_u (local.get $q) (local.get $e)))
            (local.set $v (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $values) (i32.shl (local.get $q) (i32.const 2)))))))
            (local.set $o (i32.add (local.get $pin)
              (i32.shl (i32.load (i32.add (local.get $indices) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 6))))
            (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $v) (v128.load (local.get $o)))))
            (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $v) (v128.load offset=16 (local.get $o)))))
            (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $v) (v128.load offset=32 (local.get $o)))))
            (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $v) (v128.load offset=48 (local.get $o)))))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $ql)))
          (local.set $o (i32.add (local.get $out)
            (i32.shl (i32.add (i32.mul (local.get $r) (local.get $lp)) (local.get $p)) (i32.const 3))))
          (v128.store (local.get $o) (local.get $a0))
          (v128.store offset=16 (local.get $o) (local.get $a1))
          (v128.store offset=32 (local.get $o) (local.get $a2))
          (v128.store offset=48 (local.get $o) (local.get $a3))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rows)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $panels)))
      (local.set $c0 (local.get $c1))
      (br $chunks))))
  ;; spmm32: the same in float32 (products and sums), panels of 16 columns (lp a multiple
  ;; of 16, 64 bytes per row as in spmm), for inputs that are float32 to begin with.
  (func (export "spmm32")
    (param $indptr i32) (param $indices i32) (param $values i32) (param $in i32)
    (param $out i32) (param $r0 i32) (param $r1 i32) (param $lp i32)
    (param $rowsIn i32) (param $chunk i32)
    (local $c0 i32) (local $c1 i32) (local $p i32) (local $pin i32) (local $r i32)
    (local $q i32) (local $e i32) (local $o i32)
    (local $v v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $c0 (local.get $r0))
    (block $done (loop $chunks
      (br_if $done (i32.ge_u (local.get $c0) (local.get $r1)))
      (local.set $c1 (i32.add (local.get $c0) (local.get $chunk)))
      (if (i32.gt_u (local.get $c1) (local.get $r1)) (then (local.set $c1 (local.get $r1))))
      (local.set $p (i32.const 0))
      (block $pdone (loop $panels
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $lp)))
        ;; the panel's base: in + p·rowsIn float32s
        (local.set $pin (i32.add (local.get $in) (i32.shl (i32.mul (local.get $p) (local.get $rowsIn)) (i32.const 2))))
        (local.set $r (local.get $c0))
        (block $rdone (loop $rows
          (br_if $rdone (i32.ge_u (local.get $r) (local.get $c1)))
          (local.set $q (i32.load (i32.add (local.get $indptr) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $e (i32.load offset=4 (i32.add (local.get $indptr) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $a0 (v128.const i64x2 0 0)) (local.set $a1 (v128.const i64x2 0 0))
          (local.set $a2 (v128.const i64x2 0 0)) (local.set $a3 (v128.const i64x2 0 0))
          (block $qd (loop $ql
            (br_if $qd (i32.ge_u (local.get $q) (local.get $e)))
            (local.set $v (f32x4.splat (f32.load (i32.add (local.get $values) (i32.shl (local.get $q) (i32.const 2))))))
            (local.set $o (i32.add (local.get $pin)
              (i32.shl (i32.load (i32.add (local.get $indices) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 6))))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $v) (v128.load (local.get $o)))))
            (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $v) (v128.load offset=16 (local.get $o)))))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $v) (v128.load offset=32 (local.get $o)))))
            (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $v) (v128.load offset=48 (local.get $o)))))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $ql)))
          (local.set $o (i32.add (local.get $out)
            (i32.shl (i32.add (i32.mul (local.get $r) (local.get $lp)) (local.get $p)) (i32.const 2))))
          (v128.store (local.get $o) (local.get $a0))
          (v128.store offset=16 (local.get $o) (local.get $a1))
          (v128.store offset=32 (local.get $o) (local.get $a2))
          (v128.store offset=48 (local.get $o) (local.get $a3))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rows)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $panels)))
      (local.set $c0 (local.get $c1))
      (br $chunks))))
  ;; axpy4: c_t[i] −= f[i]·u_t for t = 0…3 and 0 ≤ i < n (float64 columns; the four-column
  ;; trailing update of the LU renormalisation, one pass over the multipliers f).
  (func (export "axpy4")
    (param $c0 i32) (param $c1 i32) (param $c2 i32) (param $c3 i32) (param $f i32)
    (param $u0 f64) (param $u1 f64) (param $u2 f64) (param $u3 f64) (param $n i32)
    (local $o i32) (local $end i32) (local $x v128)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local.set $v0 (f64x2.splat (local.get $u0)))
    (local.set $v1 (f64x2.splat (local.get $u1)))
    (local.set $v2 (f64x2.splat (local.get $u2)))
    (local.set $v3 (f64x2.splat (local.get $u3)))
    ;; byte offsets 0, 16, … while two values remain, then the odd last one
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (local.set $o (i32.const 0))
    (block $done (loop $pairs
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $x (v128.load (i32.add (local.get $f) (local.get $o))))
      (v128.store (i32.add (local.get $c0) (local.get $o))
        (f64x2.sub (v128.load (i32.add (local.get $c0) (local.get $o))) (f64x2.mul (local.get $x) (local.get $v0))))
      (v128.store (i32.add (local.get $c1) (local.get $o))
        (f64x2.sub (v128.load (i32.add (local.get $c1) (local.get $o))) (f64x2.mul (local.get $x) (local.get $v1))))
      (v128.store (i32.add (local.get $c2) (local.get $o))
        (f64x2.sub (v128.load (i32.add (local.get $c2) (local.get $o))) (f64x2.mul (local.get $x) (local.get $v2))))
      (v128.store (i32.add (local.get $c3) (local.get $o))
        (f64x2.sub (v128.load (i32.add (local.get $c3) (local.get $o))) (f64x2.mul (local.get $x) (local.get $v3))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $pairs)))
    (if (i32.and (local.get $n) (i32.const 1)) (then
      (f64.store (i32.add (local.get $c0) (local.get $o))
        (f64.sub (f64.load (i32.add (local.get $c0) (local.get $o))) (f64.mul (f64.load (i32.add (local.get $f) (local.get $o))) (local.get $u0))))
      (f64.store (i32.add (local.get $c1) (local.get $o))
        (f64.sub (f64.load (i32.add (local.get $c1) (local.get $o))) (f64.mul (f64.load (i32.add (local.get $f) (local.get $o))) (local.get $u1))))
      (f64.store (i32.add (local.get $c2) (local.get $o))
        (f64.sub (f64.load (i32.add (local.get $c2) (local.get $o))) (f64.mul (f64.load (i32.add (local.get $f) (local.get $o))) (local.get $u2))))
      (f64.store (i32.add (local.get $c3) (local.get $o))
        (f64.sub (f64.load (i32.add (local.get $c3) (local.get $o))) (f64.mul (f64.load (i32.add (local.get $f) (local.get $o))) (local.get $u3)))))))
)
`;

/** `SPARSE_KERNEL_WAT` assembled (see there). */
export const SPARSE_KERNEL_WASM_BASE64 =
  'AGFzbQEAAAABGwJgCn9/f39/f39/f38AYAp/f39/f3x8fHx/AAISAQNlbnYGbWVtb3J5AgMBgIAEAwQDAAABBxkDBH' +
  'NwbW0AAAZzcG1tMzIAAQVheHB5NAACCtMIA4wDAgh/BXsgBSEKAkADQCAKIAZPDQEgCiAJaiELIAsgBksEQCAGIQsL' +
  'QQAhDAJAA0AgDCAHTw0BIAMgDCAIbEEDdGohDSAKIQ4CQANAIA4gC08NASAAIA5BAnRqKAIAIQ8gACAOQQJ0aigCBC' +
  'EQ/QwAAAAAAAAAAAAAAAAAAAAAIRP9DAAAAAAAAAAAAAAAAAAAAAAhFP0MAAAAAAAAAAAAAAAAAAAAACEV/QwAAAAA' +
  'AAAAAAAAAAAAAAAAIRYCQANAIA8gEE8NASACIA9BAnRqKgIAu/0UIRIgDSABIA9BAnRqKAIAQQZ0aiERIBMgEiAR/Q' +
  'AEAP3yAf3wASETIBQgEiAR/QAEEP3yAf3wASEUIBUgEiAR/QAEIP3yAf3wASEVIBYgEiAR/QAEMP3yAf3wASEWIA9B' +
  'AWohDwwACwsgBCAOIAdsIAxqQQN0aiERIBEgE/0LBAAgESAU/QsEECARIBX9CwQgIBEgFv0LBDAgDkEBaiEODAALCy' +
  'AMQQhqIQwMAAsLIAshCgwACwsLiwMCCH8FeyAFIQoCQANAIAogBk8NASAKIAlqIQsgCyAGSwRAIAYhCwtBACEMAkAD' +
  'QCAMIAdPDQEgAyAMIAhsQQJ0aiENIAohDgJAA0AgDiALTw0BIAAgDkECdGooAgAhDyAAIA5BAnRqKAIEIRD9DAAAAA' +
  'AAAAAAAAAAAAAAAAAhE/0MAAAAAAAAAAAAAAAAAAAAACEU/QwAAAAAAAAAAAAAAAAAAAAAIRX9DAAAAAAAAAAAAAAA' +
  'AAAAAAAhFgJAA0AgDyAQTw0BIAIgD0ECdGoqAgD9EyESIA0gASAPQQJ0aigCAEEGdGohESATIBIgEf0ABAD95gH95A' +
  'EhEyAUIBIgEf0ABBD95gH95AEhFCAVIBIgEf0ABCD95gH95AEhFSAWIBIgEf0ABDD95gH95AEhFiAPQQFqIQ8MAAsL' +
  'IAQgDiAHbCAMakECdGohESARIBP9CwQAIBEgFP0LBBAgESAV/QsEICARIBb9CwQwIA5BAWohDgwACwsgDEEQaiEMDA' +
  'ALCyALIQoMAAsLC7UCAgJ/BXsgBf0UIQ0gBv0UIQ4gB/0UIQ8gCP0UIRAgCUF+cUEDdCELQQAhCgJAA0AgCiALTw0B' +
  'IAQgCmr9AAQAIQwgACAKaiAAIApq/QAEACAMIA398gH98QH9CwQAIAEgCmogASAKav0ABAAgDCAO/fIB/fEB/QsEAC' +
  'ACIApqIAIgCmr9AAQAIAwgD/3yAf3xAf0LBAAgAyAKaiADIApq/QAEACAMIBD98gH98QH9CwQAIApBEGohCgwACwsg' +
  'CUEBcQRAIAAgCmogACAKaisDACAEIApqKwMAIAWioTkDACABIApqIAEgCmorAwAgBCAKaisDACAGoqE5AwAgAiAKai' +
  'ACIApqKwMAIAQgCmorAwAgB6KhOQMAIAMgCmogAyAKaisDACAEIApqKwMAIAiioTkDAAsL';

/** The parts of the WebAssembly JS API used here (the TS lib in use has no WebAssembly types). */
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
// Job kind 2: the CSC form of X ([3…5] X's CSR, [6…8] the transpose's, [9] rows, [10] cols),
// the loop of fillTranspose.
function transpose() {
  const b = memory.buffer;
  const indptr = new Int32Array(b, c[3], c[9] + 1);
  const nnz = indptr[c[9]];
  const indices = new Int32Array(b, c[4], nnz);
  const values = new Float32Array(b, c[5], nnz);
  const tIndptr = new Int32Array(b, c[6], c[10] + 1);
  const tIndices = new Int32Array(b, c[7], nnz);
  const tValues = new Float32Array(b, c[8], nnz);
  for (let q = 0; q < nnz; q++) tIndptr[indices[q] + 1]++;
  for (let j = 0; j < c[10]; j++) tIndptr[j + 1] += tIndptr[j];
  const next = tIndptr.slice(0, c[10]);
  for (let r = 0; r < c[9]; r++) {
    for (let q = indptr[r]; q < indptr[r + 1]; q++) {
      const dst = next[indices[q]]++;
      tIndices[dst] = r;
      tValues[dst] = values[q];
    }
  }
}
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

/**
 * Fills tIndptr (zeroed, nCols + 1), tIndices and tValues with the CSC form of
 * the CSR (indptr, indices, values); `TRANSPOSE_SOURCE` is the same loop for workers.
 */
function fillTranspose(
  indptr: Int32Array,
  indices: Int32Array,
  values: Float32Array,
  nCols: number,
  tIndptr: Int32Array,
  tIndices: Int32Array,
  tValues: Float32Array,
): void {
  const nnz = indices.length;
  for (let q = 0; q < nnz; q++) tIndptr[indices[q]! + 1]!++;
  for (let c = 0; c < nCols; c++) tIndptr[c + 1]! += tIndptr[c]!;
  const next = tIndptr.slice(0, nCols);
  for (let r = 0; r + 1 < indptr.length; r++) {
    for (let q = indptr[r]!; q < indptr[r + 1]!; q++) {
      const dst = next[indices[q]!]!++;
      tIndices[dst] = r;
      tValues[dst] = values[q]!;
    }
  }
}

/** Products with a sparse X and its transpose; dense blocks row-major. */
export interface SparseProducts {
  /** 'wasm-simd' (with its thread count) or 'js'. */
  readonly backend: string;
  /** X · m, m cols × l → rows × l. */
  times(m: Float64Array, l: number): Float64Array;
  /** Xᵀ · y, y rows × l → cols × l. */
  transposeTimes(y: Float64Array, l: number): Float64Array;
  /**
   * `luNormaliseColumns` of a rows × l block (rows ≤ max(X's rows, cols)),
   * in the wasm memory when there is one: the same numbers either way.
   */
  luNormalise(y: Float64Array, rows: number, l: number): void;
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

/** `csrTimesDense` in float32 arithmetic (m rounded to float32, each product and sum rounded). */
function csrTimesDenseFloat32(a: CsrMatrix, m: Float64Array, l: number): Float64Array {
  const m32 = Float32Array.from(m);
  const out = new Float64Array(a.nRows * l);
  const acc = new Float32Array(l);
  for (let r = 0; r < a.nRows; r++) {
    acc.fill(0);
    for (let q = a.indptr[r]!; q < a.indptr[r + 1]!; q++) {
      const v = a.values[q]!;
      const o = a.indices[q]! * l;
      for (let j = 0; j < l; j++) acc[j] = acc[j]! + Math.fround(v * m32[o + j]!);
    }
    out.set(acc, r * l);
  }
  return out;
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
  const dense = align(Math.max(x.nRows, x.nCols) * Math.max((f32 ? 4 : 8) * lp, 8 * l));
  const csrBytes = (rows: number): number => align(4 * (rows + 1)) + 2 * align(4 * nnz);
  const total =
    64 +
    align(4 * (16 * threads + 1)) +
    csrBytes(x.nRows) +
    csrBytes(x.nCols) +
    2 * dense +
    align(8 * Math.max(x.nRows, x.nCols));
  const pages = Math.ceil(total / 65536);
  let memory: InstanceType<WasmApi['Memory']> | undefined;
  let module: object | undefined;
  let kernel: SpmmKernel | undefined;
  let axpy4: SpmmKernel = () => undefined;
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
      axpy4 = exports['axpy4'] as SpmmKernel;
    } catch (e) {
      if (options.backend === 'wasm') {
        throw new ChromflowError('BACKEND', 'the wasm SIMD sparse kernel could not be set up', {
          hint: 'use backend "js" (or "auto", which falls back to it)',
          cause: e,
        });
      }
    }
  }
  if (!memory || !module || !kernel) {
    const xt = transposeCsr(x);
    const product = f32 ? csrTimesDenseFloat32 : csrTimesDense;
    return {
      backend: 'js',
      times: (m, w) => product(x, m, w),
      transposeTimes: (y, w) => product(xt, y, w),
      luNormalise: luNormaliseColumns,
      close: () => undefined,
    };
  }
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
  const lu: LuWorkspace = {
    // The LU's columns go where the products' output goes (free between products).
    cols: new Float64Array(buf, output, Math.max(x.nRows, x.nCols) * l),
    f: new Float64Array(buf, take(8 * Math.max(x.nRows, x.nCols)), Math.max(x.nRows, x.nCols)),
    axpy4,
  };
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
    fillTranspose(xIndptr, xIndices, xValues, x.nCols, tIndptr, tIndices, tValues);
  }
  const copyOut = (nRows: number, lp: number, w: number): Float64Array => {
    const result = new Float64Array(nRows * w);
    const rows = f32
      ? new Float32Array(buf, output, nRows * lp)
      : new Float64Array(buf, output, nRows * lp);
    if (lp === w) result.set(rows);
    else for (let r = 0; r < nRows; r++) result.set(rows.subarray(r * lp, r * lp + w), r * w);
    return result;
  };
  const awaitTranspose = (): void => {
    if (!transposePending) return;
    for (let d = Atomics.load(job, JOB.done); d < 1; d = Atomics.load(job, JOB.done)) {
      Atomics.wait(job, JOB.done, d);
    }
    transposePending = false;
  };
  const run = (a: typeof px, dense: Float64Array, w: number): Float64Array => {
    const lp = Math.ceil(w / panel) * panel;
    const rowsIn = a.cols;
    // The input goes in panel-major (`panel` columns per panel, zero-padded to lp).
    const panels = f32
      ? new Float32Array(buf, input, rowsIn * lp)
      : new Float64Array(buf, input, rowsIn * lp);
    for (let j0 = 0; j0 < lp; j0 += panel) {
      const base = j0 * rowsIn;
      const width = Math.min(panel, w - j0);
      for (let c = 0; c < rowsIn; c++) {
        const o = base + c * panel;
        const src = c * w + j0;
        for (let j = 0; j < width; j++) panels[o + j] = dense[src + j]!;
        for (let j = width; j < panel; j++) panels[o + j] = 0;
      }
    }
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
      return copyOut(a.rows, lp, w);
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
    return copyOut(a.rows, lp, w);
  };
  return {
    backend:
      (threads > 1 ? `wasm-simd, ${threads} threads` : 'wasm-simd') + (f32 ? ', float32' : ''),
    times: (m, w) => run(px, m, w),
    transposeTimes: (y, w) => run(pxt, y, w),
    luNormalise: (y, rows, w) => luInPlace(y, rows, w, lu),
    close() {
      Atomics.store(job, JOB.exit, 1);
      Atomics.add(job, JOB.seq, 1);
      Atomics.notify(job, JOB.seq);
      for (const w of workers) void w.terminate();
    },
  };
}

/**
 * The operator A = (X − 1μᵀ)·diag(d) over the sparse products, never dense:
 * A·M = X·(D·M) − 1·(μᵀ·D·M) and Aᵀ·Y = D·(Xᵀ·Y − μ·(1ᵀ·Y)).
 */
function makeOperator(
  products: SparseProducts,
  mu: Float64Array | undefined,
  d: Float64Array | undefined,
): {
  times(m: Float64Array, l: number): Float64Array;
  transposeTimes(y: Float64Array, l: number): Float64Array;
} {
  const scaleRows = (m: Float64Array, l: number): Float64Array => {
    if (!d) return m;
    for (let c = 0; c < d.length; c++) {
      const f = d[c]!;
      for (let j = 0; j < l; j++) m[c * l + j]! *= f;
    }
    return m;
  };
  return {
    times(m, l) {
      const dm = d ? scaleRows(m.slice(), l) : m;
      const out = products.times(dm, l);
      if (mu) {
        const shift = new Float64Array(l);
        for (let c = 0; c < mu.length; c++) {
          const f = mu[c]!;
          if (f === 0) continue;
          for (let j = 0; j < l; j++) shift[j]! += f * dm[c * l + j]!;
        }
        for (let o = 0; o < out.length; o += l)
          for (let j = 0; j < l; j++) out[o + j]! -= shift[j]!;
      }
      return out;
    },
    transposeTimes(y, l) {
      const out = products.transposeTimes(y, l);
      if (mu) {
        const colSum = new Float64Array(l);
        for (let o = 0; o < y.length; o += l) for (let j = 0; j < l; j++) colSum[j]! += y[o + j]!;
        for (let c = 0; c < mu.length; c++) {
          const f = mu[c]!;
          if (f === 0) continue;
          for (let j = 0; j < l; j++) out[c * l + j]! -= f * colSum[j]!;
        }
      }
      return scaleRows(out, l);
    },
  };
}

/**
 * Randomized truncated SVD (Halko, Martinsson & Tropp 2011, Alg. 4.3/4.4;
 * the algorithm of scikit-learn's `randomized_svd`): a Gaussian sketch of the
 * column space, power iterations renormalised by LU (or QR), an orthonormal
 * range basis Q, then the exact SVD of the small B = QᵀA via a QR of Bᵀ and
 * one-sided Jacobi. Signs follow scikit-learn's `svd_flip` (u-based: the
 * largest-|·| entry of each column of U is positive). Deterministic per seed.
 */
export function randomizedSvd(
  x: CsrMatrix,
  k: number,
  options: RandomizedSvdOptions = {},
): TruncatedSvd {
  const m = x.nRows;
  const n = x.nCols;
  const maxK = Math.min(m, n);
  if (!(Number.isInteger(k) && k >= 1 && k <= maxK)) {
    throw new ChromflowError('PARAM', 'the number of SVD components is out of range', {
      field: 'k',
      expected: `an integer 1 … ${maxK} (the smaller matrix dimension)`,
      found: String(k),
    });
  }
  const l = Math.min(maxK, k + (options.oversamples ?? 10));
  const nIter = options.powerIterations ?? (k < 0.1 * maxK ? 7 : 4);
  const normaliser = options.normaliser ?? (nIter <= 2 ? 'none' : 'lu');
  const mu = options.columnMeans ? Float64Array.from(options.columnMeans) : undefined;
  const d = options.columnScales ? Float64Array.from(options.columnScales) : undefined;
  const products = makeSparseProducts(x, l, options);
  try {
    return sketchAndSolve(
      makeOperator(products, mu, d),
      m,
      n,
      k,
      l,
      nIter,
      normaliser,
      options,
      products,
    );
  } finally {
    products.close();
  }
}

function sketchAndSolve(
  A: ReturnType<typeof makeOperator>,
  m: number,
  n: number,
  k: number,
  l: number,
  nIter: number,
  normaliser: 'lu' | 'qr' | 'none',
  options: RandomizedSvdOptions,
  products: SparseProducts,
): TruncatedSvd {
  const rng = makeRandom(options.seed ?? 0);
  let z: Float64Array = new Float64Array(n * l);
  for (let i = 0; i < z.length; i++) z[i] = rng.normal();
  const steps = 2 * nIter + 2;
  let step = 0;
  const tick = (): void => {
    throwIfAborted(options.signal);
    options.onProgress?.(++step, steps, 'randomized SVD products');
  };
  options.onProgress?.(0, steps);
  const normalise = (y: Float64Array, rows: number): void => {
    if (normaliser === 'lu') products.luNormalise(y, rows, l);
    else if (normaliser === 'qr') orthonormaliseColumns(y, rows, l);
  };
  for (let it = 0; it < nIter; it++) {
    const y = A.times(z, l);
    tick();
    normalise(y, m);
    z = A.transposeTimes(y, l);
    tick();
    normalise(z, n);
  }
  const q = A.times(z, l);
  tick();
  orthonormaliseColumns(q, m, l);
  // Bᵀ = AᵀQ (n × l) = Qb·R; B = Rᵀ·Qbᵀ and the SVD of the l × l Rᵀ finishes it.
  const bt = A.transposeTimes(q, l);
  tick();
  const r = upperFactorOfColumns(bt, n, l);
  const { s, U: W, Vt: C } = svdSmall(r, l, l);
  // B = W·diag(s)·(Qb·Cᵀ)ᵀ: U = Q·W, Vt = C·Qbᵀ (bt now holds Qb).
  const u = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    const uo = i * k;
    for (let j = 0; j < l; j++) {
      const x = q[i * l + j]!;
      if (x === 0) continue;
      const wo = j * l;
      for (let c = 0; c < k; c++) u[uo + c]! += x * W[wo + c]!;
    }
  }
  const vt = new Float64Array(k * n);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    row.fill(0);
    for (let j = 0; j < l; j++) {
      const x = bt[i * l + j]!;
      if (x === 0) continue;
      for (let c = 0; c < k; c++) row[c]! += x * C[c * l + j]!;
    }
    for (let c = 0; c < k; c++) vt[c * n + i] = row[c]!;
  }
  for (let c = 0; c < k; c++) {
    let best = 0;
    for (let i = 0; i < m; i++) {
      const v = u[i * k + c]!;
      if (Math.abs(v) > Math.abs(best)) best = v;
    }
    if (best < 0) {
      for (let i = 0; i < m; i++) u[i * k + c] = -u[i * k + c]!;
      for (let i = 0; i < n; i++) vt[c * n + i] = -vt[c * n + i]!;
    }
  }
  return { k, u, s: s.slice(0, k), vt, backend: products.backend };
}

/**
 * Orthonormalises the rows × l matrix y in place (y becomes Q) and returns R
 * (l × l, row-major) with y_before = Q·R, by modified Gram–Schmidt twice.
 */
function upperFactorOfColumns(y: Float64Array, rows: number, l: number): Float64Array {
  const before = y.slice();
  orthonormaliseColumns(y, rows, l);
  // R = Qᵀ·y_before: exact for the kept columns, and for dropped (dependent) ones too.
  const r = new Float64Array(l * l);
  for (let i = 0; i < rows; i++) {
    const o = i * l;
    for (let a = 0; a < l; a++) {
      const qa = y[o + a]!;
      if (qa === 0) continue;
      for (let b = 0; b < l; b++) r[a * l + b]! += qa * before[o + b]!;
    }
  }
  return r;
}
