import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './wasm-heap.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { asWasmBackend, input, makeFloat, sizeOf, view } from './wasm-heap.js';
import type { SimdKernels } from './simd.js';
import { simdKernels } from './simd.js';

/**
 * Fused JavaScript kernels over the wasm heap for GELU, batch normalisation
 * and layer normalisation (forward and backward), replacing chains of 5–15
 * stock kernels (Tile, Sum over leading axes, FusedBatchNorm, Erf …, see the
 * tfjs-wasm-training note). Channels are the last axis. Custom kernel names
 * start with `Chromflow`; `src/ops/fused.ts` wires them into `tf.customGrad`.
 * GELU and batch norm run the wasm-SIMD kernels of `simd.ts` when available
 * (statistics summed in f32 over blocks of rows, blocks added in f64), else
 * the JavaScript loops below.
 */

/** Rows per f32 partial sum in the SIMD statistics. */
const sumBlockRows = 1024;

/** Σ over rows per channel, in f64 over f32 blocks: mode 0 = x, mode 1 = (x − mean)². */
function simdColumnSums(
  k: SimdKernels,
  xPtr: number,
  n: number,
  c: number,
  meanPtr: number,
  mode: 0 | 1,
): Float64Array {
  const out = new Float64Array(c);
  const acc = k.alloc(c);
  for (let r0 = 0; r0 < n; r0 += sumBlockRows) {
    const rows = Math.min(sumBlockRows, n - r0);
    k.floats(acc, c).fill(0);
    k.colMoments(xPtr + r0 * c * 4, rows, c, meanPtr, acc, mode);
    const a = k.floats(acc, c);
    for (let j = 0; j < c; j++) out[j] = out[j]! + a[j]!;
  }
  k.free(acc);
  return out;
}

/** Copies per-channel values to fresh heap scratch; returns the byte offset. */
function scratch(k: SimdKernels, values: ArrayLike<number>): number {
  const p = k.alloc(values.length);
  k.floats(p, values.length).set(values);
  return p;
}

function simdOf(backend: BackendWasm): SimdKernels | undefined {
  return simdKernels(backend);
}

export const kernelNames = {
  gelu: 'ChromflowGelu',
  geluGrad: 'ChromflowGeluGrad',
  batchNormTrain: 'ChromflowBatchNormTrain',
  batchNormTrainGrad: 'ChromflowBatchNormTrainGrad',
  batchNormInfer: 'ChromflowBatchNormInfer',
  layerNorm: 'ChromflowLayerNorm',
  layerNormGrad: 'ChromflowLayerNormGrad',
} as const;

const geluAlpha = 1.702;

function gelu(args: KernelArgs): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const x = input(args, 'x');
  const out = makeFloat(backend, [...x.shape]);
  const k = simdOf(backend);
  if (k !== undefined) {
    k.gelu(k.ptr(x), k.ptr(out), sizeOf(x.shape));
    return out;
  }
  const xv = view(backend, x);
  const o = view(backend, out);
  for (let i = 0; i < xv.length; i++) {
    const v = xv[i]!;
    o[i] = v / (1 + Math.exp(-geluAlpha * v));
  }
  return out;
}

function geluGrad(args: KernelArgs): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const out = makeFloat(backend, [...x.shape]);
  const k = simdOf(backend);
  if (k !== undefined) {
    k.geluGrad(k.ptr(x), k.ptr(dy), k.ptr(out), sizeOf(x.shape));
    return out;
  }
  const xv = view(backend, x);
  const g = view(backend, dy);
  const o = view(backend, out);
  for (let i = 0; i < xv.length; i++) {
    const v = xv[i]!;
    const s = 1 / (1 + Math.exp(-geluAlpha * v));
    o[i] = g[i]! * (s + geluAlpha * v * s * (1 - s));
  }
  return out;
}

function epsilonOf(args: KernelArgs): number {
  const e = args.attrs?.['epsilon'];
  if (typeof e !== 'number') throw new Error('kernel attribute epsilon is missing');
  return e;
}

