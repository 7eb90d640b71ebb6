import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs } from './wasm-heap.js';
import {
  asWasmBackend,
  callKernel,
  dispose,
  input,
  makeFloat,
  transposeInto,
  view,
} from './wasm-heap.js';
import { conv1dStride1, copyIntoPadded } from './conv-forward.js';
import { conv1dTableFilterGrad, maxPatternChannels, rowDictionary } from './conv-table.js';
import type { SimdKernels } from './simd.js';
import { simdKernels } from './simd.js';
import { conv1dNativeFilterGrad, conv1dNativeForward, nativeConvBlas } from './native-conv.js';
import { stock } from './stock.js';

/**
 * Convolution gradients for the wasm backend (NHWC, dilation 1).
 * - filter gradient (not registered by tfjs-backend-wasm 4.22): for 1-D
 *   stride-1 convolutions a wasm-SIMD reduction kernel straight from the
 *   (zero-padded) input and dy, no im2col; otherwise im2col of a
 *   chunk of the batch, dyᵀ (blocked transpose) and one XNNPACK GEMM
 *   dyᵀ[Cout, N] × cols[N, K] per chunk, summed, transposed to [fh, fw, Cin, Cout];
 * - input gradient (stock one is a scalar loop): for stride 1, an XNNPACK
 *   convolution of dy with the spatially flipped, in/out-swapped filter and
 *   explicit "full" padding (1-D: chromflow's SIMD convolution, else XNNPACK);
 * - 1-D stride-1 filter and input gradients go to the native GEMM where the
 *   addon is built (`native-conv.ts`);
 *   other strides fall back to the stock kernel.
 */

/** Upper bound on im2col elements materialised at once (≈32 MB). */
const maxColsElements = 8 * 1024 * 1024;

type ConvInfo = backend_util.Conv2DInfo;

function convInfoOf(
  xShape: number[],
  filterShape: number[],
  attrs: Record<string, unknown>,
): ConvInfo {
  const dataFormat = (attrs['dataFormat'] as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC';
  if (dataFormat !== 'NHWC') throw new Error('chromflow conv kernels support NHWC only');
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs['strides'] as [number, number] | number,
    1,
    attrs['pad'] as 'valid' | 'same' | number | backend_util.ExplicitPadding,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
}

/** Fills cols[(b', oy, ox), (fy, fx, ci)] for batches b0..b1 (zero outside the input). */
function im2col(x: Float32Array, info: ConvInfo, b0: number, b1: number, cols: Float32Array): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const K = FH * FW * C;
  let row = 0;
  for (let b = b0; b < b1; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, row++) {
        const rowBase = row * K;
        const ix0 = ox * SW - padLeft;
        const fxStart = Math.max(0, -ix0);
        const fxEnd = Math.min(FW, W - ix0);
        for (let fy = 0; fy < FH; fy++) {
          const iy = oy * SH - padTop + fy;
          const dst = rowBase + fy * FW * C;
          if (iy < 0 || iy >= H || fxEnd <= fxStart) {
            cols.fill(0, dst, dst + FW * C);
            continue;
          }
          if (fxStart > 0) cols.fill(0, dst, dst + fxStart * C);
          if (fxEnd < FW) cols.fill(0, dst + fxEnd * C, dst + FW * C);
          const src = ((b * H + iy) * W + ix0 + fxStart) * C;
          cols.set(x.subarray(src, src + (fxEnd - fxStart) * C), dst + fxStart * C);
        }
      }
    }
  }
}

/**
 * 1-D, stride-1 filter gradient (the case of every XChrom convolution):
 * transposed im2col colsᵀ[(fx, ci), (b, o)] = x[b, o + fx − pad, ci], built
 * with contiguous row copies from a zero-padded xᵀ[ci, b, ·], then one GEMM
 * colsᵀ × dy[(b, o), co] whose result is already the filter layout
 * [fx, ci, co]. The large operand is the GEMM's left side, so XNNPACK only
 * repacks dy (trap 6 in the note).
 */
