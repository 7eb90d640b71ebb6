import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './wasm-heap.js';
import { simdKernels } from './simd.js';
import { asWasmBackend, input, makeFloat, sizeOf, view } from './wasm-heap.js';

/** Name of the fused Adam update kernel (inputs x, m, v, g; outputs x', m', v'). */
export const adamKernelName = 'ChromflowAdam';

/**
 * One Adam update of one variable in a single pass, instead of the ≈15 small
 * kernels of the op-by-op form (which cost more than the update itself on
 * the optimiser's serial path between data-parallel steps). Same arithmetic
 * as `Adam.apply`'s ops, rounded to float32 where those store:
 * g ← g·clip/max(‖g‖, clip) (when clipNorm > 0), m' = β1·m + (1−β1)·g,
 * v' = β2·v + (1−β2)·g², x' = x − α·m'/(√v' + ε). The update runs in the
 * wasm-SIMD kernel `adam_update` (the JavaScript loop without SIMD).
 */
function adamUpdate(args: KernelArgs): TensorInfo[] {
  const backend = asWasmBackend(args.backend);
  const x = input(args, 'x');
  const m = input(args, 'm');
  const v = input(args, 'v');
  const g = input(args, 'g');
  const attrs = args.attrs ?? {};
  const num = (name: string): number => {
    const a = attrs[name];
    if (typeof a !== 'number') throw new Error(`${adamKernelName}: attribute ${name} missing`);
    return a;
  };
  const [alpha, beta1, beta2, epsilon, clipNorm] = [
    num('alpha'),
    num('beta1'),
    num('beta2'),
    num('epsilon'),
    num('clipNorm'),
  ];
  const n = sizeOf(x.shape);
  const xo = makeFloat(backend, [...x.shape]);
  const mo = makeFloat(backend, [...x.shape]);
  const vo = makeFloat(backend, [...x.shape]);
  const [xv, mv, vv, gv] = [view(backend, x), view(backend, m), view(backend, v), view(backend, g)];
  const [xw, mw, vw] = [view(backend, xo), view(backend, mo), view(backend, vo)];
  let scale = 1;
  if (clipNorm > 0) {
    let ss = 0;
    for (let i = 0; i < n; i++) ss += gv[i]! * gv[i]!;
    scale = Math.fround(clipNorm / Math.max(Math.fround(Math.sqrt(ss)), clipNorm));
  }
  const c1 = Math.fround(1 - beta1);
  const c2 = Math.fround(1 - beta2);
  const simd = simdKernels(backend);
  if (simd !== undefined) {
    const p = (t: TensorInfo): number => simd.ptr(t);
    simd.adamUpdate(
      p(x),
      p(m),
      p(v),
      p(g),
      p(xo),
      p(mo),
      p(vo),
      n,
      scale,
      beta1,
      c1,
      beta2,
      c2,
      alpha,
      epsilon,
    );
    return [xo, mo, vo];
  }
  for (let i = 0; i < n; i++) {
    const gi = Math.fround(gv[i]! * scale);
    const mi = Math.fround(Math.fround(mv[i]! * beta1) + Math.fround(gi * c1));
    const vi = Math.fround(Math.fround(vv[i]! * beta2) + Math.fround(Math.fround(gi * gi) * c2));
    mw[i] = mi;
    vw[i] = vi;
    xw[i] = xv[i]! - Math.fround(mi * alpha) / Math.fround(Math.sqrt(vi) + epsilon);
  }
  return [xo, mo, vo];
}

export const adamUpdateConfig: KernelConfig = {
  kernelName: adamKernelName,
  backendName: 'wasm',
  kernelFunc: adamUpdate,
};
