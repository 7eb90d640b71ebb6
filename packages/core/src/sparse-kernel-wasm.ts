import { DENSE_KERNEL_WAT } from './dense-kernel-wat.js';
import { LU_KERNEL_WAT } from './lu-kernel-wat.js';

/**
 * The kernels of the randomized SVD, one WebAssembly module in text (wasm SIMD,
 * f64x2/f32x4; the memory is shared so worker threads run the same sparse kernel on
 * other rows): here the sparse × dense products (spmm, spmm32), the packing of dense
 * blocks into their panels with the centring's column sums (pack, unpack) and the CSC
 * copy (transpose); `DENSE_KERNEL_WAT` (gemm, gram, jacobi) and `LU_KERNEL_WAT` (lu).
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
    (local $v v128) (local $v2 v128) (local $o2 i32) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
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
          ;; two non-zeros a round (the same sums in the same order), then a last one
          (block $q2d (loop $q2l
            (br_if $q2d (i32.ge_u (i32.add (local.get $q) (i32.const 1)) (local.get $e)))
            (local.set $v (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $values) (i32.shl (local.get $q) (i32.const 2)))))))
            (local.set $o (i32.add (local.get $pin)
              (i32.shl (i32.load (i32.add (local.get $indices) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 6))))
            (local.set $v2 (f64x2.splat (f64.promote_f32 (f32.load offset=4 (i32.add (local.get $values) (i32.shl (local.get $q) (i32.const 2)))))))
            (local.set $o2 (i32.add (local.get $pin)
              (i32.shl (i32.load offset=4 (i32.add (local.get $indices) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 6))))
            (local.set $a0 (f64x2.add (f64x2.add (local.get $a0) (f64x2.mul (local.get $v) (v128.load (local.get $o))))
              (f64x2.mul (local.get $v2) (v128.load (local.get $o2)))))
            (local.set $a1 (f64x2.add (f64x2.add (local.get $a1) (f64x2.mul (local.get $v) (v128.load offset=16 (local.get $o))))
              (f64x2.mul (local.get $v2) (v128.load offset=16 (local.get $o2)))))
            (local.set $a2 (f64x2.add (f64x2.add (local.get $a2) (f64x2.mul (local.get $v) (v128.load offset=32 (local.get $o))))
              (f64x2.mul (local.get $v2) (v128.load offset=32 (local.get $o2)))))
            (local.set $a3 (f64x2.add (f64x2.add (local.get $a3) (f64x2.mul (local.get $v) (v128.load offset=48 (local.get $o))))
              (f64x2.mul (local.get $v2) (v128.load offset=48 (local.get $o2)))))
            (local.set $q (i32.add (local.get $q) (i32.const 2)))
            (br $q2l)))
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
  ;; pack: a rows × w float64 row-major block at $src into the kernels' panel-major input at
  ;; $dst (lp columns, zero past w; float64 panels of 8 columns or, with $f32, float32
  ;; panels of 16: 64 bytes a row either way), two columns at a time. Column sums on the
  ;; way, in row order: $mode 1: sums[j] = Σ_c weights[c]·src[c,j] over weights[c] ≠ 0;
  ;; $mode 2: sums[j] = Σ_c src[c,j].
  (func (export "pack")
    (param $src i32) (param $rows i32) (param $w i32) (param $dst i32) (param $lp i32)
    (param $f32 i32) (param $weights i32) (param $mode i32) (param $sums i32)
    (local $c i32) (local $j i32) (local $s i32) (local $d i32) (local $sum i32) (local $w2 i32)
    (local $x v128) (local $f f64) (local $fv v128) (local $use i32) (local $panelBytes i32)
    (local.set $panelBytes (i32.shl (local.get $rows) (i32.const 6)))
    (local.set $w2 (i32.and (local.get $w) (i32.const -2)))
    (if (local.get $mode) (then
      (memory.fill (local.get $sums) (i32.const 0) (i32.shl (local.get $lp) (i32.const 3)))))
    (local.set $s (local.get $src))
    (block $cdone (loop $cols
      (br_if $cdone (i32.ge_u (local.get $c) (local.get $rows)))
      (local.set $f (f64.const 1))
      (local.set $use (i32.ne (local.get $mode) (i32.const 0)))
      (if (i32.eq (local.get $mode) (i32.const 1)) (then
        (local.set $f (f64.load (i32.add (local.get $weights) (i32.shl (local.get $c) (i32.const 3)))))
        (local.set $use (f64.ne (local.get $f) (f64.const 0)))))
      (local.set $fv (f64x2.splat (local.get $f)))
      (local.set $j (i32.const 0))
      (block $jdone (loop $js
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $lp)))
        ;; the pair (j, j+1), zero past w
        (local.set $x (v128.const i64x2 0 0))
        (if (i32.lt_u (local.get $j) (local.get $w2))
          (then (local.set $x (v128.load (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 3))))))
          (else (if (i32.lt_u (local.get $j) (local.get $w)) (then
            (local.set $x (v128.load64_zero (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 3)))))))))
        (if (i32.and (local.get $use) (i32.lt_u (local.get $j) (local.get $w))) (then
          (local.set $sum (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 3))))
          (if (i32.eq (local.get $mode) (i32.const 2))
            (then (v128.store (local.get $sum) (f64x2.add (v128.load (local.get $sum)) (local.get $x))))
            (else (v128.store (local.get $sum)
              (f64x2.add (v128.load (local.get $sum)) (f64x2.mul (local.get $fv) (local.get $x))))))))
        (if (local.get $f32)
          (then
            (local.set $d (i32.add (local.get $dst) (i32.add
              (i32.mul (i32.shr_u (local.get $j) (i32.const 4)) (local.get $panelBytes))
              (i32.add (i32.shl (local.get $c) (i32.const 6)) (i32.shl (i32.and (local.get $j) (i32.const 15)) (i32.const 2))))))
            (v128.store64_lane 0 (local.get $d) (f32x4.demote_f64x2_zero (local.get $x))))
          (else
            (local.set $d (i32.add (local.get $dst) (i32.add
              (i32.mul (i32.shr_u (local.get $j) (i32.const 3)) (local.get $panelBytes))
              (i32.add (i32.shl (local.get $c) (i32.const 6)) (i32.shl (i32.and (local.get $j) (i32.const 7)) (i32.const 3))))))
            (v128.store (local.get $d) (local.get $x))))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $js)))
      (local.set $s (i32.add (local.get $s) (i32.shl (local.get $w) (i32.const 3))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cols))))
  ;; unpack: the kernels' rows × lp output at $src (float64, or float32 with $f32) into a
  ;; rows × w float64 row-major block at $dst, less a rank-one term, two columns at a
  ;; time: $mode 1: dst[r,j] = src[r,j] − weights[r]·sums[j] (as is where weights[r] = 0);
  ;; $mode 2: dst[r,j] = src[r,j] − sums[j]; $mode 0: a copy. Writes up to 8 bytes past
  ;; the block when w is odd.
  (func (export "unpack")
    (param $src i32) (param $rows i32) (param $lp i32) (param $f32 i32) (param $dst i32)
    (param $w i32) (param $weights i32) (param $mode i32) (param $sums i32)
    (local $r i32) (local $j i32) (local $s i32) (local $d i32) (local $x v128) (local $f f64)
    (local $fv v128) (local $m i32)
    (local.set $d (local.get $dst))
    (block $rdone (loop $rowsLoop
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $m (local.get $mode))
      (if (i32.eq (local.get $mode) (i32.const 1)) (then
        (local.set $f (f64.load (i32.add (local.get $weights) (i32.shl (local.get $r) (i32.const 3)))))
        (if (f64.eq (local.get $f) (f64.const 0)) (then (local.set $m (i32.const 0))))))
      (local.set $fv (f64x2.splat (local.get $f)))
      (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (local.get $r) (local.get $lp))
        (select (i32.const 2) (i32.const 3) (local.get $f32)))))
      (local.set $j (i32.const 0))
      (block $jdone (loop $js
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $w)))
        (if (local.get $f32)
          (then (local.set $x (f64x2.promote_low_f32x4
            (v128.load64_zero (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2)))))))
          (else (local.set $x (v128.load (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 3)))))))
        (if (i32.eq (local.get $m) (i32.const 2)) (then
          (local.set $x (f64x2.sub (local.get $x)
            (v128.load (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 3))))))))
        (if (i32.eq (local.get $m) (i32.const 1)) (then
          (local.set $x (f64x2.sub (local.get $x) (f64x2.mul (local.get $fv)
            (v128.load (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 3)))))))))
        (v128.store (i32.add (local.get $d) (i32.shl (local.get $j) (i32.const 3))) (local.get $x))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $js)))
      (local.set $d (i32.add (local.get $d) (i32.shl (local.get $w) (i32.const 3))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowsLoop))))
  ;; transpose: the CSC form of the rows-row CSR (indptr, indices, values) as CSR of the
  ;; transpose (tIndptr, cols + 1 entries; tIndices, tValues), rows ascending within a
  ;; column: count, prefix sums, scatter with tIndptr[c] as column c's cursor, shift back.
  (func (export "transpose")
    (param $indptr i32) (param $indices i32) (param $values i32) (param $rows i32)
    (param $cols i32) (param $tIndptr i32) (param $tIndices i32) (param $tValues i32)
    (local $q i32) (local $nnz i32) (local $c i32) (local $r i32) (local $end i32)
    (local $at i32) (local $dst i32) (local $run i32) (local $x i32)
    (memory.fill (local.get $tIndptr) (i32.const 0) (i32.shl (i32.add (local.get $cols) (i32.const 1)) (i32.const 2)))
    (local.set $nnz (i32.load (i32.add (local.get $indptr) (i32.shl (local.get $rows) (i32.const 2)))))
    (block $cdone (loop $count
      (br_if $cdone (i32.ge_u (local.get $q) (local.get $nnz)))
      (local.set $at (i32.add (local.get $tIndptr)
        (i32.shl (i32.load (i32.add (local.get $indices) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 2))))
      (i32.store offset=4 (local.get $at) (i32.add (i32.load offset=4 (local.get $at)) (i32.const 1)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $count)))
    ;; tIndptr[c] ← the start of column c (exclusive prefix sums, in entries 0 … cols − 1)
    (block $pdone (loop $prefix
      (br_if $pdone (i32.ge_u (local.get $c) (local.get $cols)))
      (local.set $at (i32.add (local.get $tIndptr) (i32.shl (local.get $c) (i32.const 2))))
      (local.set $x (i32.load offset=4 (local.get $at)))
      (i32.store (local.get $at) (local.get $run))
      (local.set $run (i32.add (local.get $run) (local.get $x)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $prefix)))
    (block $rdone (loop $rowsLoop
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $q (i32.load (i32.add (local.get $indptr) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $end (i32.load offset=4 (i32.add (local.get $indptr) (i32.shl (local.get $r) (i32.const 2)))))
      (block $qdone (loop $qs
        (br_if $qdone (i32.ge_u (local.get $q) (local.get $end)))
        (local.set $at (i32.add (local.get $tIndptr)
          (i32.shl (i32.load (i32.add (local.get $indices) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 2))))
        (local.set $dst (i32.load (local.get $at)))
        (i32.store (local.get $at) (i32.add (local.get $dst) (i32.const 1)))
        (i32.store (i32.add (local.get $tIndices) (i32.shl (local.get $dst) (i32.const 2))) (local.get $r))
        (i32.store (i32.add (local.get $tValues) (i32.shl (local.get $dst) (i32.const 2)))
          (i32.load (i32.add (local.get $values) (i32.shl (local.get $q) (i32.const 2)))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $qs)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowsLoop)))
    ;; the cursors stand at each column's end: shift them up by one
    (local.set $c (local.get $cols))
    (block $sdone (loop $shift
      (br_if $sdone (i32.eqz (local.get $c)))
      (local.set $at (i32.add (local.get $tIndptr) (i32.shl (local.get $c) (i32.const 2))))
      (i32.store (local.get $at) (i32.load (i32.sub (local.get $at) (i32.const 4))))
      (local.set $c (i32.sub (local.get $c) (i32.const 1)))
      (br $shift)))
    (i32.store (local.get $tIndptr) (i32.const 0)))
${DENSE_KERNEL_WAT}${LU_KERNEL_WAT})
`;

/** `SPARSE_KERNEL_WAT` assembled (see there). */
export const SPARSE_KERNEL_WASM_BASE64 =
  'AGFzbQEAAAABSQdgCn9/f39/f39/f38AYAl/f39/f39/f38AYAh/f39/f39/fwBgB39/f39/f38AYAR/f39/AGAFf3' +
  '9/f38Bf2AGf39/f39/AX8CEgEDZW52Bm1lbW9yeQIDAYCABAMMCwAAAQECAwQEBQYEB0kJBHNwbW0AAAZzcG1tMzIA' +
  'AQRwYWNrAAIGdW5wYWNrAAMJdHJhbnNwb3NlAAQEZ2VtbQAFBGdyYW0ABgZqYWNvYmkABwJsdQAKCrIsC+8EBAh/An' +
  'sBfwR7IAUhCgJAA0AgCiAGTw0BIAogCWohCyALIAZLBEAgBiELC0EAIQwCQANAIAwgB08NASADIAwgCGxBA3RqIQ0g' +
  'CiEOAkADQCAOIAtPDQEgACAOQQJ0aigCACEPIAAgDkECdGooAgQhEP0MAAAAAAAAAAAAAAAAAAAAACEV/QwAAAAAAA' +
  'AAAAAAAAAAAAAAIRb9DAAAAAAAAAAAAAAAAAAAAAAhF/0MAAAAAAAAAAAAAAAAAAAAACEYAkADQCAPQQFqIBBPDQEg' +
  'AiAPQQJ0aioCALv9FCESIA0gASAPQQJ0aigCAEEGdGohESACIA9BAnRqKgIEu/0UIRMgDSABIA9BAnRqKAIEQQZ0ai' +
  'EUIBUgEiAR/QAEAP3yAf3wASATIBT9AAQA/fIB/fABIRUgFiASIBH9AAQQ/fIB/fABIBMgFP0ABBD98gH98AEhFiAX' +
  'IBIgEf0ABCD98gH98AEgEyAU/QAEIP3yAf3wASEXIBggEiAR/QAEMP3yAf3wASATIBT9AAQw/fIB/fABIRggD0ECai' +
  'EPDAALCwJAA0AgDyAQTw0BIAIgD0ECdGoqAgC7/RQhEiANIAEgD0ECdGooAgBBBnRqIREgFSASIBH9AAQA/fIB/fAB' +
  'IRUgFiASIBH9AAQQ/fIB/fABIRYgFyASIBH9AAQg/fIB/fABIRcgGCASIBH9AAQw/fIB/fABIRggD0EBaiEPDAALCy' +
  'AEIA4gB2wgDGpBA3RqIREgESAV/QsEACARIBb9CwQQIBEgF/0LBCAgESAY/QsEMCAOQQFqIQ4MAAsLIAxBCGohDAwA' +
  'CwsgCyEKDAALCwuLAwIIfwV7IAUhCgJAA0AgCiAGTw0BIAogCWohCyALIAZLBEAgBiELC0EAIQwCQANAIAwgB08NAS' +
  'ADIAwgCGxBAnRqIQ0gCiEOAkADQCAOIAtPDQEgACAOQQJ0aigCACEPIAAgDkECdGooAgQhEP0MAAAAAAAAAAAAAAAA' +
  'AAAAACET/QwAAAAAAAAAAAAAAAAAAAAAIRT9DAAAAAAAAAAAAAAAAAAAAAAhFf0MAAAAAAAAAAAAAAAAAAAAACEWAk' +
  'ADQCAPIBBPDQEgAiAPQQJ0aioCAP0TIRIgDSABIA9BAnRqKAIAQQZ0aiERIBMgEiAR/QAEAP3mAf3kASETIBQgEiAR' +
  '/QAEEP3mAf3kASEUIBUgEiAR/QAEIP3mAf3kASEVIBYgEiAR/QAEMP3mAf3kASEWIA9BAWohDwwACwsgBCAOIAdsIA' +
  'xqQQJ0aiERIBEgE/0LBAAgESAU/QsEECARIBX9CwQgIBEgFv0LBDAgDkEBaiEODAALCyAMQRBqIQwMAAsLIAshCgwA' +
  'CwsL+wIFBn8BewF8AXsCfyABQQZ0IRMgAkF+cSEOIAcEQCAIQQAgBEEDdPwLAAsgACELAkADQCAJIAFPDQFEAAAAAA' +
  'AA8D8hECAHQQBHIRIgB0EBRgRAIAYgCUEDdGorAwAhECAQRAAAAAAAAAAAYiESCyAQ/RQhEUEAIQoCQANAIAogBE8N' +
  'Af0MAAAAAAAAAAAAAAAAAAAAACEPIAogDkkEQCALIApBA3Rq/QAEACEPBSAKIAJJBEAgCyAKQQN0av1dAwAhDwsLIB' +
  'IgCiACSXEEQCAIIApBA3RqIQ0gB0ECRgRAIA0gDf0ABAAgD/3wAf0LBAAFIA0gDf0ABAAgESAP/fIB/fAB/QsEAAsL' +
  'IAUEQCADIApBBHYgE2wgCUEGdCAKQQ9xQQJ0ampqIQwgDCAP/V79WwMAAAUgAyAKQQN2IBNsIAlBBnQgCkEHcUEDdG' +
  'pqaiEMIAwgD/0LBAALIApBAmohCgwACwsgCyACQQN0aiELIAlBAWohCQwACwsL+wEFBH8BewF8AXsBfyAEIQwCQANA' +
  'IAkgAU8NASAHIRAgB0EBRgRAIAYgCUEDdGorAwAhDiAORAAAAAAAAAAAYQRAQQAhEAsLIA79FCEPIAAgCSACbEECQQ' +
  'MgAxt0aiELQQAhCgJAA0AgCiAFTw0BIAMEQCALIApBAnRq/V0DAP1fIQ0FIAsgCkEDdGr9AAQAIQ0LIBBBAkYEQCAN' +
  'IAggCkEDdGr9AAQA/fEBIQ0LIBBBAUYEQCANIA8gCCAKQQN0av0ABAD98gH98QEhDQsgDCAKQQN0aiAN/QsEACAKQQ' +
  'JqIQoMAAsLIAwgBUEDdGohDCAJQQFqIQkMAAsLC84CAQl/IAVBACAEQQFqQQJ0/AsAIAAgA0ECdGooAgAhCQJAA0Ag' +
  'CCAJTw0BIAUgASAIQQJ0aigCAEECdGohDSANIA0oAgRBAWo2AgQgCEEBaiEIDAALCwJAA0AgCiAETw0BIAUgCkECdG' +
  'ohDSANKAIEIRAgDSAPNgIAIA8gEGohDyAKQQFqIQoMAAsLAkADQCALIANPDQEgACALQQJ0aigCACEIIAAgC0ECdGoo' +
  'AgQhDAJAA0AgCCAMTw0BIAUgASAIQQJ0aigCAEECdGohDSANKAIAIQ4gDSAOQQFqNgIAIAYgDkECdGogCzYCACAHIA' +
  '5BAnRqIAIgCEECdGooAgA2AgAgCEEBaiEIDAALCyALQQFqIQsMAAsLIAQhCgJAA0AgCkUNASAFIApBAnRqIQ0gDSAN' +
  'QQRrKAIANgIAIApBAWshCgwACwsgBUEANgIAC8sEAwh/BXsBfCAEQQN0IQ4gACEKIAYhCwJAA0AgByABTw0BQQAhCA' +
  'JAA0AgCEEIaiAFSw0B/QwAAAAAAAAAAAAAAAAAAAAAIRD9DAAAAAAAAAAAAAAAAAAAAAAhEf0MAAAAAAAAAAAAAAAA' +
  'AAAAACES/QwAAAAAAAAAAAAAAAAAAAAAIRMgCiEMIAMgCEEDdGohDUEAIQkCQANAIAkgAk8NASAM/QoDACEPIBAgDy' +
  'AN/QAEAP3yAf3wASEQIBEgDyAN/QAEEP3yAf3wASERIBIgDyAN/QAEIP3yAf3wASESIBMgDyAN/QAEMP3yAf3wASET' +
  'IAxBCGohDCANIA5qIQ0gCUEBaiEJDAALCyALIAhBA3RqIQwgDCAQ/QsEACAMIBH9CwQQIAwgEv0LBCAgDCAT/QsEMC' +
  'AIQQhqIQgMAAsLAkADQCAIQQJqIAVLDQH9DAAAAAAAAAAAAAAAAAAAAAAhECAKIQwgAyAIQQN0aiENQQAhCQJAA0Ag' +
  'CSACTw0BIBAgDP0KAwAgDf0ABAD98gH98AEhECAMQQhqIQwgDSAOaiENIAlBAWohCQwACwsgCyAIQQN0aiAQ/QsEAC' +
  'AIQQJqIQgMAAsLIAggBUkEQEQAAAAAAAAAACEUIAohDCADIAhBA3RqIQ1BACEJAkADQCAJIAJPDQEgFCAMKwMAIA0r' +
  'AwCioCEUIAxBCGohDCANIA5qIQ0gCUEBaiEJDAALCyALIAhBA3RqIBQ5AwALIAogAkEDdGohCiALIAVBA3RqIQsgB0' +
  'EBaiEHDAALCwulBAQHfwF7AXwEeyACQQN0IQkgACABIAlsaiEIIANBACACIAls/AsAAkADQCAEIAJPDQEgAyAEIAls' +
  'aiEKIAQhBQJAA0AgBUEIaiACSw0B/QwAAAAAAAAAAAAAAAAAAAAAIQ39DAAAAAAAAAAAAAAAAAAAAAAhDv0MAAAAAA' +
  'AAAAAAAAAAAAAAACEP/QwAAAAAAAAAAAAAAAAAAAAAIRAgACEGAkADQCAGIAhPDQEgBiAEQQN0av0KAwAhCyAGIAVB' +
  'A3RqIQcgDSALIAf9AAQA/fIB/fABIQ0gDiALIAf9AAQQ/fIB/fABIQ4gDyALIAf9AAQg/fIB/fABIQ8gECALIAf9AA' +
  'Qw/fIB/fABIRAgBiAJaiEGDAALCyAKIAVBA3RqIQcgByAN/QsEACAHIA79CwQQIAcgD/0LBCAgByAQ/QsEMCAFQQhq' +
  'IQUMAAsLAkADQCAFQQJqIAJLDQH9DAAAAAAAAAAAAAAAAAAAAAAhDSAAIQYCQANAIAYgCE8NASANIAYgBEEDdGr9Cg' +
  'MAIAYgBUEDdGr9AAQA/fIB/fABIQ0gBiAJaiEGDAALCyAKIAVBA3RqIA39CwQAIAVBAmohBQwACwsgBSACSQRARAAA' +
  'AAAAAAAAIQwgACEGAkADQCAGIAhPDQEgDCAGIARBA3RqKwMAIAYgBUEDdGorAwCioCEMIAYgCWohBgwACwsgCiAFQQ' +
  'N0aiAMOQMACyAEQQFqIQQMAAsLC+oGAwl/B3sKfCABQX5xQQN0IQogAUEDdCELIAJBA3QhDAJAA0AgBEE8Tw0BRAAA' +
  'AAAAAAAAIRdBACEFAkADQCAFIAJBAWtODQEgACAFIAtsaiEHIAVBAWohBgJAA0AgBiACTw0BIAAgBiALbGohCP0MAA' +
  'AAAAAAAAAAAAAAAAAAACEP/QwAAAAAAAAAAAAAAAAAAAAAIRD9DAAAAAAAAAAAAAAAAAAAAAAhEUEAIQkCQANAIAkg' +
  'Ck8NASAHIAlq/QAEACENIAggCWr9AAQAIQ4gDyANIA398gH98AEhDyAQIA4gDv3yAf3wASEQIBEgDSAO/fIB/fABIR' +
  'EgCUEQaiEJDAALCyAP/SEAIRQgEP0hACEVIBH9IQAhFiAKIAtJBEAgByAKaisDACEcIAggCmorAwAhHSAUIBwgHKKg' +
  'IRQgFSAdIB2ioCEVIBYgHCAdoqAhFgsgFCAP/SEBoCEUIBUgEP0hAaAhFSAWIBH9IQGgIRYCQCAWRAAAAAAAAAAAYQ' +
  '0AIBaZRBZW556vA9I8IBQgFaKfomUNACAXIBaZIBQgFaKfo6UhFyAVIBShRAAAAAAAAABAIBaioyEYRAAAAAAAAPA/' +
  'RAAAAAAAAPA/IBimIBhEAAAAAAAAAABhIBggGGJyGyAYmUQAAAAAAADwPyAYIBiioJ+goyEZRAAAAAAAAPA/RAAAAA' +
  'AAAPA/IBkgGaKgn6MhGiAaIBmiIRsgGv0UIRIgG/0UIRNBACEJAkADQCAJIApPDQEgByAJav0ABAAhDSAIIAlq/QAE' +
  'ACEOIAcgCWogEiAN/fIBIBMgDv3yAf3xAf0LBAAgCCAJaiATIA398gEgEiAO/fIB/fAB/QsEACAJQRBqIQkMAAsLIA' +
  'ogC0kEQCAHIApqKwMAIRwgCCAKaisDACEdIAcgCmogGiAcoiAbIB2ioTkDACAIIApqIBsgHKIgGiAdoqA5AwALQQAh' +
  'CQJAA0AgCSAMTw0BIAMgBSAMbGogCWorAwAhHCADIAYgDGxqIAlqKwMAIR0gAyAFIAxsaiAJaiAaIByiIBsgHaKhOQ' +
  'MAIAMgBiAMbGogCWogGyAcoiAaIB2ioDkDACAJQQhqIQkMAAsLCyAGQQFqIQYMAAsLIAVBAWohBQwACwsgF0QWVuee' +
  'rwPSPGMNASAEQQFqIQQMAAsLC1kDAX8CfAJ/QX8hCCAAIARBA3RqIQkCQANAIAUgAU8NASADIAVqLQAARQRAIAkrAw' +
  'CZIQcgByAGZARAIAchBiAFIQgLCyAJIAJqIQkgBUEBaiEFDAALCyAIC88HAwx/CHwCeyACQQN0IQYgBEEDdCEHIAdB' +
  'CGohCCAHQRBqIQkgCSACIARrQQJrQX5xQQN0aiEKIAMgBWpBAToAACAAIAUgBmxqIQtEAAAAAAAA8D8gCyAHaisDAK' +
  'MhEiALIAhqKwMAIRRBfyENIAAhEAJAA0AgDyABTw0BIAMgD2otAABFBEAgECAHaisDACASoiEVIBAgB2ogFTkDACAQ' +
  'IAhqKwMAIBUgFKKhIRcgECAIaiAXOQMAIBeZIRggGCAZZARAIBghGSAPIQ0LCyAQIAZqIRAgD0EBaiEPDAALC0F/IQ' +
  '5EAAAAAAAAAAAhGSANQQBIBEAgACEQQQAhDwJAA0AgDyABTw0BIAMgD2otAABFBEAgECAHaisDACEVIBX9FCEaIAkh' +
  'EQJAA0AgESAKTw0BIBAgEWogECARav0ABAAgGiALIBFq/QAEAP3yAf3xAf0LBAAgEUEQaiERDAALCyARIAZJBEAgEC' +
  'ARaiAQIBFqKwMAIBUgCyARaisDAKKhOQMACyAJIAZJBEAgECAJaisDAJkhGCAYIBlkBEAgGCEZIA8hDgsLCyAQIAZq' +
  'IRAgD0EBaiEPDAALCwUgAyANakEBOgAAIAAgDSAGbGohDCAMIAdqKwMAIRUgFf0UIRogCSERAkADQCARIApPDQEgDC' +
  'ARaiAMIBFq/QAEACAaIAsgEWr9AAQA/fIB/fEB/QsEACARQRBqIREMAAsLIBEgBkkEQCAMIBFqIAwgEWorAwAgFSAL' +
  'IBFqKwMAoqE5AwALRAAAAAAAAPA/IAwgCGorAwCjIRMgACEQQQAhDwJAA0AgDyABTw0BIAMgD2otAABFBEAgECAHai' +
  'sDACEVIBAgCGorAwAgE6IhFiAQIAhqIBY5AwAgFf0UIRogFv0UIRsgCSERAkADQCARIApPDQEgECARaiAQIBFq/QAE' +
  'ACAaIAsgEWr9AAQA/fIB/fEBIBsgDCARav0ABAD98gH98QH9CwQAIBFBEGohEQwACwsgESAGSQRAIBAgEWogECARai' +
  'sDACAVIAsgEWorAwCioSAWIAwgEWorAwCioTkDAAsgCSAGSQRAIBAgCWorAwCZIRggGCAZZARAIBghGSAPIQ4LCwsg' +
  'ECAGaiEQIA9BAWohDwwACwsgDCAIakQAAAAAAADwPzkDACAJIRECQANAIBEgBk8NASAMIBFqRAAAAAAAAAAAOQMAIB' +
  'FBCGohEQwACwsLIAsgB2pEAAAAAAAA8D85AwAgCCERAkADQCARIAZPDQEgCyARakQAAAAAAAAAADkDACARQQhqIREM' +
  'AAsLIA4L3AQDDn8EfAF7IAJBA3QhBCACIAEgAiABSRshBiADQQAgAfwLACAGRQRADwsgACABIAQgA0EAEAghBwJAA0' +
  'AgBSAGTw0BIAdBAE4gBUEBaiAGSXEEQCAAIAEgAiADIAUgBxAJIQcgBUECaiEFDAELIAVBA3QhDCAMQQhqIQ0gDSAC' +
  'IAVrQQFrQX5xQQN0aiEOQX8hCCAHQQBOBEAgAyAHakEBOgAAIAAgByAEbGohC0QAAAAAAADwPyALIAxqKwMAoyESRA' +
  'AAAAAAAAAAIRUgACEKQQAhCQJAA0AgCSABTw0BIAMgCWotAABFBEAgCiAMaisDACASoiETIAogDGogEzkDACAT/RQh' +
  'FiANIQ8CQANAIA9BIGogDksNASAKIA9qIRAgCyAPaiERIBAgEP0ABAAgFiAR/QAEAP3yAf3xAf0LBAAgECAQ/QAEEC' +
  'AWIBH9AAQQ/fIB/fEB/QsEECAPQSBqIQ8MAAsLIA8gDkkEQCAKIA9qIAogD2r9AAQAIBYgCyAPav0ABAD98gH98QH9' +
  'CwQAIA9BEGohDwsgDyAESQRAIAogD2ogCiAPaisDACATIAsgD2orAwCioTkDAAsgDSAESQRAIAogDWorAwCZIRQgFC' +
  'AVZARAIBQhFSAJIQgLCwsgCiAEaiEKIAlBAWohCQwACwsgCyAMakQAAAAAAADwPzkDACANIQ8CQANAIA8gBE8NASAL' +
  'IA9qRAAAAAAAAAAAOQMAIA9BCGohDwwACwsFIAVBAWogBkkEQCAAIAEgBCADIAVBAWoQCCEICwsgCCEHIAVBAWohBQ' +
  'wACwsL';

/** The parts of the WebAssembly JS API used here (the TS lib in use has no WebAssembly types). */