function filterGrad1d(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: ConvInfo,
): TensorInfo {
  const {
    batchSize: B,
    inWidth: W,
    inChannels: C,
    outWidth: OW,
    outChannels: Cout,
    filterWidth: FW,
  } = info;
  const padLeft = info.padInfo.left;
  const Wp = Math.max(W + padLeft, OW + FW - 1);
  const K = FW * C;
  const chunk = Math.max(1, Math.min(B, Math.floor(maxColsElements / Math.max(1, OW * K))));
  let result: TensorInfo | undefined;
  for (let b0 = 0; b0 < B; b0 += chunk) {
    const b1 = Math.min(B, b0 + chunk);
    const nb = b1 - b0;
    const n = nb * OW;
    const xT = new Float32Array(C * nb * Wp);
    const xv = view(backend, x);
    for (let b = b0; b < b1; b++) {
      const src = b * W * C;
      const rowBase = (b - b0) * Wp + padLeft;
      for (let w = 0; w < W; w++) {
        const s = src + w * C;
        let d = rowBase + w;
        for (let c = 0; c < C; c++, d += nb * Wp) xT[d] = xv[s + c]!;
      }
    }
    const cols = makeFloat(backend, [1, K, n]);
    const cv = view(backend, cols);
    for (let fx = 0; fx < FW; fx++) {
      for (let c = 0; c < C; c++) {
        const dstRow = (fx * C + c) * n;
        for (let b = 0; b < nb; b++) {
          const src = (c * nb + b) * Wp + fx;
          cv.set(xT.subarray(src, src + OW), dstRow + b * OW);
        }
      }
    }
    const dyChunk: TensorInfo =
      b0 === 0 && b1 === B
        ? { dataId: dy.dataId, shape: [1, n, Cout], dtype: 'float32' }
        : makeFloat(backend, [1, n, Cout]);
    if (dyChunk.dataId !== dy.dataId) {
      view(backend, dyChunk).set(view(backend, dy).subarray(b0 * OW * Cout, b1 * OW * Cout));
    }
    const prod = callKernel(
      stock().batchMatMul,
      backend,
      { a: cols, b: dyChunk },
      { transposeA: false, transposeB: false },
    );
    dispose(backend, cols);
    if (dyChunk.dataId !== dy.dataId) dispose(backend, dyChunk);
    if (result === undefined) {
      result = prod;
    } else {
      const acc = view(backend, result);
      const p = view(backend, prod);
      for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + p[i]!;
      dispose(backend, prod);
    }
  }
  if (result === undefined) throw new Error('empty batch in Conv2DBackpropFilter');
  return result;
}

/** Rows (b, o) reduced per call of the SIMD filter-gradient kernel: x and dy rows of a block stay in cache. */
const filterGradRowBlock = 128;

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/**
 * 1-D, stride-1 filter gradient with the wasm-SIMD kernel `conv1d_filter_grad`:
 * dw[fx, ci, co] = Σ_(b, o) xp[b, o + fx, ci]·dy[b, o, co], where xp is x
 * zero-padded to the "full" window range and its channels to a multiple of 4
 * (dy's to a multiple of 8 when needed). Blocks of ≈128 rows keep the
 * operands in cache while every 4×8 register tile of dw is reduced over them.
 */
