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
  ;; gemm: c = a·b for a rows × l, b l × k (row stride ldb floats) and c rows × k, all
  ;; float64 row-major; each c[i,col] summed over j ascending from 0 (no FMA), 8 columns
  ;; (four f64x2 accumulators) at a time, then pairs, then a last odd column.
  (func (export "gemm")
    (param $a i32) (param $rows i32) (param $l i32) (param $b i32) (param $ldb i32)
    (param $k i32) (param $c i32)
    (local $i i32) (local $col i32) (local $j i32) (local $arow i32) (local $crow i32)
    (local $pa i32) (local $pb i32) (local $sb i32) (local $x v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f64)
    (local.set $sb (i32.shl (local.get $ldb) (i32.const 3)))
    (local.set $arow (local.get $a))
    (local.set $crow (local.get $c))
    (block $idone (loop $rowsLoop
      (br_if $idone (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $col (i32.const 0))
      (block $done8 (loop $blocks8
        (br_if $done8 (i32.gt_u (i32.add (local.get $col) (i32.const 8)) (local.get $k)))
        (local.set $a0 (v128.const i64x2 0 0)) (local.set $a1 (v128.const i64x2 0 0))
        (local.set $a2 (v128.const i64x2 0 0)) (local.set $a3 (v128.const i64x2 0 0))
        (local.set $pa (local.get $arow))
        (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $col) (i32.const 3))))
        (local.set $j (i32.const 0))
        (block $jdone (loop $js
          (br_if $jdone (i32.ge_u (local.get $j) (local.get $l)))
          (local.set $x (v128.load64_splat (local.get $pa)))
          (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $x) (v128.load (local.get $pb)))))
          (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $x) (v128.load offset=16 (local.get $pb)))))
          (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $x) (v128.load offset=32 (local.get $pb)))))
          (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $x) (v128.load offset=48 (local.get $pb)))))
          (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
          (local.set $pb (i32.add (local.get $pb) (local.get $sb)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $js)))
        (local.set $pa (i32.add (local.get $crow) (i32.shl (local.get $col) (i32.const 3))))
        (v128.store (local.get $pa) (local.get $a0))
        (v128.store offset=16 (local.get $pa) (local.get $a1))
        (v128.store offset=32 (local.get $pa) (local.get $a2))
        (v128.store offset=48 (local.get $pa) (local.get $a3))
        (local.set $col (i32.add (local.get $col) (i32.const 8)))
        (br $blocks8)))
      (block $done2 (loop $blocks2
        (br_if $done2 (i32.gt_u (i32.add (local.get $col) (i32.const 2)) (local.get $k)))
        (local.set $a0 (v128.const i64x2 0 0))
        (local.set $pa (local.get $arow))
        (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $col) (i32.const 3))))
        (local.set $j (i32.const 0))
        (block $jdone (loop $js
          (br_if $jdone (i32.ge_u (local.get $j) (local.get $l)))
          (local.set $a0 (f64x2.add (local.get $a0)
            (f64x2.mul (v128.load64_splat (local.get $pa)) (v128.load (local.get $pb)))))
          (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
          (local.set $pb (i32.add (local.get $pb) (local.get $sb)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $js)))
        (v128.store (i32.add (local.get $crow) (i32.shl (local.get $col) (i32.const 3))) (local.get $a0))
        (local.set $col (i32.add (local.get $col) (i32.const 2)))
        (br $blocks2)))
      (if (i32.lt_u (local.get $col) (local.get $k)) (then
        (local.set $s (f64.const 0))
        (local.set $pa (local.get $arow))
        (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $col) (i32.const 3))))
        (local.set $j (i32.const 0))
        (block $jdone (loop $js
          (br_if $jdone (i32.ge_u (local.get $j) (local.get $l)))
          (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (local.get $pa)) (f64.load (local.get $pb)))))
          (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
          (local.set $pb (i32.add (local.get $pb) (local.get $sb)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $js)))
        (f64.store (i32.add (local.get $crow) (i32.shl (local.get $col) (i32.const 3))) (local.get $s))))
      (local.set $arow (i32.add (local.get $arow) (i32.shl (local.get $l) (i32.const 3))))
      (local.set $crow (i32.add (local.get $crow) (i32.shl (local.get $k) (i32.const 3))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowsLoop))))
  ;; gram: g[a,b] = Σ_i y[i,a]·y[i,b] for b ≥ a (i ascending from 0, no FMA) and 0 for
  ;; b < a; y rows × l and g l × l float64 row-major. 8 columns b at a time, then pairs.
  (func (export "gram")
    (param $y i32) (param $rows i32) (param $l i32) (param $g i32)
    (local $ca i32) (local $cb i32) (local $py i32) (local $pp i32) (local $end i32) (local $stride i32)
    (local $grow i32) (local $x v128) (local $s f64)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $stride (i32.shl (local.get $l) (i32.const 3)))
    (local.set $end (i32.add (local.get $y) (i32.mul (local.get $rows) (local.get $stride))))
    (memory.fill (local.get $g) (i32.const 0) (i32.mul (local.get $l) (local.get $stride)))
    (block $adone (loop $as
      (br_if $adone (i32.ge_u (local.get $ca) (local.get $l)))
      (local.set $grow (i32.add (local.get $g) (i32.mul (local.get $ca) (local.get $stride))))
      (local.set $cb (local.get $ca))
      (block $done8 (loop $blocks8
        (br_if $done8 (i32.gt_u (i32.add (local.get $cb) (i32.const 8)) (local.get $l)))
        (local.set $a0 (v128.const i64x2 0 0)) (local.set $a1 (v128.const i64x2 0 0))
        (local.set $a2 (v128.const i64x2 0 0)) (local.set $a3 (v128.const i64x2 0 0))
        (local.set $py (local.get $y))
        (block $idone (loop $is
          (br_if $idone (i32.ge_u (local.get $py) (local.get $end)))
          (local.set $x (v128.load64_splat (i32.add (local.get $py) (i32.shl (local.get $ca) (i32.const 3)))))
          (local.set $pp (i32.add (local.get $py) (i32.shl (local.get $cb) (i32.const 3))))
          (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $x) (v128.load (local.get $pp)))))
          (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $x) (v128.load offset=16 (local.get $pp)))))
          (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $x) (v128.load offset=32 (local.get $pp)))))
          (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $x) (v128.load offset=48 (local.get $pp)))))
          (local.set $py (i32.add (local.get $py) (local.get $stride)))
          (br $is)))
        (local.set $pp (i32.add (local.get $grow) (i32.shl (local.get $cb) (i32.const 3))))
        (v128.store (local.get $pp) (local.get $a0))
        (v128.store offset=16 (local.get $pp) (local.get $a1))
        (v128.store offset=32 (local.get $pp) (local.get $a2))
        (v128.store offset=48 (local.get $pp) (local.get $a3))
        (local.set $cb (i32.add (local.get $cb) (i32.const 8)))
        (br $blocks8)))
      (block $done2 (loop $blocks2
        (br_if $done2 (i32.gt_u (i32.add (local.get $cb) (i32.const 2)) (local.get $l)))
        (local.set $a0 (v128.const i64x2 0 0))
        (local.set $py (local.get $y))
        (block $idone (loop $is
          (br_if $idone (i32.ge_u (local.get $py) (local.get $end)))
          (local.set $a0 (f64x2.add (local.get $a0)
            (f64x2.mul (v128.load64_splat (i32.add (local.get $py) (i32.shl (local.get $ca) (i32.const 3))))
              (v128.load (i32.add (local.get $py) (i32.shl (local.get $cb) (i32.const 3)))))))
          (local.set $py (i32.add (local.get $py) (local.get $stride)))
          (br $is)))
        (v128.store (i32.add (local.get $grow) (i32.shl (local.get $cb) (i32.const 3))) (local.get $a0))
        (local.set $cb (i32.add (local.get $cb) (i32.const 2)))
        (br $blocks2)))
      (if (i32.lt_u (local.get $cb) (local.get $l)) (then
        (local.set $s (f64.const 0))
        (local.set $py (local.get $y))
        (block $idone (loop $is
          (br_if $idone (i32.ge_u (local.get $py) (local.get $end)))
          (local.set $s (f64.add (local.get $s)
            (f64.mul (f64.load (i32.add (local.get $py) (i32.shl (local.get $ca) (i32.const 3))))
              (f64.load (i32.add (local.get $py) (i32.shl (local.get $cb) (i32.const 3)))))))
          (local.set $py (i32.add (local.get $py) (local.get $stride)))
          (br $is)))
        (f64.store (i32.add (local.get $grow) (i32.shl (local.get $cb) (i32.const 3))) (local.get $s))))
      (local.set $ca (i32.add (local.get $ca) (i32.const 1)))
      (br $as))))
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
  ;; jacobi: one-sided Jacobi rotations on the l columns at $cols (float64, column-major,
  ;; n rows each), applied to the l columns of W stored as rows of $wt (Wᵀ, l × l), until
  ;; every pair is orthogonal to 1e-15 (at most 60 sweeps); the arithmetic of
  ;; dense-linalg's jacobiSweeps: dot products in two lanes (even, odd rows) then added.
  (func (export "jacobi") (param $cols i32) (param $n i32) (param $l i32) (param $wt i32)
    (local $sweep i32) (local $a i32) (local $b i32) (local $pa i32) (local $pb i32)
    (local $o i32) (local $end2 i32) (local $endN i32) (local $endL i32)
    (local $va v128) (local $vb v128) (local $al v128) (local $be v128) (local $ga v128)
    (local $csv v128) (local $snv v128)
    (local $alpha f64) (local $beta f64) (local $gamma f64) (local $off f64) (local $zeta f64)
    (local $t f64) (local $cs f64) (local $sn f64) (local $x f64) (local $y f64)
    (local.set $end2 (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (local.set $endN (i32.shl (local.get $n) (i32.const 3)))
    (local.set $endL (i32.shl (local.get $l) (i32.const 3)))
    (block $sdone (loop $sweeps
      (br_if $sdone (i32.ge_u (local.get $sweep) (i32.const 60)))
      (local.set $off (f64.const 0))
      (local.set $a (i32.const 0))
      (block $adone (loop $as
        (br_if $adone (i32.ge_s (local.get $a) (i32.sub (local.get $l) (i32.const 1))))
        (local.set $pa (i32.add (local.get $cols) (i32.mul (local.get $a) (local.get $endN))))
        (local.set $b (i32.add (local.get $a) (i32.const 1)))
        (block $bdone (loop $bs
          (br_if $bdone (i32.ge_u (local.get $b) (local.get $l)))
          (local.set $pb (i32.add (local.get $cols) (i32.mul (local.get $b) (local.get $endN))))
          (local.set $al (v128.const i64x2 0 0))
          (local.set $be (v128.const i64x2 0 0))
          (local.set $ga (v128.const i64x2 0 0))
          (local.set $o (i32.const 0))
          (block $ddone (loop $dots
            (br_if $ddone (i32.ge_u (local.get $o) (local.get $end2)))
            (local.set $va (v128.load (i32.add (local.get $pa) (local.get $o))))
            (local.set $vb (v128.load (i32.add (local.get $pb) (local.get $o))))
            (local.set $al (f64x2.add (local.get $al) (f64x2.mul (local.get $va) (local.get $va))))
            (local.set $be (f64x2.add (local.get $be) (f64x2.mul (local.get $vb) (local.get $vb))))
            (local.set $ga (f64x2.add (local.get $ga) (f64x2.mul (local.get $va) (local.get $vb))))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br $dots)))
          (local.set $alpha (f64x2.extract_lane 0 (local.get $al)))
          (local.set $beta (f64x2.extract_lane 0 (local.get $be)))
          (local.set $gamma (f64x2.extract_lane 0 (local.get $ga)))
          (if (i32.lt_u (local.get $end2) (local.get $endN)) (then
            (local.set $x (f64.load (i32.add (local.get $pa) (local.get $end2))))
            (local.set $y (f64.load (i32.add (local.get $pb) (local.get $end2))))
            (local.set $alpha (f64.add (local.get $alpha) (f64.mul (local.get $x) (local.get $x))))
            (local.set $beta (f64.add (local.get $beta) (f64.mul (local.get $y) (local.get $y))))
            (local.set $gamma (f64.add (local.get $gamma) (f64.mul (local.get $x) (local.get $y))))))
          (local.set $alpha (f64.add (local.get $alpha) (f64x2.extract_lane 1 (local.get $al))))
          (local.set $beta (f64.add (local.get $beta) (f64x2.extract_lane 1 (local.get $be))))
          (local.set $gamma (f64.add (local.get $gamma) (f64x2.extract_lane 1 (local.get $ga))))
          (block $skip
            (br_if $skip (f64.eq (local.get $gamma) (f64.const 0)))
            (br_if $skip (f64.le (f64.abs (local.get $gamma))
              (f64.mul (f64.const 1e-15) (f64.sqrt (f64.mul (local.get $alpha) (local.get $beta))))))
            (local.set $off (f64.max (local.get $off)
              (f64.div (f64.abs (local.get $gamma)) (f64.sqrt (f64.mul (local.get $alpha) (local.get $beta))))))
            (local.set $zeta (f64.div (f64.sub (local.get $beta) (local.get $alpha))
              (f64.mul (f64.const 2) (local.get $gamma))))
            ;; Math.sign(zeta || 1): 1 for a zero or NaN zeta
            (local.set $t (f64.div
              (select (f64.const 1) (f64.copysign (f64.const 1) (local.get $zeta))
                (i32.or (f64.eq (local.get $zeta) (f64.const 0)) (f64.ne (local.get $zeta) (local.get $zeta))))
              (f64.add (f64.abs (local.get $zeta))
                (f64.sqrt (f64.add (f64.const 1) (f64.mul (local.get $zeta) (local.get $zeta)))))))
            (local.set $cs (f64.div (f64.const 1) (f64.sqrt (f64.add (f64.const 1) (f64.mul (local.get $t) (local.get $t))))))
            (local.set $sn (f64.mul (local.get $cs) (local.get $t)))
            (local.set $csv (f64x2.splat (local.get $cs)))
            (local.set $snv (f64x2.splat (local.get $sn)))
            (local.set $o (i32.const 0))
            (block $rdone (loop $rot
              (br_if $rdone (i32.ge_u (local.get $o) (local.get $end2)))
              (local.set $va (v128.load (i32.add (local.get $pa) (local.get $o))))
              (local.set $vb (v128.load (i32.add (local.get $pb) (local.get $o))))
              (v128.store (i32.add (local.get $pa) (local.get $o))
                (f64x2.sub (f64x2.mul (local.get $csv) (local.get $va)) (f64x2.mul (local.get $snv) (local.get $vb))))
              (v128.store (i32.add (local.get $pb) (local.get $o))
                (f64x2.add (f64x2.mul (local.get $snv) (local.get $va)) (f64x2.mul (local.get $csv) (local.get $vb))))
              (local.set $o (i32.add (local.get $o) (i32.const 16)))
              (br $rot)))
            (if (i32.lt_u (local.get $end2) (local.get $endN)) (then
              (local.set $x (f64.load (i32.add (local.get $pa) (local.get $end2))))
              (local.set $y (f64.load (i32.add (local.get $pb) (local.get $end2))))
              (f64.store (i32.add (local.get $pa) (local.get $end2))
                (f64.sub (f64.mul (local.get $cs) (local.get $x)) (f64.mul (local.get $sn) (local.get $y))))
              (f64.store (i32.add (local.get $pb) (local.get $end2))
                (f64.add (f64.mul (local.get $sn) (local.get $x)) (f64.mul (local.get $cs) (local.get $y))))))
            ;; the same rotation of W's columns a and b (rows a and b of Wᵀ), scalar
            (local.set $o (i32.const 0))
            (block $wdone (loop $wrot
              (br_if $wdone (i32.ge_u (local.get $o) (local.get $endL)))
              (local.set $x (f64.load (i32.add (i32.add (local.get $wt) (i32.mul (local.get $a) (local.get $endL))) (local.get $o))))
              (local.set $y (f64.load (i32.add (i32.add (local.get $wt) (i32.mul (local.get $b) (local.get $endL))) (local.get $o))))
              (f64.store (i32.add (i32.add (local.get $wt) (i32.mul (local.get $a) (local.get $endL))) (local.get $o))
                (f64.sub (f64.mul (local.get $cs) (local.get $x)) (f64.mul (local.get $sn) (local.get $y))))
              (f64.store (i32.add (i32.add (local.get $wt) (i32.mul (local.get $b) (local.get $endL))) (local.get $o))
                (f64.add (f64.mul (local.get $sn) (local.get $x)) (f64.mul (local.get $cs) (local.get $y))))
              (local.set $o (i32.add (local.get $o) (i32.const 8)))
              (br $wrot))))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $bs)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $as)))
      (br_if $sdone (f64.lt (local.get $off) (f64.const 1e-15)))
      (local.set $sweep (i32.add (local.get $sweep) (i32.const 1)))
      (br $sweeps))))
  ;; lu: partial-pivoting LU of the rows × l float64 matrix at $y (row-major, 8·l bytes a
  ;; row), in place, leaving P·L (scipy's lu(permute_l=True)). Step k takes the first row of
  ;; largest |y[i,k]| among those not yet pivots, then for every other non-pivot row i:
  ;; y[i,k] ← y[i,k]·(1/y[piv,k]) and y[i,j] ← y[i,j] − y[i,k]·y[piv,j] for j > k, while the
  ;; pivot of column k+1 is sought in the same pass; the pivot row then becomes e_k on
  ;; columns ≥ k. $flags: rows bytes of scratch (pivot marks). A zero column leaves
  ;; L's column as it is.
  (func $pivotOf (param $y i32) (param $rows i32) (param $stride i32) (param $flags i32)
    (param $k i32) (result i32)
    (local $i i32) (local $best f64) (local $a f64) (local $piv i32) (local $at i32)
    (local.set $piv (i32.const -1))
    (local.set $at (i32.add (local.get $y) (i32.shl (local.get $k) (i32.const 3))))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
      (if (i32.eqz (i32.load8_u (i32.add (local.get $flags) (local.get $i)))) (then
        (local.set $a (f64.abs (f64.load (local.get $at))))
        (if (f64.gt (local.get $a) (local.get $best)) (then
          (local.set $best (local.get $a))
          (local.set $piv (local.get $i))))))
      (local.set $at (i32.add (local.get $at) (local.get $stride)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows)))
    (local.get $piv))
  ;; luPair: steps k and k+1 of lu at once (piv: step k's pivot row; k + 1 < min(rows, l)),
  ;; the same operations on every entry in the same order: a pass updating column k+1
  ;; alone (step k) and seeking its pivot p2, then one pass applying both steps to the
  ;; columns after it (y ← (y − f·u_k) − g·u_p2) and seeking column k+2's pivot, returned
  ;; (−1 if none). A zero column k+1 finishes step k alone.
  (func $luPair (param $y i32) (param $rows i32) (param $l i32) (param $flags i32)
    (param $k i32) (param $piv i32) (result i32)
    (local $stride i32) (local $ko i32) (local $k1o i32) (local $j2 i32) (local $pairsEnd i32)
    (local $u i32) (local $u2 i32) (local $p2 i32) (local $next i32) (local $i i32)
    (local $row i32) (local $o i32)
    (local $inv f64) (local $inv2 f64) (local $uk1 f64) (local $f f64) (local $g f64)
    (local $v f64) (local $a f64) (local $best f64) (local $fv v128) (local $gv v128)
    (local.set $stride (i32.shl (local.get $l) (i32.const 3)))
    (local.set $ko (i32.shl (local.get $k) (i32.const 3)))
    (local.set $k1o (i32.add (local.get $ko) (i32.const 8)))
    (local.set $j2 (i32.add (local.get $ko) (i32.const 16)))
    (local.set $pairsEnd (i32.add (local.get $j2)
      (i32.shl (i32.and (i32.sub (i32.sub (local.get $l) (local.get $k)) (i32.const 2)) (i32.const -2)) (i32.const 3))))
    (i32.store8 (i32.add (local.get $flags) (local.get $piv)) (i32.const 1))
    (local.set $u (i32.add (local.get $y) (i32.mul (local.get $piv) (local.get $stride))))
    (local.set $inv (f64.div (f64.const 1) (f64.load (i32.add (local.get $u) (local.get $ko)))))
    (local.set $uk1 (f64.load (i32.add (local.get $u) (local.get $k1o))))
    ;; pass A: step k on columns k and k+1, and column k+1's pivot
    (local.set $p2 (i32.const -1))
    (local.set $row (local.get $y))
    (block $adone (loop $as
      (br_if $adone (i32.ge_u (local.get $i) (local.get $rows)))
      (if (i32.eqz (i32.load8_u (i32.add (local.get $flags) (local.get $i)))) (then
        (local.set $f (f64.mul (f64.load (i32.add (local.get $row) (local.get $ko))) (local.get $inv)))
        (f64.store (i32.add (local.get $row) (local.get $ko)) (local.get $f))
        (local.set $v (f64.sub (f64.load (i32.add (local.get $row) (local.get $k1o)))
          (f64.mul (local.get $f) (local.get $uk1))))
        (f64.store (i32.add (local.get $row) (local.get $k1o)) (local.get $v))
        (local.set $a (f64.abs (local.get $v)))
        (if (f64.gt (local.get $a) (local.get $best)) (then
          (local.set $best (local.get $a))
          (local.set $p2 (local.get $i))))))
      (local.set $row (i32.add (local.get $row) (local.get $stride)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $as)))
    (local.set $next (i32.const -1))
    (local.set $best (f64.const 0))
    (if (i32.lt_s (local.get $p2) (i32.const 0))
      (then
        ;; column k+1 is zero: finish step k on the columns after it
        (local.set $row (local.get $y))
        (local.set $i (i32.const 0))
        (block $bdone (loop $bs
          (br_if $bdone (i32.ge_u (local.get $i) (local.get $rows)))
          (if (i32.eqz (i32.load8_u (i32.add (local.get $flags) (local.get $i)))) (then
            (local.set $f (f64.load (i32.add (local.get $row) (local.get $ko))))
            (local.set $fv (f64x2.splat (local.get $f)))
            (local.set $o (local.get $j2))
            (block $pdone (loop $pairs
              (br_if $pdone (i32.ge_u (local.get $o) (local.get $pairsEnd)))
              (v128.store (i32.add (local.get $row) (local.get $o))
                (f64x2.sub (v128.load (i32.add (local.get $row) (local.get $o)))
                  (f64x2.mul (local.get $fv) (v128.load (i32.add (local.get $u) (local.get $o))))))
              (local.set $o (i32.add (local.get $o) (i32.const 16)))
              (br $pairs)))
            (if (i32.lt_u (local.get $o) (local.get $stride)) (then
              (f64.store (i32.add (local.get $row) (local.get $o))
                (f64.sub (f64.load (i32.add (local.get $row) (local.get $o)))
                  (f64.mul (local.get $f) (f64.load (i32.add (local.get $u) (local.get $o))))))))
            (if (i32.lt_u (local.get $j2) (local.get $stride)) (then
              (local.set $a (f64.abs (f64.load (i32.add (local.get $row) (local.get $j2)))))
              (if (f64.gt (local.get $a) (local.get $best)) (then
                (local.set $best (local.get $a))
                (local.set $next (local.get $i))))))))
          (local.set $row (i32.add (local.get $row) (local.get $stride)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $bs))))
      (else
        (i32.store8 (i32.add (local.get $flags) (local.get $p2)) (i32.const 1))
        (local.set $u2 (i32.add (local.get $y) (i32.mul (local.get $p2) (local.get $stride))))
        ;; step k on p2's row after column k+1, then p2's row is u_k+1
        (local.set $f (f64.load (i32.add (local.get $u2) (local.get $ko))))
        (local.set $fv (f64x2.splat (local.get $f)))
        (local.set $o (local.get $j2))
        (block $pdone (loop $pairs
          (br_if $pdone (i32.ge_u (local.get $o) (local.get $pairsEnd)))
          (v128.store (i32.add (local.get $u2) (local.get $o))
            (f64x2.sub (v128.load (i32.add (local.get $u2) (local.get $o)))
              (f64x2.mul (local.get $fv) (v128.load (i32.add (local.get $u) (local.get $o))))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br $pairs)))
        (if (i32.lt_u (local.get $o) (local.get $stride)) (then
          (f64.store (i32.add (local.get $u2) (local.get $o))
            (f64.sub (f64.load (i32.add (local.get $u2) (local.get $o)))
              (f64.mul (local.get $f) (f64.load (i32.add (local.get $u) (local.get $o))))))))
        (local.set $inv2 (f64.div (f64.const 1) (f64.load (i32.add (local.get $u2) (local.get $k1o)))))
        ;; pass B: steps k and k+1 on the columns after k+1, and column k+2's pivot
        (local.set $row (local.get $y))
        (local.set $i (i32.const 0))
        (block $bdone (loop $bs
          (br_if $bdone (i32.ge_u (local.get $i) (local.get $rows)))
          (if (i32.eqz (i32.load8_u (i32.add (local.get $flags) (local.get $i)))) (then
            (local.set $f (f64.load (i32.add (local.get $row) (local.get $ko))))
            (local.set $g (f64.mul (f64.load (i32.add (local.get $row) (local.get $k1o))) (local.get $inv2)))
            (f64.store (i32.add (local.get $row) (local.get $k1o)) (local.get $g))
            (local.set $fv (f64x2.splat (local.get $f)))
            (local.set $gv (f64x2.splat (local.get $g)))
            (local.set $o (local.get $j2))
            (block $pdone (loop $pairs
              (br_if $pdone (i32.ge_u (local.get $o) (local.get $pairsEnd)))
              (v128.store (i32.add (local.get $row) (local.get $o))
                (f64x2.sub
                  (f64x2.sub (v128.load (i32.add (local.get $row) (local.get $o)))
                    (f64x2.mul (local.get $fv) (v128.load (i32.add (local.get $u) (local.get $o)))))
                  (f64x2.mul (local.get $gv) (v128.load (i32.add (local.get $u2) (local.get $o))))))
              (local.set $o (i32.add (local.get $o) (i32.const 16)))
              (br $pairs)))
            (if (i32.lt_u (local.get $o) (local.get $stride)) (then
              (f64.store (i32.add (local.get $row) (local.get $o))
                (f64.sub
                  (f64.sub (f64.load (i32.add (local.get $row) (local.get $o)))
                    (f64.mul (local.get $f) (f64.load (i32.add (local.get $u) (local.get $o)))))
                  (f64.mul (local.get $g) (f64.load (i32.add (local.get $u2) (local.get $o))))))))
            (if (i32.lt_u (local.get $j2) (local.get $stride)) (then
              (local.set $a (f64.abs (f64.load (i32.add (local.get $row) (local.get $j2)))))
              (if (f64.gt (local.get $a) (local.get $best)) (then
                (local.set $best (local.get $a))
                (local.set $next (local.get $i))))))))
          (local.set $row (i32.add (local.get $row) (local.get $stride)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $bs)))
        ;; p2's row: 1 at k+1, 0 after
        (f64.store (i32.add (local.get $u2) (local.get $k1o)) (f64.const 1))
        (local.set $o (local.get $j2))
        (block $zdone (loop $zero
          (br_if $zdone (i32.ge_u (local.get $o) (local.get $stride)))
          (f64.store (i32.add (local.get $u2) (local.get $o)) (f64.const 0))
          (local.set $o (i32.add (local.get $o) (i32.const 8)))
          (br $zero)))))
    ;; the step-k pivot row: 1 at k, 0 after
    (f64.store (i32.add (local.get $u) (local.get $ko)) (f64.const 1))
    (local.set $o (local.get $k1o))
    (block $zdone (loop $zero
      (br_if $zdone (i32.ge_u (local.get $o) (local.get $stride)))
      (f64.store (i32.add (local.get $u) (local.get $o)) (f64.const 0))
      (local.set $o (i32.add (local.get $o) (i32.const 8)))
      (br $zero)))
    (local.get $next))
  (func (export "lu")
    (param $y i32) (param $rows i32) (param $l i32) (param $flags i32)
    (local $stride i32) (local $k i32) (local $kMax i32) (local $piv i32) (local $next i32)
    (local $i i32) (local $row i32) (local $u i32) (local $ko i32) (local $j0 i32)
    (local $pairsEnd i32) (local $o i32) (local $p i32) (local $pu i32)
    (local $inv f64) (local $x f64) (local $a f64) (local $best f64) (local $xv v128)
    (local.set $stride (i32.shl (local.get $l) (i32.const 3)))
    (local.set $kMax (select (local.get $l) (local.get $rows) (i32.lt_u (local.get $l) (local.get $rows))))
    (memory.fill (local.get $flags) (i32.const 0) (local.get $rows))
    (if (i32.eqz (local.get $kMax)) (then (return)))
    (local.set $piv (call $pivotOf (local.get $y) (local.get $rows) (local.get $stride) (local.get $flags) (i32.const 0)))
    (block $done (loop $steps
      (br_if $done (i32.ge_u (local.get $k) (local.get $kMax)))
      ;; two steps a round while there are two
      (if (i32.and (i32.ge_s (local.get $piv) (i32.const 0))
            (i32.lt_u (i32.add (local.get $k) (i32.const 1)) (local.get $kMax))) (then
        (local.set $piv (call $luPair (local.get $y) (local.get $rows) (local.get $l)
          (local.get $flags) (local.get $k) (local.get $piv)))
        (local.set $k (i32.add (local.get $k) (i32.const 2)))
        (br $steps)))
      (local.set $ko (i32.shl (local.get $k) (i32.const 3)))
      (local.set $j0 (i32.add (local.get $ko) (i32.const 8)))
      (local.set $pairsEnd (i32.add (local.get $j0)
        (i32.shl (i32.and (i32.sub (i32.sub (local.get $l) (local.get $k)) (i32.const 1)) (i32.const -2)) (i32.const 3))))
      (local.set $next (i32.const -1))
      (if (i32.ge_s (local.get $piv) (i32.const 0)) (then
        (i32.store8 (i32.add (local.get $flags) (local.get $piv)) (i32.const 1))
        (local.set $u (i32.add (local.get $y) (i32.mul (local.get $piv) (local.get $stride))))
        (local.set $inv (f64.div (f64.const 1) (f64.load (i32.add (local.get $u) (local.get $ko)))))
        (local.set $best (f64.const 0))
        (local.set $row (local.get $y))
        (local.set $i (i32.const 0))
        (block $rdone (loop $rowsLoop
          (br_if $rdone (i32.ge_u (local.get $i) (local.get $rows)))
          (if (i32.eqz (i32.load8_u (i32.add (local.get $flags) (local.get $i)))) (then
            (local.set $x (f64.mul (f64.load (i32.add (local.get $row) (local.get $ko))) (local.get $inv)))
            (f64.store (i32.add (local.get $row) (local.get $ko)) (local.get $x))
            (local.set $xv (f64x2.splat (local.get $x)))
            (local.set $o (local.get $j0))
            ;; two pairs a round, then a last pair
            (block $qdone (loop $quads
              (br_if $qdone (i32.gt_u (i32.add (local.get $o) (i32.const 32)) (local.get $pairsEnd)))
              (local.set $p (i32.add (local.get $row) (local.get $o)))
              (local.set $pu (i32.add (local.get $u) (local.get $o)))
              (v128.store (local.get $p)
                (f64x2.sub (v128.load (local.get $p)) (f64x2.mul (local.get $xv) (v128.load (local.get $pu)))))
              (v128.store offset=16 (local.get $p)
                (f64x2.sub (v128.load offset=16 (local.get $p)) (f64x2.mul (local.get $xv) (v128.load offset=16 (local.get $pu)))))
              (local.set $o (i32.add (local.get $o) (i32.const 32)))
              (br $quads)))
            (if (i32.lt_u (local.get $o) (local.get $pairsEnd)) (then
              (v128.store (i32.add (local.get $row) (local.get $o))
                (f64x2.sub (v128.load (i32.add (local.get $row) (local.get $o)))
                  (f64x2.mul (local.get $xv) (v128.load (i32.add (local.get $u) (local.get $o))))))
              (local.set $o (i32.add (local.get $o) (i32.const 16)))))
            (if (i32.lt_u (local.get $o) (local.get $stride)) (then
              (f64.store (i32.add (local.get $row) (local.get $o))
                (f64.sub (f64.load (i32.add (local.get $row) (local.get $o)))
                  (f64.mul (local.get $x) (f64.load (i32.add (local.get $u) (local.get $o))))))))
            (if (i32.lt_u (local.get $j0) (local.get $stride)) (then
              (local.set $a (f64.abs (f64.load (i32.add (local.get $row) (local.get $j0)))))
              (if (f64.gt (local.get $a) (local.get $best)) (then
                (local.set $best (local.get $a))
                (local.set $next (local.get $i))))))))
          (local.set $row (i32.add (local.get $row) (local.get $stride)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $rowsLoop)))
        ;; the pivot row: 1 at k, 0 after
        (f64.store (i32.add (local.get $u) (local.get $ko)) (f64.const 1))
        (local.set $o (local.get $j0))
        (block $zdone (loop $zero
          (br_if $zdone (i32.ge_u (local.get $o) (local.get $stride)))
          (f64.store (i32.add (local.get $u) (local.get $o)) (f64.const 0))
          (local.set $o (i32.add (local.get $o) (i32.const 8)))
          (br $zero))))
      (else
        ;; a zero column: nothing to eliminate; seek the next column's pivot on its own
        (if (i32.lt_u (i32.add (local.get $k) (i32.const 1)) (local.get $kMax)) (then
          (local.set $next (call $pivotOf (local.get $y) (local.get $rows) (local.get $stride)
            (local.get $flags) (i32.add (local.get $k) (i32.const 1))))))))
      (local.set $piv (local.get $next))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $steps))))
)
`;

/** `SPARSE_KERNEL_WAT` assembled (see there). */
export const SPARSE_KERNEL_WASM_BASE64 =
  'AGFzbQEAAAABSQdgCn9/f39/f39/f38AYAl/f39/f39/f38AYAd/f39/f39/AGAEf39/fwBgCH9/f39/f39/AGAFf3' +
  '9/f38Bf2AGf39/f39/AX8CEgEDZW52Bm1lbW9yeQIDAYCABAMMCwAAAQECAwQDBQYDB0kJBHNwbW0AAAZzcG1tMzIA' +
  'AQRwYWNrAAIGdW5wYWNrAAMEZ2VtbQAEBGdyYW0ABQl0cmFuc3Bvc2UABgZqYWNvYmkABwJsdQAKCrIsC+8EBAh/An' +
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
  'JqIQoMAAsLIAwgBUEDdGohDCAJQQFqIQkMAAsLC8sEAwh/BXsBfCAEQQN0IQ4gACEKIAYhCwJAA0AgByABTw0BQQAh' +
  'CAJAA0AgCEEIaiAFSw0B/QwAAAAAAAAAAAAAAAAAAAAAIRD9DAAAAAAAAAAAAAAAAAAAAAAhEf0MAAAAAAAAAAAAAA' +
  'AAAAAAACES/QwAAAAAAAAAAAAAAAAAAAAAIRMgCiEMIAMgCEEDdGohDUEAIQkCQANAIAkgAk8NASAM/QoDACEPIBAg' +
  'DyAN/QAEAP3yAf3wASEQIBEgDyAN/QAEEP3yAf3wASERIBIgDyAN/QAEIP3yAf3wASESIBMgDyAN/QAEMP3yAf3wAS' +
  'ETIAxBCGohDCANIA5qIQ0gCUEBaiEJDAALCyALIAhBA3RqIQwgDCAQ/QsEACAMIBH9CwQQIAwgEv0LBCAgDCAT/QsE' +
  'MCAIQQhqIQgMAAsLAkADQCAIQQJqIAVLDQH9DAAAAAAAAAAAAAAAAAAAAAAhECAKIQwgAyAIQQN0aiENQQAhCQJAA0' +
  'AgCSACTw0BIBAgDP0KAwAgDf0ABAD98gH98AEhECAMQQhqIQwgDSAOaiENIAlBAWohCQwACwsgCyAIQQN0aiAQ/QsE' +
  'ACAIQQJqIQgMAAsLIAggBUkEQEQAAAAAAAAAACEUIAohDCADIAhBA3RqIQ1BACEJAkADQCAJIAJPDQEgFCAMKwMAIA' +
  '0rAwCioCEUIAxBCGohDCANIA5qIQ0gCUEBaiEJDAALCyALIAhBA3RqIBQ5AwALIAogAkEDdGohCiALIAVBA3RqIQsg' +
  'B0EBaiEHDAALCwulBAQHfwF7AXwEeyACQQN0IQkgACABIAlsaiEIIANBACACIAls/AsAAkADQCAEIAJPDQEgAyAEIA' +
  'lsaiEKIAQhBQJAA0AgBUEIaiACSw0B/QwAAAAAAAAAAAAAAAAAAAAAIQ39DAAAAAAAAAAAAAAAAAAAAAAhDv0MAAAA' +
  'AAAAAAAAAAAAAAAAACEP/QwAAAAAAAAAAAAAAAAAAAAAIRAgACEGAkADQCAGIAhPDQEgBiAEQQN0av0KAwAhCyAGIA' +
  'VBA3RqIQcgDSALIAf9AAQA/fIB/fABIQ0gDiALIAf9AAQQ/fIB/fABIQ4gDyALIAf9AAQg/fIB/fABIQ8gECALIAf9' +
  'AAQw/fIB/fABIRAgBiAJaiEGDAALCyAKIAVBA3RqIQcgByAN/QsEACAHIA79CwQQIAcgD/0LBCAgByAQ/QsEMCAFQQ' +
  'hqIQUMAAsLAkADQCAFQQJqIAJLDQH9DAAAAAAAAAAAAAAAAAAAAAAhDSAAIQYCQANAIAYgCE8NASANIAYgBEEDdGr9' +
  'CgMAIAYgBUEDdGr9AAQA/fIB/fABIQ0gBiAJaiEGDAALCyAKIAVBA3RqIA39CwQAIAVBAmohBQwACwsgBSACSQRARA' +
  'AAAAAAAAAAIQwgACEGAkADQCAGIAhPDQEgDCAGIARBA3RqKwMAIAYgBUEDdGorAwCioCEMIAYgCWohBgwACwsgCiAF' +
  'QQN0aiAMOQMACyAEQQFqIQQMAAsLC84CAQl/IAVBACAEQQFqQQJ0/AsAIAAgA0ECdGooAgAhCQJAA0AgCCAJTw0BIA' +
  'UgASAIQQJ0aigCAEECdGohDSANIA0oAgRBAWo2AgQgCEEBaiEIDAALCwJAA0AgCiAETw0BIAUgCkECdGohDSANKAIE' +
  'IRAgDSAPNgIAIA8gEGohDyAKQQFqIQoMAAsLAkADQCALIANPDQEgACALQQJ0aigCACEIIAAgC0ECdGooAgQhDAJAA0' +
  'AgCCAMTw0BIAUgASAIQQJ0aigCAEECdGohDSANKAIAIQ4gDSAOQQFqNgIAIAYgDkECdGogCzYCACAHIA5BAnRqIAIg' +
  'CEECdGooAgA2AgAgCEEBaiEIDAALCyALQQFqIQsMAAsLIAQhCgJAA0AgCkUNASAFIApBAnRqIQ0gDSANQQRrKAIANg' +
  'IAIApBAWshCgwACwsgBUEANgIAC+oGAwl/B3sKfCABQX5xQQN0IQogAUEDdCELIAJBA3QhDAJAA0AgBEE8Tw0BRAAA' +
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