/** Per-channel mean and biased variance over all rows of an [n, c] view (two-pass). */
function channelMoments(
  x: Float32Array,
  n: number,
  c: number,
  mean: Float64Array,
  variance: Float64Array,
): void {
  mean.fill(0);
  variance.fill(0);
  for (let r = 0; r < n; r++) {
    const base = r * c;
    for (let j = 0; j < c; j++) mean[j] = mean[j]! + x[base + j]!;
  }
  for (let j = 0; j < c; j++) mean[j] = mean[j]! / n;
  for (let r = 0; r < n; r++) {
    const base = r * c;
    for (let j = 0; j < c; j++) {
      const d = x[base + j]! - mean[j]!;
      variance[j] = variance[j]! + d * d;
    }
  }
  for (let j = 0; j < c; j++) variance[j] = variance[j]! / n;
}

function batchNormTrain(args: KernelArgs): TensorInfo[] {
  const backend = asWasmBackend(args.backend);
  const x = input(args, 'x');
  const gamma = input(args, 'gamma');
  const beta = input(args, 'beta');
  const eps = epsilonOf(args);
  const c = x.shape[x.shape.length - 1]!;
  const n = sizeOf(x.shape) / c;
  const y = makeFloat(backend, [...x.shape]);
  const meanOut = makeFloat(backend, [c]);
  const varOut = makeFloat(backend, [c]);
  const k = simdOf(backend);
  if (k !== undefined) {
    const mean = simdColumnSums(k, k.ptr(x), n, c, 0, 0).map((v) => v / n);
    const meanPtr = scratch(k, mean);
    const variance = simdColumnSums(k, k.ptr(x), n, c, meanPtr, 1).map((v) => v / n);
    const gv = view(backend, gamma);
    const bv = view(backend, beta);
    const scale = new Float32Array(c);
    const shift = new Float32Array(c);
    for (let j = 0; j < c; j++) {
      scale[j] = gv[j]! / Math.sqrt(variance[j]! + eps);
      shift[j] = bv[j]! - mean[j]! * scale[j]!;
    }
    const a = scratch(k, scale);
    const b = scratch(k, shift);
    k.colAffine(k.ptr(x), k.ptr(y), n, c, a, b);
    for (const p of [meanPtr, a, b]) k.free(p);
    view(backend, meanOut).set(mean);
    view(backend, varOut).set(variance);
    return [y, meanOut, varOut];
  }
  const xv = view(backend, x);
  const gv = view(backend, gamma);
  const bv = view(backend, beta);
  const yv = view(backend, y);
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  channelMoments(xv, n, c, mean, variance);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    const s = gv[j]! / Math.sqrt(variance[j]! + eps);
    scale[j] = s;
    shift[j] = bv[j]! - mean[j]! * s;
  }
  for (let r = 0; r < n; r++) {
    const base = r * c;
    for (let j = 0; j < c; j++) yv[base + j] = xv[base + j]! * scale[j]! + shift[j]!;
  }
  view(backend, meanOut).set(mean);
  view(backend, varOut).set(variance);
  return [y, meanOut, varOut];
}

