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

  ;; 1-D convolution filter gradient (stride 1) over the rows b ∈ [b0, b1), o ∈ [o0, o1):
  ;; dw[fx, ci, co] += Σ xp[b, o + fx, ci] · dy[b, o, co]. xp: [·, wp, cp] (the input, zero-padded
  ;; in length and channels), dy: [·, ow, cop], dw: [fw, cp, cop]; cp % 4 = 0, cop % 8 = 0.
  ;; Register tile: 4 input channels × 8 output channels (8 accumulators), reduction over the rows.
  (func (export "conv1d_filter_grad")
    (param $xp i32) (param $dy i32) (param $dw i32)
    (param $b0 i32) (param $b1 i32) (param $o0 i32) (param $o1 i32)
    (param $wp i32) (param $ow i32) (param $fw i32) (param $cp i32) (param $cop i32)
    (local $xRow i32) (local $dyRow i32) (local $fx i32) (local $ci i32) (local $co i32) (local $b i32)
    (local $t i32) (local $xa i32) (local $da i32) (local $dend i32) (local $span i32)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128) (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128) (local $d0 v128) (local $d1 v128) (local $s v128)
    (local.set $xRow (i32.shl (local.get $cp) (i32.const 2)))
    (local.set $dyRow (i32.shl (local.get $cop) (i32.const 2)))
    (local.set $span (i32.mul (i32.sub (local.get $o1) (local.get $o0)) (local.get $dyRow)))
    (block $fxdone (loop $fxloop
      (br_if $fxdone (i32.ge_u (local.get $fx) (local.get $fw)))
      (local.set $ci (i32.const 0))
      (block $cidone (loop $ciloop
        (br_if $cidone (i32.ge_u (local.get $ci) (local.get $cp)))
        (local.set $co (i32.const 0))
        (block $codone (loop $coloop
          (br_if $codone (i32.ge_u (local.get $co) (local.get $cop)))
          (local.set $t (i32.add (local.get $dw) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $fx) (local.get $cp)) (local.get $ci)) (local.get $cop)) (local.get $co)) (i32.const 2))))
          (local.set $a00 (v128.load offset=0 align=4 (i32.add (local.get $t) (i32.mul (i32.const 0) (local.get $dyRow)))))
          (local.set $a01 (v128.load offset=16 align=4 (i32.add (local.get $t) (i32.mul (i32.const 0) (local.get $dyRow)))))
          (local.set $a10 (v128.load offset=0 align=4 (i32.add (local.get $t) (i32.mul (i32.const 1) (local.get $dyRow)))))
          (local.set $a11 (v128.load offset=16 align=4 (i32.add (local.get $t) (i32.mul (i32.const 1) (local.get $dyRow)))))
          (local.set $a20 (v128.load offset=0 align=4 (i32.add (local.get $t) (i32.mul (i32.const 2) (local.get $dyRow)))))
          (local.set $a21 (v128.load offset=16 align=4 (i32.add (local.get $t) (i32.mul (i32.const 2) (local.get $dyRow)))))
          (local.set $a30 (v128.load offset=0 align=4 (i32.add (local.get $t) (i32.mul (i32.const 3) (local.get $dyRow)))))
          (local.set $a31 (v128.load offset=16 align=4 (i32.add (local.get $t) (i32.mul (i32.const 3) (local.get $dyRow)))))
          (local.set $b (local.get $b0))
          (block $bdone (loop $bloop
            (br_if $bdone (i32.ge_u (local.get $b) (local.get $b1)))
            (local.set $xa (i32.add (local.get $xp) (i32.shl (i32.add (i32.mul (i32.add (i32.add (i32.mul (local.get $b) (local.get $wp)) (local.get $o0)) (local.get $fx)) (local.get $cp)) (local.get $ci)) (i32.const 2))))
            (local.set $da (i32.add (local.get $dy) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $ow)) (local.get $o0)) (local.get $cop)) (local.get $co)) (i32.const 2))))
            (local.set $dend (i32.add (local.get $da) (local.get $span)))
            (block $odone (loop $oloop
              (br_if $odone (i32.ge_u (local.get $da) (local.get $dend)))
              (local.set $d0 (v128.load align=4 (local.get $da)))
              (local.set $d1 (v128.load offset=16 align=4 (local.get $da)))
              (local.set $s (v128.load32_splat offset=0 align=4 (local.get $xa)))
              (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $s (v128.load32_splat offset=4 align=4 (local.get $xa)))
              (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $s (v128.load32_splat offset=8 align=4 (local.get $xa)))
              (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $s (v128.load32_splat offset=12 align=4 (local.get $xa)))
              (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $a31 (f32x4.add (local.get $a31) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $xa (i32.add (local.get $xa) (local.get $xRow)))
              (local.set $da (i32.add (local.get $da) (local.get $dyRow)))
              (br $oloop)))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $bloop)))
          (v128.store offset=0 align=4 (i32.add (local.get $t) (i32.mul (i32.const 0) (local.get $dyRow))) (local.get $a00))
          (v128.store offset=16 align=4 (i32.add (local.get $t) (i32.mul (i32.const 0) (local.get $dyRow))) (local.get $a01))
          (v128.store offset=0 align=4 (i32.add (local.get $t) (i32.mul (i32.const 1) (local.get $dyRow))) (local.get $a10))
          (v128.store offset=16 align=4 (i32.add (local.get $t) (i32.mul (i32.const 1) (local.get $dyRow))) (local.get $a11))
          (v128.store offset=0 align=4 (i32.add (local.get $t) (i32.mul (i32.const 2) (local.get $dyRow))) (local.get $a20))
          (v128.store offset=16 align=4 (i32.add (local.get $t) (i32.mul (i32.const 2) (local.get $dyRow))) (local.get $a21))
          (v128.store offset=0 align=4 (i32.add (local.get $t) (i32.mul (i32.const 3) (local.get $dyRow))) (local.get $a30))
          (v128.store offset=16 align=4 (i32.add (local.get $t) (i32.mul (i32.const 3) (local.get $dyRow))) (local.get $a31))
          (local.set $co (i32.add (local.get $co) (i32.const 8)))
          (br $coloop)))
        (local.set $ci (i32.add (local.get $ci) (i32.const 4)))
        (br $ciloop)))
      (local.set $fx (i32.add (local.get $fx) (i32.const 1)))
      (br $fxloop))))

  ;; 1-D max-pool gradient, window = stride = p, no padding, over nb sequences of w rows of c
  ;; floats (x, dx) and ow = floor(w / p) pooled rows (dy). Each window's gradient goes to its first
  ;; maximal element per channel (x > running maximum, start −∞: the cpu backend's rule, so
  ;; NaN and all −∞ windows get none); the other elements of the window get 0. Rows past
  ;; ow·p are not written.
  (func (export "max_pool_grad_1d")
    (param $x i32) (param $dy i32) (param $dx i32) (param $nb i32) (param $ow i32) (param $w i32) (param $p i32) (param $c i32)
    (local $rowBytes i32) (local $vecBytes i32) (local $b i32) (local $o i32) (local $j i32) (local $k i32)
    (local $off i32) (local $skip i32)
    (local $m v128) (local $v v128) (local $g v128) (local $taken v128) (local $mask v128)
    (local $ms f32) (local $vs f32) (local $gs f32) (local $best i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $vecBytes (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (local.set $skip (i32.mul (i32.sub (local.get $w) (i32.mul (local.get $ow) (local.get $p))) (local.get $rowBytes)))
    (block $bdone (loop $bloop
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $nb)))
      (local.set $o (i32.const 0))
      (block $odone (loop $oloop
        (br_if $odone (i32.ge_u (local.get $o) (local.get $ow)))
        (local.set $j (i32.const 0))
        (block $vdone (loop $vloop
          (br_if $vdone (i32.ge_u (local.get $j) (local.get $vecBytes)))
          (local.set $m (f32x4.splat (f32.const -inf)))
          (local.set $k (i32.const 0))
          (local.set $off (i32.add (local.get $x) (local.get $j)))
          (block $mdone (loop $mloop
            (br_if $mdone (i32.ge_u (local.get $k) (local.get $p)))
            (local.set $m (f32x4.pmax (local.get $m) (v128.load align=4 (local.get $off))))
            (local.set $off (i32.add (local.get $off) (local.get $rowBytes)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $mloop)))
          (local.set $taken (f32x4.eq (local.get $m) (f32x4.splat (f32.const -inf))))
          (local.set $g (v128.load align=4 (i32.add (local.get $dy) (local.get $j))))
          (local.set $k (i32.const 0))
          (local.set $off (local.get $j))
          (block $gdone (loop $gloop
            (br_if $gdone (i32.ge_u (local.get $k) (local.get $p)))
            (local.set $mask (v128.andnot
              (f32x4.eq (v128.load align=4 (i32.add (local.get $x) (local.get $off))) (local.get $m))
              (local.get $taken)))
            (v128.store align=4 (i32.add (local.get $dx) (local.get $off)) (v128.and (local.get $g) (local.get $mask)))
            (local.set $taken (v128.or (local.get $taken) (local.get $mask)))
            (local.set $off (i32.add (local.get $off) (local.get $rowBytes)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $gloop)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $vloop)))
        (block $tdone (loop $tloop
          (br_if $tdone (i32.ge_u (local.get $j) (local.get $rowBytes)))
          (local.set $ms (f32.const -inf))
          (local.set $best (i32.const -1))
          (local.set $k (i32.const 0))
          (local.set $off (i32.add (local.get $x) (local.get $j)))
          (block $smdone (loop $smloop
            (br_if $smdone (i32.ge_u (local.get $k) (local.get $p)))
            (local.set $vs (f32.load (local.get $off)))
            (if (f32.gt (local.get $vs) (local.get $ms)) (then
              (local.set $ms (local.get $vs))
              (local.set $best (local.get $k))))
            (local.set $off (i32.add (local.get $off) (local.get $rowBytes)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $smloop)))
          (local.set $gs (f32.load (i32.add (local.get $dy) (local.get $j))))
          (local.set $k (i32.const 0))
          (local.set $off (i32.add (local.get $dx) (local.get $j)))
          (block $sgdone (loop $sgloop
            (br_if $sgdone (i32.ge_u (local.get $k) (local.get $p)))
            (f32.store (local.get $off)
              (select (local.get $gs) (f32.const 0) (i32.eq (local.get $k) (local.get $best))))
            (local.set $off (i32.add (local.get $off) (local.get $rowBytes)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $sgloop)))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $tloop)))
        (local.set $x (i32.add (local.get $x) (i32.mul (local.get $p) (local.get $rowBytes))))
        (local.set $dx (i32.add (local.get $dx) (i32.mul (local.get $p) (local.get $rowBytes))))
        (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $oloop)))
      (local.set $x (i32.add (local.get $x) (local.get $skip)))
      (local.set $dx (i32.add (local.get $dx) (local.get $skip)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bloop))))
)