function filterGrad1dSimd(
  backend: BackendWasm,
  simd: SimdKernels,
  x: TensorInfo,
  dy: TensorInfo,
  info: ConvInfo,
  filterShape: number[],
): TensorInfo {
  const { batchSize: B, inWidth: W, inChannels: C, outWidth: OW, outChannels: Cout } = info;
  const FW = info.filterWidth;
  const padLeft = info.padInfo.left;
  const cp = roundUp(C, 4);
  const cop = roundUp(Cout, 8);
  const wp = OW + FW - 1;
  const out = makeFloat(backend, filterShape);
  const xp = simd.alloc(B * wp * cp);
  const dyp = cop === Cout ? simd.ptr(dy) : simd.alloc(B * OW * cop);
  const direct = cp === C && cop === Cout;
  const dw = direct ? simd.ptr(out) : simd.alloc(FW * cp * cop);
  // Views only after the last allocation (the heap may have grown).
  const xv = view(backend, x);
  const xpv = simd.floats(xp, B * wp * cp);
  copyIntoPadded(xv, xpv, { batch: B, inWidth: W, channels: C, paddedChannels: cp }, wp, padLeft);
  if (cop !== Cout) {
    const dyv = view(backend, dy);
    const dypv = simd.floats(dyp, B * OW * cop);
    for (let r = 0; r < B * OW; r++) {
      dypv.set(dyv.subarray(r * Cout, (r + 1) * Cout), r * cop);
    }
  }
  if (direct) view(backend, out).fill(0);
  if (OW >= filterGradRowBlock) {
    for (let b = 0; b < B; b++) {
      for (let o0 = 0; o0 < OW; o0 += filterGradRowBlock) {
        const o1 = Math.min(OW, o0 + filterGradRowBlock);
        simd.conv1dFilterGrad(xp, dyp, dw, b, b + 1, o0, o1, wp, OW, FW, cp, cop);
      }
    }
  } else {
    const perBlock = Math.max(1, Math.floor(filterGradRowBlock / OW));
    for (let b0 = 0; b0 < B; b0 += perBlock) {
      const b1 = Math.min(B, b0 + perBlock);
      simd.conv1dFilterGrad(xp, dyp, dw, b0, b1, 0, OW, wp, OW, FW, cp, cop);
    }
  }
  if (!direct) {
    const dwv = simd.floats(dw, FW * cp * cop);
    const o = view(backend, out);
    for (let r = 0; r < FW * C; r++) {
      const fx = Math.floor(r / C);
      const src = (fx * cp + (r - fx * C)) * cop;
      o.set(dwv.subarray(src, src + Cout), r * Cout);
    }
    simd.free(dw);
  }
  simd.free(xp);
  if (dyp !== simd.ptr(dy)) simd.free(dyp);
  return out;
}

function conv2dBackpropFilter(args: KernelArgs): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const attrs = args.attrs ?? {};
  const filterShape = attrs['filterShape'] as [number, number, number, number];
  const info = convInfoOf([...x.shape], filterShape, attrs);
  if (
    info.inHeight === 1 &&
    info.filterHeight === 1 &&
    info.strideWidth === 1 &&
    info.outHeight === 1
  ) {
    const simd = simdKernels(backend);
    // The native blocked GEMM where built (faster than the table kernel on one-hot input too).
    const blas = nativeConvBlas();
    if (blas !== undefined) {
      const geometry = {
        batch: info.batchSize,
        inWidth: info.inWidth,
        outWidth: info.outWidth,
        padLeft: info.padInfo.left,
        filterWidth: info.filterWidth,
        channels: info.inChannels,
        outChannels: info.outChannels,
      };
      return conv1dNativeFilterGrad(backend, blas, x, dy, geometry, [...filterShape]);
    }
    if (
      simd !== undefined &&
      info.inChannels <= maxPatternChannels &&
      info.outChannels % 16 === 0
    ) {
      // One-hot-like input: dy summed per (filter tap, input pattern).
      const wp = info.outWidth + info.filterWidth - 1;
      const geometry = {
        batch: info.batchSize,
        inWidth: info.inWidth,
        outWidth: info.outWidth,
        channels: info.inChannels,
        filterWidth: info.filterWidth,
        wp,
        padLeft: info.padInfo.left,
      };
      const dict = rowDictionary(backend, simd, x, geometry);
      if (dict !== undefined) {
        const out = conv1dTableFilterGrad(backend, simd, dict, dy, geometry, [...filterShape]);
        simd.free(dict.codes);
        return out;
      }
    }
    if (simd !== undefined) return filterGrad1dSimd(backend, simd, x, dy, info, [...filterShape]);
    const out = filterGrad1d(backend, x, dy, info);
    return { dataId: out.dataId, shape: [...filterShape], dtype: 'float32' };
  }
  const { batchSize: B, outHeight: OH, outWidth: OW, outChannels: Cout } = info;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const perBatch = OH * OW;
  const chunk = Math.max(1, Math.min(B, Math.floor(maxColsElements / Math.max(1, perBatch * K))));
  const acc = new Float32Array(Cout * K);
  for (let b0 = 0; b0 < B; b0 += chunk) {
    const b1 = Math.min(B, b0 + chunk);
    const n = (b1 - b0) * perBatch;
    const cols = makeFloat(backend, [1, n, K]);
    const dyT = makeFloat(backend, [1, Cout, n]);
    im2col(view(backend, x), info, b0, b1, view(backend, cols));
    transposeInto(view(backend, dy), b0 * perBatch * Cout, n, Cout, view(backend, dyT), 0);
    const prod = callKernel(
      stock().batchMatMul,
      backend,
      { a: dyT, b: cols },
      { transposeA: false, transposeB: false },
    );
    const p = view(backend, prod);
    for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + p[i]!;
    dispose(backend, cols, dyT, prod);
  }
  const out = makeFloat(backend, [...filterShape]);
  transposeInto(acc, 0, Cout, K, view(backend, out), 0);
  return out;
}