function batchNormTrainGrad(args: KernelArgs): TensorInfo[] {
  const backend = asWasmBackend(args.backend);
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const gamma = input(args, 'gamma');
  const meanIn = input(args, 'mean');
  const varIn = input(args, 'variance');
  const eps = epsilonOf(args);
  const c = x.shape[x.shape.length - 1]!;
  const n = sizeOf(x.shape) / c;
  const dx = makeFloat(backend, [...x.shape]);
  const dGamma = makeFloat(backend, [c]);
  const dBeta = makeFloat(backend, [c]);
  const k = simdOf(backend);
  if (k !== undefined) {
    const gv = view(backend, gamma);
    const mv = Float32Array.from(view(backend, meanIn));
    const vv = view(backend, varIn);
    const sumDy = new Float64Array(c);
    const sumDyXc = new Float64Array(c);
    const accDy = k.alloc(c);
    const accDyXc = k.alloc(c);
    const meanPtr = scratch(k, mv);
    const [xp, gp] = [k.ptr(x), k.ptr(dy)];
    for (let r0 = 0; r0 < n; r0 += sumBlockRows) {
      const rows = Math.min(sumBlockRows, n - r0);
      k.floats(accDy, c).fill(0);
      k.floats(accDyXc, c).fill(0);
      k.bnGradSums(xp + r0 * c * 4, gp + r0 * c * 4, rows, c, meanPtr, accDy, accDyXc);
      const a1 = k.floats(accDy, c);
      const a2 = k.floats(accDyXc, c);
      for (let j = 0; j < c; j++) {
        sumDy[j] = sumDy[j]! + a1[j]!;
        sumDyXc[j] = sumDyXc[j]! + a2[j]!;
      }
    }
    const k0 = new Float32Array(c);
    const k1 = new Float32Array(c);
    const k2 = new Float32Array(c);
    const sumDyXhat = new Float64Array(c);
    for (let j = 0; j < c; j++) {
      const rstd = 1 / Math.sqrt(vv[j]! + eps);
      const a = gv[j]! * rstd;
      sumDyXhat[j] = sumDyXc[j]! * rstd;
      k0[j] = a;
      k1[j] = (a * rstd * sumDyXhat[j]!) / n;
      k2[j] = (a * sumDy[j]!) / n - k1[j]! * mv[j]!;
    }
    const p0 = scratch(k, k0);
    const p1 = scratch(k, k1);
    const p2 = scratch(k, k2);
    k.bnGradApply(xp, gp, k.ptr(dx), n, c, p0, p1, p2);
    for (const p of [accDy, accDyXc, meanPtr, p0, p1, p2]) k.free(p);
    view(backend, dGamma).set(sumDyXhat);
    view(backend, dBeta).set(sumDy);
    return [dx, dGamma, dBeta];
  }
  const xv = view(backend, x);
  const g = view(backend, dy);
  const gv = view(backend, gamma);
  const mv = view(backend, meanIn);
  const vv = view(backend, varIn);
  const rstd = new Float32Array(c);
  for (let j = 0; j < c; j++) rstd[j] = 1 / Math.sqrt(vv[j]! + eps);
  const sumDy = new Float64Array(c);
  const sumDyXhat = new Float64Array(c);
  for (let r = 0; r < n; r++) {
    const base = r * c;
    for (let j = 0; j < c; j++) {
      const d = g[base + j]!;
      sumDy[j] = sumDy[j]! + d;
      sumDyXhat[j] = sumDyXhat[j]! + d * (xv[base + j]! - mv[j]!) * rstd[j]!;
    }
  }
  const k0 = new Float32Array(c);
  const k1 = new Float32Array(c);
  const k2 = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    // dx = γ·rstd·(dy − Σdy/n − x̂·Σ(dy·x̂)/n), with x̂ = (x − μ)·rstd
    const a = gv[j]! * rstd[j]!;
    k0[j] = a;
    k1[j] = (a * rstd[j]! * sumDyXhat[j]!) / n;
    k2[j] = (a * sumDy[j]!) / n - k1[j]! * mv[j]!;
  }
  const dxv = view(backend, dx);
  for (let r = 0; r < n; r++) {
    const base = r * c;
    for (let j = 0; j < c; j++)
      dxv[base + j] = k0[j]! * g[base + j]! - k1[j]! * xv[base + j]! - k2[j]!;
  }
  view(backend, dGamma).set(sumDyXhat);
  view(backend, dBeta).set(sumDy);
  return [dx, dGamma, dBeta];
}

function batchNormInfer(args: KernelArgs): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const x = input(args, 'x');
  const mean = input(args, 'mean');
  const variance = input(args, 'variance');
  const gamma = input(args, 'gamma');
  const beta = input(args, 'beta');
  const eps = epsilonOf(args);
  const c = x.shape[x.shape.length - 1]!;
  const n = sizeOf(x.shape) / c;
  const y = makeFloat(backend, [...x.shape]);
  const k = simdOf(backend);
  if (k !== undefined) {
    const mv = view(backend, mean);
    const vv = view(backend, variance);
    const gv = view(backend, gamma);
    const bv = view(backend, beta);
    const scale = new Float32Array(c);
    const shift = new Float32Array(c);
    for (let j = 0; j < c; j++) {
      scale[j] = gv[j]! / Math.sqrt(vv[j]! + eps);
      shift[j] = bv[j]! - mv[j]! * scale[j]!;
    }
    const a = scratch(k, scale);
    const b = scratch(k, shift);
    k.colAffine(k.ptr(x), k.ptr(y), n, c, a, b);
    k.free(a);
    k.free(b);
    return y;
  }
  const xv = view(backend, x);
  const yv = view(backend, y);
  const mv = view(backend, mean);
  const vv = view(backend, variance);
  const gv = view(backend, gamma);
  const bv = view(backend, beta);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    const s = gv[j]! / Math.sqrt(vv[j]! + eps);
    scale[j] = s;
    shift[j] = bv[j]! - mv[j]! * s;
  }
  for (let r = 0; r < n; r++) {
    const base = r * c;
    for (let j = 0; j < c; j++) yv[base + j] = xv[base + j]! * scale[j]! + shift[j]!;
  }
  return y;
}

