import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { copyIntoPadded } from './conv-forward.js';
import { loadNativeBlas, type NativeBlas } from './native-blas.js';
import { dispose, makeFloat, sizeOf, view } from './wasm-heap.js';

/**
 * 1-D stride-1 convolutions (XChrom's tower) as one native GEMM each, where the
 * addon is built: the window of output o in the zero-padded input xp [B, wp, C]
 * is the contiguous span xp[b, o … o+fw−1, :], so im2col is one row copy per
 * output position, and
 *   forward (and the input gradient, with the flipped filter): y[B·ow, Cout] = cols[B·ow, fw·C] · w[fw·C, Cout];
 *   filter gradient: dw[fw·C, Cout] = colsᵀ · dy[B·ow, Cout].
 * oneDNN runs these at 110–170 GFLOP/s per thread on XChrom-small's shapes
 * against 35–43 for the wasm-SIMD direct convolution (docs/adr/0005).
 * Batches are taken in chunks so that cols stays under `maxColsElements`.
 */

/** Upper bound on im2col elements materialised at once (≈32 MB). */
const defaultMaxColsElements = 8 * 1024 * 1024;
let maxColsElements = defaultMaxColsElements;

/** Sets the im2col cap (undefined: the default), so tests can make a few batches span chunks. */
export function setNativeConvColsCap(elements?: number): void {
  maxColsElements = elements ?? defaultMaxColsElements;
}

let enabled = true;

/** Switches the native convolution path off (wasm kernels) or on; for tests and benchmarks. */
export function setNativeConvEnabled(on: boolean): void {
  enabled = on;
}

/** The addon when the native convolution path is on and the addon is built, else undefined. */
export function nativeConvBlas(): NativeBlas | undefined {
  return enabled ? loadNativeBlas() : undefined;
}

interface Geometry1d {
  batch: number;
  inWidth: number;
  outWidth: number;
  padLeft: number;
  filterWidth: number;
  channels: number;
}

const offsetOf = (backend: BackendWasm, t: TensorInfo): number =>
  backend.getMemoryOffset(t.dataId) / 4;

/** x [B, W, C] zero-padded to [B, ow + fw − 1, C] (position w of x at w + padLeft). */
function padded(backend: BackendWasm, x: TensorInfo, g: Geometry1d): TensorInfo {
  const wp = g.outWidth + g.filterWidth - 1;
  const xp = makeFloat(backend, [g.batch, wp, g.channels]);
  const xpv = view(backend, xp);
  xpv.fill(0);
  copyIntoPadded(
    view(backend, x),
    xpv,
    { batch: g.batch, inWidth: g.inWidth, channels: g.channels, paddedChannels: g.channels },
    wp,
    g.padLeft,
  );
  return xp;
}

/** Batches per chunk so that a chunk's cols [n·ow, fw·C] stays under the cap. */
function chunkOf(g: Geometry1d): number {
  const perBatch = g.outWidth * g.filterWidth * g.channels;
  return Math.max(1, Math.min(g.batch, Math.floor(maxColsElements / Math.max(1, perBatch))));
}

/** cols [(b1−b0)·ow, fw·C] of batches b0…b1: one copy of each output position's window. */
function fillCols(
  backend: BackendWasm,
  xp: TensorInfo,
  cols: TensorInfo,
  g: Geometry1d,
  b0: number,
  b1: number,
): void {
  const wp = g.outWidth + g.filterWidth - 1;
  const k = g.filterWidth * g.channels;
  const xpv = view(backend, xp);
  const cv = view(backend, cols);
  let r = 0;
  for (let b = b0; b < b1; b++) {
    for (let o = 0; o < g.outWidth; o++, r++) {
      const src = (b * wp + o) * g.channels;
      cv.set(xpv.subarray(src, src + k), r * k);
    }
  }
}

/**
 * y [B, ow, Cout] (`outShape`) of x [B, W, C] and filter [fw, C, Cout] (any leading unit
 * dimensions), stride 1, `padLeft` zeros before x and zeros past it.
 */
export function conv1dNativeForward(
  backend: BackendWasm,
  blas: NativeBlas,
  x: TensorInfo,
  filter: TensorInfo,
  geometry: { batch: number; inWidth: number; outWidth: number; padLeft: number },
  outShape: number[],
): TensorInfo {
  const [fw, c, cout] = filter.shape.slice(-3) as [number, number, number];
  const g: Geometry1d = { ...geometry, filterWidth: fw, channels: c };
  const out = makeFloat(backend, outShape);
  if (sizeOf(outShape) === 0) return out;
  const xp = padded(backend, x, g);
  const chunk = chunkOf(g);
  const k = fw * c;
  for (let b0 = 0; b0 < g.batch; b0 += chunk) {
    const b1 = Math.min(g.batch, b0 + chunk);
    const m = (b1 - b0) * g.outWidth;
    const cols = makeFloat(backend, [m, k]);
    fillCols(backend, xp, cols, g, b0, b1);
    const offsets = Float64Array.of(
      offsetOf(backend, cols),
      offsetOf(backend, filter),
      offsetOf(backend, out) + b0 * g.outWidth * cout,
    );
    blas.gemm(
      view(backend, out).buffer as ArrayBuffer,
      false,
      false,
      m,
      cout,
      k,
      offsets,
      -1,
      false,
    );
    dispose(backend, cols);
  }
  dispose(backend, xp);
  return out;
}

/**
 * dw (`filterShape`, [.., fw, C, Cout]) = Σ over (b, o) of the window of output o times
 * dy[b, o, :], for x [B, W, C] and dy [B, ow, Cout], stride 1, `padLeft` zeros before x.
 */
export function conv1dNativeFilterGrad(
  backend: BackendWasm,
  blas: NativeBlas,
  x: TensorInfo,
  dy: TensorInfo,
  geometry: Omit<Geometry1d, 'channels'> & { channels: number; outChannels: number },
  filterShape: number[],
): TensorInfo {
  const { outChannels: cout, ...g } = geometry;
  const k = g.filterWidth * g.channels;
  const out = makeFloat(backend, filterShape);
  const ov = view(backend, out);
  ov.fill(0);
  if (g.batch * g.outWidth === 0) return out;
  const xp = padded(backend, x, g);
  const chunk = chunkOf(g);
  let partial: TensorInfo | undefined;
  for (let b0 = 0; b0 < g.batch; b0 += chunk) {
    const b1 = Math.min(g.batch, b0 + chunk);
    const m = (b1 - b0) * g.outWidth;
    const cols = makeFloat(backend, [m, k]);
    fillCols(backend, xp, cols, g, b0, b1);
    // The first chunk writes dw itself; later ones a scratch product added to it.
    const target = b0 === 0 ? out : (partial ??= makeFloat(backend, [k, cout]));
    const offsets = Float64Array.of(
      offsetOf(backend, cols),
      offsetOf(backend, dy) + b0 * g.outWidth * cout,
      offsetOf(backend, target),
    );
    blas.gemm(
      view(backend, out).buffer as ArrayBuffer,
      true,
      false,
      k,
      cout,
      m,
      offsets,
      -1,
      false,
    );
    if (target !== out) {
      const acc = view(backend, out);
      const p = view(backend, target);
      for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + p[i]!;
    }
    dispose(backend, cols);
  }
  if (partial !== undefined) dispose(backend, partial);
  dispose(backend, xp);
  return out;
}
