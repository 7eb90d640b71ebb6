/**
 * The LU renormalisation of the randomized SVD in WebAssembly text, part of the module
 * `SPARSE_KERNEL_WAT`: partial pivoting on a row-major float64 block in place (`lu`,
 * with `$pivotOf` and the two-step pass `$luPair`), the operations of dense-linalg's
 * `luInPlace` JavaScript path in the same order, so the same bits.
 */
export const LU_KERNEL_WAT = `  ;; lu: partial-pivoting LU of the rows × l float64 matrix at $y (row-major, 8·l bytes a
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
`;
