;; chromflow's wasm-SIMD training kernels. They run on the memory of the
;; tfjs-backend-wasm module (imported as env.memory) and touch only the
;; buffers whose byte offsets they are given: no data segments, no stack,
;; no globals. Element type f32; `c` = channels (last axis), `rows` = the
;; product of the other axes. Vector loops use 4 lanes, a scalar tail handles
;; c % 4 (and n % 4). Rebuild: `node wasm/build.mjs`.
(module
  (import "env" "memory" (memory 1))

  ;; e^a for 4 lanes: range reduction a = n·ln2 + r, degree-6 Taylor on r, 2^n via exponent bits.
  (func $exp4 (param $a v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $a (f32x4.max (f32x4.min (local.get $a) (f32x4.splat (f32.const 88.3))) (f32x4.splat (f32.const -87.3))))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $a) (f32x4.splat (f32.const 1.44269504)))))
    (local.set $r (f32x4.sub (local.get $a) (f32x4.mul (local.get $n) (f32x4.splat (f32.const 0.693359375)))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $n) (f32x4.splat (f32.const -2.12194440e-4)))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 0.00833333333)) (f32x4.mul (local.get $r) (f32x4.splat (f32.const 0.00138888889)))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 0.0416666667)) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 0.166666667)) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 0.5)) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $r) (local.get $p))))
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (i32x4.splat (i32.const 127))) (i32.const 23))))

  ;; σ(1.702·x) for 4 lanes
  (func $sig4 (param $x v128) (result v128)
    (f32x4.div (f32x4.splat (f32.const 1))
      (f32x4.add (f32x4.splat (f32.const 1))
        (call $exp4 (f32x4.mul (local.get $x) (f32x4.splat (f32.const -1.702)))))))

  ;; y = x·σ(1.702x), n elements
  (func (export "gelu") (param $x i32) (param $y i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $loop
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (v128.load align=4 (local.get $x)))
      (v128.store align=4 (local.get $y) (f32x4.mul (local.get $v) (call $sig4 (local.get $v))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br $loop)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tdone (loop $tail
      (br_if $tdone (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (f32x4.splat (f32.load (local.get $x))))
      (f32.store (local.get $y) (f32x4.extract_lane 0 (f32x4.mul (local.get $v) (call $sig4 (local.get $v)))))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (br $tail))))

  ;; dx = dy·(s + 1.702·x·s·(1 − s)), s = σ(1.702x)
  (func $geluGrad4 (param $x v128) (param $g v128) (result v128)
    (local $s v128)
    (local.set $s (call $sig4 (local.get $x)))
    (f32x4.mul (local.get $g)
      (f32x4.add (local.get $s)
        (f32x4.mul (f32x4.mul (f32x4.splat (f32.const 1.702)) (local.get $x))
          (f32x4.mul (local.get $s) (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $s)))))))

  (func (export "gelu_grad") (param $x i32) (param $dy i32) (param $dx i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $loop
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (v128.store align=4 (local.get $dx)
        (call $geluGrad4 (v128.load align=4 (local.get $x)) (v128.load align=4 (local.get $dy))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
      (br $loop)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tdone (loop $tail
      (br_if $tdone (i32.ge_u (local.get $x) (local.get $end)))
      (f32.store (local.get $dx) (f32x4.extract_lane 0
        (call $geluGrad4 (f32x4.splat (f32.load (local.get $x))) (f32x4.splat (f32.load (local.get $dy))))))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 4)))
      (br $tail))))

  ;; Per-channel kernels over [rows, c]. $j walks byte offsets within a row.

  ;; acc[j] += Σ_r x[r, j]  (mode 0); acc[j] += Σ_r (x[r, j] − m[j])²  (mode 1)
  (func (export "col_moments") (param $x i32) (param $rows i32) (param $c i32) (param $m i32) (param $acc i32) (param $mode i32)
    (local $rowBytes i32) (local $vecBytes i32) (local $r i32) (local $j i32) (local $d v128) (local $s f32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $vecBytes (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $vdone (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $j) (local.get $vecBytes)))
        (local.set $d (v128.load align=4 (i32.add (local.get $x) (local.get $j))))
        (if (local.get $mode) (then
          (local.set $d (f32x4.sub (local.get $d) (v128.load align=4 (i32.add (local.get $m) (local.get $j)))))
          (local.set $d (f32x4.mul (local.get $d) (local.get $d)))))
        (v128.store align=4 (i32.add (local.get $acc) (local.get $j))
          (f32x4.add (v128.load align=4 (i32.add (local.get $acc) (local.get $j))) (local.get $d)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $vloop)))
      (block $tdone (loop $tloop
        (br_if $tdone (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (local.set $s (f32.load (i32.add (local.get $x) (local.get $j))))
        (if (local.get $mode) (then
          (local.set $s (f32.sub (local.get $s) (f32.load (i32.add (local.get $m) (local.get $j)))))
          (local.set $s (f32.mul (local.get $s) (local.get $s)))))
        (f32.store (i32.add (local.get $acc) (local.get $j))
          (f32.add (f32.load (i32.add (local.get $acc) (local.get $j))) (local.get $s)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $tloop)))
      (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rloop))))

  ;; y[r, j] = x[r, j]·a[j] + b[j]
  (func (export "col_affine") (param $x i32) (param $y i32) (param $rows i32) (param $c i32) (param $a i32) (param $b i32)
    (local $rowBytes i32) (local $vecBytes i32) (local $r i32) (local $j i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $vecBytes (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $vdone (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $j) (local.get $vecBytes)))
        (v128.store align=4 (i32.add (local.get $y) (local.get $j))
          (f32x4.add
            (f32x4.mul (v128.load align=4 (i32.add (local.get $x) (local.get $j))) (v128.load align=4 (i32.add (local.get $a) (local.get $j))))
            (v128.load align=4 (i32.add (local.get $b) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $vloop)))
      (block $tdone (loop $tloop
        (br_if $tdone (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (f32.store (i32.add (local.get $y) (local.get $j))
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $x) (local.get $j))) (f32.load (i32.add (local.get $a) (local.get $j))))
            (f32.load (i32.add (local.get $b) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $tloop)))
      (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
      (local.set $y (i32.add (local.get $y) (local.get $rowBytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rloop))))

  ;; accDy[j] += Σ dy[r, j];  accDyXc[j] += Σ dy[r, j]·(x[r, j] − m[j])
  (func (export "bn_grad_sums") (param $x i32) (param $dy i32) (param $rows i32) (param $c i32) (param $m i32) (param $accDy i32) (param $accDyXc i32)
    (local $rowBytes i32) (local $vecBytes i32) (local $r i32) (local $j i32) (local $g v128) (local $gs f32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $vecBytes (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $vdone (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $j) (local.get $vecBytes)))
        (local.set $g (v128.load align=4 (i32.add (local.get $dy) (local.get $j))))
        (v128.store align=4 (i32.add (local.get $accDy) (local.get $j))
          (f32x4.add (v128.load align=4 (i32.add (local.get $accDy) (local.get $j))) (local.get $g)))
        (v128.store align=4 (i32.add (local.get $accDyXc) (local.get $j))
          (f32x4.add (v128.load align=4 (i32.add (local.get $accDyXc) (local.get $j)))
            (f32x4.mul (local.get $g)
              (f32x4.sub (v128.load align=4 (i32.add (local.get $x) (local.get $j))) (v128.load align=4 (i32.add (local.get $m) (local.get $j)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $vloop)))
      (block $tdone (loop $tloop
        (br_if $tdone (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (local.set $gs (f32.load (i32.add (local.get $dy) (local.get $j))))
        (f32.store (i32.add (local.get $accDy) (local.get $j))
          (f32.add (f32.load (i32.add (local.get $accDy) (local.get $j))) (local.get $gs)))
        (f32.store (i32.add (local.get $accDyXc) (local.get $j))
          (f32.add (f32.load (i32.add (local.get $accDyXc) (local.get $j)))
            (f32.mul (local.get $gs)
              (f32.sub (f32.load (i32.add (local.get $x) (local.get $j))) (f32.load (i32.add (local.get $m) (local.get $j)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $tloop)))
      (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
      (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rloop))))

  ;; dx[r, j] = k0[j]·dy[r, j] − k1[j]·x[r, j] − k2[j]
  (func (export "bn_grad_apply") (param $x i32) (param $dy i32) (param $dx i32) (param $rows i32) (param $c i32) (param $k0 i32) (param $k1 i32) (param $k2 i32)
    (local $rowBytes i32) (local $vecBytes i32) (local $r i32) (local $j i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $vecBytes (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $vdone (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $j) (local.get $vecBytes)))
        (v128.store align=4 (i32.add (local.get $dx) (local.get $j))
          (f32x4.sub
            (f32x4.sub
              (f32x4.mul (v128.load align=4 (i32.add (local.get $k0) (local.get $j))) (v128.load align=4 (i32.add (local.get $dy) (local.get $j))))
              (f32x4.mul (v128.load align=4 (i32.add (local.get $k1) (local.get $j))) (v128.load align=4 (i32.add (local.get $x) (local.get $j)))))
            (v128.load align=4 (i32.add (local.get $k2) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $vloop)))
      (block $tdone (loop $tloop
        (br_if $tdone (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (f32.store (i32.add (local.get $dx) (local.get $j))
          (f32.sub
            (f32.sub
              (f32.mul (f32.load (i32.add (local.get $k0) (local.get $j))) (f32.load (i32.add (local.get $dy) (local.get $j))))
              (f32.mul (f32.load (i32.add (local.get $k1) (local.get $j))) (f32.load (i32.add (local.get $x) (local.get $j)))))
            (f32.load (i32.add (local.get $k2) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $tloop)))
      (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
      (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
      (local.set $dx (i32.add (local.get $dx) (local.get $rowBytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rloop))))
)
