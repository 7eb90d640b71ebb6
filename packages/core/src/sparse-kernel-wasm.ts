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
