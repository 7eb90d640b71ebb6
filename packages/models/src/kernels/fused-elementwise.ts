import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './wasm-heap.js';
import { asWasmBackend, input, makeFloat, sizeOf, view } from './wasm-heap.js';

/**
 * Fused JavaScript kernels over the wasm heap for GELU, batch normalisation
 * and layer normalisation (forward and backward), replacing chains of 5–15
 * stock kernels (Tile, Sum over leading axes, FusedBatchNorm, Erf …, see the
 * tfjs-wasm-training note). Channels are the last axis. Custom kernel names
 * start with `Chromflow`; `src/ops/fused.ts` wires them into `tf.customGrad`.
 */

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
