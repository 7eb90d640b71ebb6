import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './wasm-heap.js';
import { simdKernels } from './simd.js';
import { asWasmBackend, input, makeFloat, view } from './wasm-heap.js';

/**
 * Replacement for tfjs-backend-wasm 4.22's `MaxPoolGrad`, whose running
 * maximum starts at the smallest positive float, so windows whose inputs are
 * all ≤ 0 got no gradient. Semantics follow the `cpu` backend: the gradient of
 * each output goes to the first maximal input of its window (−∞ start,
 * strict `>`), gradients of overlapping windows add up. NHWC, any padding and
 * stride; dilation 1 (as MaxPool itself). The 1-D case with window = stride
 * and no padding (every max-pool of XChrom) runs a wasm-SIMD kernel.
 */
function maxPoolGrad(args: KernelArgs): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const dy = input(args, 'dy');
  const xIn = input(args, 'input');
  const attrs = args.attrs ?? {};
  const info = backend_util.computePool2DInfo(
    xIn.shape as [number, number, number, number],
    attrs['filterSize'] as [number, number] | number,
    attrs['strides'] as [number, number] | number,
    1,
    attrs['pad'] as 'valid' | 'same' | number,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
  );
  const dxInfo = makeFloat(backend, [...xIn.shape]);
  const simd = simdKernels(backend);
  if (
    simd !== undefined &&
    info.inHeight === 1 &&
    info.outHeight === 1 &&
    info.filterHeight === 1 &&
    info.filterWidth === info.strideWidth &&
    info.padInfo.left === 0 &&
    info.padInfo.top === 0 &&
    info.outWidth * info.strideWidth <= info.inWidth
  ) {
    const { batchSize: nb, inWidth: w, outWidth: ow, strideWidth: p, inChannels: c } = info;
    if (ow * p < w) {
      const dx = view(backend, dxInfo);
      for (let b = 0; b < nb; b++) dx.fill(0, (b * w + ow * p) * c, (b + 1) * w * c);
    }
    simd.maxPoolGrad1d(simd.ptr(xIn), simd.ptr(dy), simd.ptr(dxInfo), nb, ow, w, p, c);
    return dxInfo;
  }
  const x = view(backend, xIn);
  const g = view(backend, dy);
  const dx = view(backend, dxInfo);
  dx.fill(0);
  const { batchSize, inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth } = info;
  const C = info.inChannels;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const best = new Float32Array(C);
  const where = new Int32Array(C);
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = Math.max(0, oy * strideHeight - padTop);
      const y1 = Math.min(inHeight, oy * strideHeight - padTop + fh);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = Math.max(0, ox * strideWidth - padLeft);
        const x1 = Math.min(inWidth, ox * strideWidth - padLeft + fw);
        best.fill(Number.NEGATIVE_INFINITY);
        where.fill(-1);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const base = ((b * inHeight + iy) * inWidth + ix) * C;
            for (let c = 0; c < C; c++) {
              const v = x[base + c]!;
              if (v > best[c]!) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        const gBase = ((b * outHeight + oy) * outWidth + ox) * C;
        for (let c = 0; c < C; c++) {
          const w = where[c]!;
          if (w >= 0) dx[w] = dx[w]! + g[gBase + c]!;
        }
      }
    }
  }
  return dxInfo;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