function layerNorm(args: KernelArgs): TensorInfo[] {
  const backend = asWasmBackend(args.backend);
  const x = input(args, 'x');
  const gamma = input(args, 'gamma');
  const beta = input(args, 'beta');
  const eps = epsilonOf(args);
  const d = x.shape[x.shape.length - 1]!;
  const rows = sizeOf(x.shape) / d;
  const y = makeFloat(backend, [...x.shape]);
  const meanOut = makeFloat(backend, [rows]);
  const rstdOut = makeFloat(backend, [rows]);
  const xv = view(backend, x);
  const yv = view(backend, y);
  const gv = view(backend, gamma);
  const bv = view(backend, beta);
  const mo = view(backend, meanOut);
  const ro = view(backend, rstdOut);
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    let m = 0;
    for (let j = 0; j < d; j++) m += xv[base + j]!;
    m /= d;
    let v = 0;
    for (let j = 0; j < d; j++) {
      const t = xv[base + j]! - m;
      v += t * t;
    }
    const rstd = 1 / Math.sqrt(v / d + eps);
    for (let j = 0; j < d; j++) yv[base + j] = (xv[base + j]! - m) * rstd * gv[j]! + bv[j]!;
    mo[r] = m;
    ro[r] = rstd;
  }
  return [y, meanOut, rstdOut];
}

function layerNormGrad(args: KernelArgs): TensorInfo[] {
  const backend = asWasmBackend(args.backend);
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const gamma = input(args, 'gamma');
  const mean = input(args, 'mean');
  const rstdIn = input(args, 'rstd');
  const d = x.shape[x.shape.length - 1]!;
  const rows = sizeOf(x.shape) / d;
  const dx = makeFloat(backend, [...x.shape]);
  const dGamma = makeFloat(backend, [d]);
  const dBeta = makeFloat(backend, [d]);
  const xv = view(backend, x);
  const g = view(backend, dy);
  const gv = view(backend, gamma);
  const mv = view(backend, mean);
  const rv = view(backend, rstdIn);
  const dxv = view(backend, dx);
  const sg = new Float64Array(d);
  const sb = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    const m = mv[r]!;
    const rstd = rv[r]!;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < d; j++) {
      const xhat = (xv[base + j]! - m) * rstd;
      const gj = g[base + j]!;
      const dxhat = gj * gv[j]!;
      s1 += dxhat;
      s2 += dxhat * xhat;
      sg[j] = sg[j]! + gj * xhat;
      sb[j] = sb[j]! + gj;
    }
    s1 /= d;
    s2 /= d;
    for (let j = 0; j < d; j++) {
      const xhat = (xv[base + j]! - m) * rstd;
      dxv[base + j] = rstd * (g[base + j]! * gv[j]! - s1 - xhat * s2);
    }
  }
  view(backend, dGamma).set(sg);
  view(backend, dBeta).set(sb);
  return [dx, dGamma, dBeta];
}

export const fusedKernelConfigs: KernelConfig[] = [
  { kernelName: kernelNames.gelu, backendName: 'wasm', kernelFunc: gelu },
  { kernelName: kernelNames.geluGrad, backendName: 'wasm', kernelFunc: geluGrad },
  { kernelName: kernelNames.batchNormTrain, backendName: 'wasm', kernelFunc: batchNormTrain },
  {
    kernelName: kernelNames.batchNormTrainGrad,
    backendName: 'wasm',
    kernelFunc: batchNormTrainGrad,
  },
  { kernelName: kernelNames.batchNormInfer, backendName: 'wasm', kernelFunc: batchNormInfer },
  { kernelName: kernelNames.layerNorm, backendName: 'wasm', kernelFunc: layerNorm },
  { kernelName: kernelNames.layerNormGrad, backendName: 'wasm', kernelFunc: layerNormGrad },
];
