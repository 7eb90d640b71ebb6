import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { copyIntoPadded } from './conv-forward.js';
import { loadNativeBlas, type NativeBlas, type NativeConv1dCall } from './native-blas.js';
import { dispose, makeFloat, sizeOf, view } from './wasm-heap.js';

/**
 * 1-D stride-1 convolutions (XChrom's tower, CLASTER's width-only ones) on the native addon,
 * where it is built: the input zero-padded once, then the addon's `conv1d` (forward; the
 * input gradient is the forward with the flipped filter) or `conv1dFilterGrad`, which build
 * im2col block by block in cache and run one GEMM a block (native/conv1d.c, docs/adr/0005).
 */

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

/** `call` (the addon's conv1d or its filter gradient) on x zero-padded, `second` and `out`. */
function onPadded(
  backend: BackendWasm,
  call: NativeConv1dCall,
  x: TensorInfo,
  second: TensorInfo,
  out: TensorInfo,
  g: Geometry1d,
  cout: number,
): void {
  const xp = padded(backend, x, g);
  call(
    view(backend, out).buffer as ArrayBuffer,
    offsetOf(backend, xp),
    offsetOf(backend, second),
    offsetOf(backend, out),
    g.batch,
    g.outWidth + g.filterWidth - 1,
    g.channels,
    g.filterWidth,
    cout,
  );
  dispose(backend, xp);
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
  onPadded(backend, blas.conv1d, x, filter, out, g, cout);
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
  const out = makeFloat(backend, filterShape);
  if (g.batch * g.outWidth === 0) {
    view(backend, out).fill(0);
    return out;
  }
  onPadded(backend, blas.conv1dFilterGrad, x, dy, out, g, cout);
  return out;
}