/** Filter for the input gradient: w'[fy, fx, co, ci] = w[FH−1−fy, FW−1−fx, ci, co]. */
function flippedFilter(backend: BackendWasm, filter: TensorInfo): TensorInfo {
  const [FH, FW, Cin, Cout] = filter.shape as [number, number, number, number];
  const out = makeFloat(backend, [FH, FW, Cout, Cin]);
  const w = view(backend, filter);
  const o = view(backend, out);
  for (let fy = 0; fy < FH; fy++) {
    for (let fx = 0; fx < FW; fx++) {
      const src = ((FH - 1 - fy) * FW + (FW - 1 - fx)) * Cin * Cout;
      transposeInto(w, src, Cin, Cout, o, (fy * FW + fx) * Cout * Cin);
    }
  }
  return out;
}

function conv2dBackpropInput(args: KernelArgs): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const dy = input(args, 'dy');
  const filter = input(args, 'filter');
  const attrs = args.attrs ?? {};
  const inputShape = attrs['inputShape'] as [number, number, number, number];
  const info = convInfoOf(inputShape, [...filter.shape], attrs);
  const fallback = (): TensorInfo =>
    callKernel(stock().conv2dBackpropInput, backend, { dy, filter }, attrs as NamedAttrMap);
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return fallback();
  const {
    filterHeight: FH,
    filterWidth: FW,
    inHeight: H,
    inWidth: W,
    outHeight: OH,
    outWidth: OW,
  } = info;
  const top = FH - 1 - info.padInfo.top;
  const left = FW - 1 - info.padInfo.left;
  const bottom = H - OH - top + FH - 1;
  const right = W - OW - left + FW - 1;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return fallback();
  const w = flippedFilter(backend, filter);
  const simd = simdKernels(backend);
  const blas = nativeConvBlas();
  if ((blas !== undefined || simd !== undefined) && H === 1 && FH === 1 && OH === 1) {
    const w1d: TensorInfo = {
      dataId: w.dataId,
      shape: [FW, info.outChannels, info.inChannels],
      dtype: 'float32',
    };
    const geometry = { batch: info.batchSize, inWidth: OW, outWidth: W, padLeft: left };
    const dx =
      blas !== undefined
        ? conv1dNativeForward(backend, blas, dy, w1d, geometry, [...inputShape])
        : conv1dStride1(backend, simd!, dy, w1d, geometry, [...inputShape]);
    dispose(backend, w);
    return dx;
  }
  const pad: backend_util.ExplicitPadding = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  const dx = callKernel(
    stock().conv2d,
    backend,
    { x: dy, filter: w },
    { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] },
  );
  dispose(backend, w);
  return dx;
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter,
};

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput,
};
