import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv1dTableForward, maxPatternChannels, rowDictionary } from './conv-table.js';
import { conv1dNativeForward, nativeConvBlas } from './native-conv.js';
import type { SimdKernels } from './simd.js';
import { simdKernels } from './simd.js';
import { stock } from './stock.js';
import type { KernelArgs } from './wasm-heap.js';
import { asWasmBackend, callKernel, input, makeFloat, view } from './wasm-heap.js';

/** Output positions per register tile of `conv1d_forward` (`wasm/kernels.wat`). */
export const convTileRows = 4;

/**
 * Copies x [B, W, C] into the zero-padded rows of xp [B, wp, cp]: position w
 * of x lands at w + padLeft; positions outside x and channels C…cp−1 keep
 * the buffer's zeros.
 */
export function copyIntoPadded(
  xv: Float32Array,
  xpv: Float32Array,
  shape: { batch: number; inWidth: number; channels: number; paddedChannels: number },
  wp: number,
  padLeft: number,
): void {
  const { batch: B, inWidth: W, channels: C, paddedChannels: cp } = shape;
  const w0 = Math.max(0, -padLeft);
  const w1 = Math.min(W, wp - padLeft);
  for (let b = 0; b < B; b++) {
    if (cp === C) {
      if (w1 > w0)
        xpv.set(xv.subarray((b * W + w0) * C, (b * W + w1) * C), (b * wp + w0 + padLeft) * C);
      continue;
    }
    for (let w = w0; w < w1; w++) {
      xpv.set(xv.subarray((b * W + w) * C, (b * W + w + 1) * C), (b * wp + w + padLeft) * cp);
    }
  }
}

/**
 * 1-D, stride-1 convolution on the wasm-SIMD kernel `conv1d_forward`
 * (`wasm/kernels.wat`): x [B, W, C] (any leading unit height), filter
 * [fw, C, Cout], output [B, ow, Cout] with `padLeft` zeros before position 0
 * of x (positions past W read zeros too). Used for `Conv2D` and, with the
 * flipped filter, for `Conv2DBackpropInput`. The input is copied once into a
 * zero-padded buffer; outputs narrower than the kernel's tile (ow <
 * `convTileRows`, Cout < 8) go through a padded scratch output.
 */
export function conv1dStride1(
  backend: BackendWasm,
  simd: SimdKernels,
  x: TensorInfo,
  filter: TensorInfo,
  geometry: { batch: number; inWidth: number; outWidth: number; padLeft: number },
  outShape: number[],
): TensorInfo {
  const { batch: B, inWidth: W, outWidth: OW, padLeft } = geometry;
  const [FW, C, Cout] = filter.shape.slice(-3) as [number, number, number];
  const owp = Math.max(OW, convTileRows);
  const cop = Math.max(Cout, 8);
  const wp = owp + FW - 1;
  const out = makeFloat(backend, outShape);
  const xp = simd.alloc(B * wp * C);
  const wPtr = cop === Cout ? simd.ptr(filter) : simd.alloc(FW * C * cop);
  const direct = owp === OW && cop === Cout;
  const yPtr = direct ? simd.ptr(out) : simd.alloc(B * owp * cop);
  // Views only after the last allocation (the heap may have grown).
  const xv = view(backend, x);
  const xpv = simd.floats(xp, B * wp * C);
  copyIntoPadded(xv, xpv, { batch: B, inWidth: W, channels: C, paddedChannels: C }, wp, padLeft);
  if (cop !== Cout) {
    const fv = view(backend, filter);
    const wv = simd.floats(wPtr, FW * C * cop);
    for (let r = 0; r < FW * C; r++) wv.set(fv.subarray(r * Cout, (r + 1) * Cout), r * cop);
  }
  simd.conv1dForward(xp, wPtr, yPtr, B, wp, owp, FW, C, cop);
  if (!direct) {
    const yv = simd.floats(yPtr, B * owp * cop);
    const ov = view(backend, out);
    for (let b = 0; b < B; b++) {
      for (let o = 0; o < OW; o++) {
        const src = (b * owp + o) * cop;
        ov.set(yv.subarray(src, src + Cout), (b * OW + o) * Cout);
      }
    }
    simd.free(yPtr);
  }
  if (wPtr !== simd.ptr(filter)) simd.free(wPtr);
  simd.free(xp);
  return out;
}

/**
 * `Conv2D` for the wasm backend: 1-D stride-1 convolutions (NHWC, height 1,
 * dilation 1: every XChrom convolution) on the native addon's blocked GEMM
 * where it is built (`native-conv.ts`; also for the one-hot first layer, where
 * it beats the table kernel: docs/adr/0005); else, for inputs of at most 8
 * channels made of a few distinct rows (one-hot DNA), on `conv1dTableForward`,
 * and otherwise on `conv1dStride1`, which beats the stock XNNPACK convolution
 * on these shapes; everything else on the stock kernel.
 */
function conv2d(args: KernelArgs): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const x = input(args, 'x');
  const filter = input(args, 'filter');
  const attrs = args.attrs ?? {};
  const fallback = (): TensorInfo =>
    callKernel(stock().conv2d, backend, { x, filter }, attrs as NamedAttrMap);
  const simd = simdKernels(backend);
  const dataFormat = (attrs['dataFormat'] as string | undefined) ?? 'NHWC';
  if (simd === undefined || dataFormat !== 'NHWC' || x.dtype !== 'float32') return fallback();
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs['strides'] as [number, number] | number,
    (attrs['dilations'] as [number, number] | number | undefined) ?? 1,
    attrs['pad'] as 'valid' | 'same' | number | backend_util.ExplicitPadding,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
  if (
    info.inHeight !== 1 ||
    info.filterHeight !== 1 ||
    info.outHeight !== 1 ||
    info.strideWidth !== 1 ||
    info.dilationWidth !== 1 ||
    info.padInfo.top !== 0
  ) {
    return fallback();
  }
  const geometry = {
    batch: info.batchSize,
    inWidth: info.inWidth,
    outWidth: info.outWidth,
    padLeft: info.padInfo.left,
  };
  const blas = nativeConvBlas();
  if (blas !== undefined)
    return conv1dNativeForward(backend, blas, x, filter, geometry, [...info.outShape]);
  if (info.inChannels <= maxPatternChannels && info.outChannels % 16 === 0) {
    // One-hot-like input (the first layer): table lookups instead of products.
    const wp = info.outWidth + info.filterWidth - 1;
    const dict = rowDictionary(backend, simd, x, {
      batch: info.batchSize,
      inWidth: info.inWidth,
      channels: info.inChannels,
      wp,
      padLeft: info.padInfo.left,
    });
    if (dict !== undefined) {
      const out = conv1dTableForward(
        backend,
        simd,
        dict,
        filter,
        { batch: info.batchSize, outWidth: info.outWidth, wp },
        [...info.outShape],
      );
      simd.free(dict.codes);
      return out;
    }
  }
  return conv1dStride1(backend, simd, x, filter, geometry, [...info.outShape]);
}

export const conv2dConfig: KernelConfig = {
  kernelName: 'Conv2D',
  backendName: 'wasm',
  kernelFunc: conv2d,
};
