import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { SimdKernels } from './simd.js';
import { makeFloat, view } from './wasm-heap.js';

/**
 * Convolutions of inputs whose rows (channel vectors) come from a small
 * dictionary, such as one-hot DNA (A, C, G, T, plus N as 0.25 each): the
 * first layer of every sequence CNN. Each row is replaced by its pattern
 * index; the forward pass adds precomputed rows pattern·w[fx] (no
 * multiplications) and the filter gradient sums dy per (fx, pattern).
 * Exact for any such input (same products, the zero ones included); inputs
 * with more distinct rows than `maxPatterns` take the general kernels.
 */

/** Most distinct input rows (the padding's zero row included) for the dictionary path. */
export const maxPatterns = 8;
/** Widest input row the dictionary path considers. */
export const maxPatternChannels = 8;

export interface RowDictionary {
  /** Distinct rows, `k × channels`; row 0 is the zero row (padding). */
  patterns: Float32Array;
  k: number;
  /** Heap pointer to i32 codes [batch, wp]: pattern of each zero-padded input row. */
  codes: number;
}

/**
 * Pattern codes of x [B, W, C] laid out zero-padded as [B, wp] (input
 * position w at w + padLeft), on the heap (`simd.free(codes)` after use), or
 * undefined when x has more than `maxPatterns` distinct rows (NaN rows never match).
 */
export function rowDictionary(
  backend: BackendWasm,
  simd: SimdKernels,
  x: TensorInfo,
  geometry: { batch: number; inWidth: number; channels: number; wp: number; padLeft: number },
): RowDictionary | undefined {
  const { batch: B, inWidth: W, channels: C, wp, padLeft } = geometry;
  if (C > maxPatternChannels) return undefined;
  const codes = simd.alloc(B * wp); // zeroed: code 0 = the zero row of the padding
  const pat = simd.alloc(maxPatterns * C); // row 0 = zeros
  const x0 = simd.ptr(x);
  let k = 1;
  for (let b = 0; b < B && k > 0; b++) {
    const w0 = Math.max(0, -padLeft);
    const w1 = Math.min(W, wp - padLeft);
    if (w1 <= w0) continue;
    k = simd.rowCodes(
      x0 + 4 * (b * W + w0) * C,
      w1 - w0,
      C,
      pat,
      k,
      maxPatterns,
      codes + 4 * (b * wp + w0 + padLeft),
    );
  }
  const patterns = k > 0 ? simd.floats(pat, k * C).slice() : new Float32Array(0);
  simd.free(pat);
  if (k <= 0) {
    simd.free(codes);
    return undefined;
  }
  return { patterns: patterns.subarray(0, k * C), k, codes };
}

/** y [B, ow, Cout] = the 1-D stride-1 convolution of the dictionary-coded input with filter [fw, C, Cout]. */
export function conv1dTableForward(
  backend: BackendWasm,
  simd: SimdKernels,
  dict: RowDictionary,
  filter: TensorInfo,
  geometry: { batch: number; outWidth: number; wp: number },
  outShape: number[],
): TensorInfo {
  const [FW, C, Cout] = filter.shape.slice(-3) as [number, number, number];
  const { k, patterns } = dict;
  const out = makeFloat(backend, outShape);
  const table = simd.alloc(FW * k * Cout);
  const fv = view(backend, filter);
  const tv = simd.floats(table, FW * k * Cout);
  for (let fx = 0; fx < FW; fx++) {
    for (let q = 0; q < k; q++) {
      const row = (fx * k + q) * Cout;
      for (let c = 0; c < C; c++) {
        const p = patterns[q * C + c]!;
        const src = (fx * C + c) * Cout;
        for (let co = 0; co < Cout; co++) tv[row + co] = tv[row + co]! + p * fv[src + co]!;
      }
    }
  }
  simd.conv1dTableForward(
    dict.codes,
    table,
    simd.ptr(out),
    geometry.batch,
    geometry.wp,
    geometry.outWidth,
    FW,
    k,
    Cout,
  );
  simd.free(table);
  return out;
}

/** The filter gradient [fw, C, Cout] of `conv1dTableForward` for dy [B, ow, Cout]. */
export function conv1dTableFilterGrad(
  backend: BackendWasm,
  simd: SimdKernels,
  dict: RowDictionary,
  dy: TensorInfo,
  geometry: { batch: number; outWidth: number; wp: number; filterWidth: number; channels: number },
  filterShape: number[],
): TensorInfo {
  const { filterWidth: FW, channels: C } = geometry;
  const Cout = dy.shape[dy.shape.length - 1]!;
  const { k, patterns } = dict;
  const out = makeFloat(backend, filterShape);
  const sums = simd.alloc(FW * k * Cout);
  simd.conv1dTableFilterGrad(
    dict.codes,
    sums,
    simd.ptr(dy),
    geometry.batch,
    geometry.wp,
    geometry.outWidth,
    FW,
    k,
    Cout,
  );
  const sv = simd.floats(sums, FW * k * Cout);
  const ov = view(backend, out);
  ov.fill(0);
  for (let fx = 0; fx < FW; fx++) {
    for (let c = 0; c < C; c++) {
      const dst = (fx * C + c) * Cout;
      for (let q = 1; q < k; q++) {
        const p = patterns[q * C + c]!;
        if (p === 0) continue;
        const src = (fx * k + q) * Cout;
        for (let co = 0; co < Cout; co++) ov[dst + co] = ov[dst + co]! + p * sv[src + co]!;
      }
    }
  }
  simd.free(sums);
  return out;
}
