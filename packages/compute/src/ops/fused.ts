import * as tf from '@tensorflow/tfjs-core';
import { kernelNames } from '../kernels/fused-elementwise.js';
import { registerWasmKernels } from '../kernels/register-wasm.js';
import type { BatchNormTrainResult } from './reference.js';

/**
 * Fused versions of the reference ops (same semantics, see `reference.ts`),
 * built from chromflow's wasm kernels with `tf.customGrad`: one kernel
 * forward, one backward, instead of chains of stock kernels.
 */

/** True when the fused path applies (active backend is wasm); registers the kernels on first use. */
export function fusedPathActive(): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  registerWasmKernels();
  return true;
}

function run(
  name: string,
  inputs: tf.NamedTensorMap,
  attrs: Record<string, number> = {},
): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs, attrs);
  return Array.isArray(out) ? out : [out];
}

function one(
  name: string,
  inputs: tf.NamedTensorMap,
  attrs: Record<string, number> = {},
): tf.Tensor {
  const [t] = run(name, inputs, attrs);
  if (t === undefined) throw new Error(`${name} returned no tensor`);
  return t;
}

function tensorArg(a: tf.Tensor | tf.GradSaveFunc | undefined): tf.Tensor {
  if (!(a instanceof tf.Tensor)) throw new Error('customGrad argument is not a tensor');
  return a;
}

function saveArg(a: tf.Tensor | tf.GradSaveFunc | undefined): tf.GradSaveFunc {
  if (typeof a !== 'function') throw new Error('customGrad save function missing');
  return a;
}

function triple(ts: tf.Tensor[]): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const [a, b, c] = ts;
  if (a === undefined || b === undefined || c === undefined)
    throw new Error('kernel returned fewer than 3 tensors');
  return [a, b, c];
}

const geluOp = tf.customGrad((...args) => {
  const x = tensorArg(args[0]);
  saveArg(args[1])([x]);
  return {
    value: one(kernelNames.gelu, { x }),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
      one(kernelNames.geluGrad, { x: tensorArg(saved[0]), dy }),
  };
});

export function geluSigmoidFused(x: tf.Tensor): tf.Tensor {
  return geluOp(x);
}

export function batchNormTrainFused(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): BatchNormTrainResult {
  // Statistics come from the forward kernel, outside the custom gradient:
  // they feed moving averages and carry no gradient (tensors made inside a
  // customGrad forward other than its value are disposed by the engine).
  const [y0, mean, variance] = triple(
    run(kernelNames.batchNormTrain, { x, gamma, beta }, { epsilon }),
  );
  const op = tf.customGrad((...args) => {
    const [xx, g] = [tensorArg(args[0]), tensorArg(args[1])];
    saveArg(args[3])([xx, g, mean, variance]);
    return {
      value: tf.clone(y0),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        run(
          kernelNames.batchNormTrainGrad,
          {
            x: tensorArg(saved[0]),
            dy,
            gamma: tensorArg(saved[1]),
            mean: tensorArg(saved[2]),
            variance: tensorArg(saved[3]),
          },
          { epsilon },
        ),
    };
  });
  const y = op(x, gamma, beta);
  y0.dispose();
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

export function batchNormInferFused(
  x: tf.Tensor,
  movingMean: tf.Tensor1D,
  movingVariance: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): tf.Tensor {
  const op = tf.customGrad((...args) => {
    const [xx, m, v, g, b] = [0, 1, 2, 3, 4].map((i) => tensorArg(args[i])) as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
    saveArg(args[5])([xx, m, v, g]);
    return {
      value: one(
        kernelNames.batchNormInfer,
        { x: xx, mean: m, variance: v, gamma: g, beta: b },
        { epsilon },
      ),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sx, sm, sv, sg] = [0, 1, 2, 3].map((i) => tensorArg(saved[i]));
          const axes = dy.shape.slice(0, -1).map((_, i) => i);
          const rstd = tf.rsqrt(tf.add(sv!, epsilon));
          const centred = tf.sub(sx!, sm!);
          const sumDy = tf.sum(dy, axes);
          const sumDyC = tf.sum(tf.mul(dy, centred), axes);
          return [
            tf.mul(dy, tf.mul(sg!, rstd)),
            tf.neg(tf.mul(sumDy, tf.mul(sg!, rstd))),
            tf.mul(tf.mul(sumDyC, sg!), tf.mul(-0.5, tf.pow(rstd, 3))),
            tf.mul(sumDyC, rstd),
            sumDy,
          ];
        }),
    };
  });
  return op(x, movingMean, movingVariance, gamma, beta);
}

export function layerNormFused(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): tf.Tensor {
  const op = tf.customGrad((...args) => {
    const [xx, g, b] = [tensorArg(args[0]), tensorArg(args[1]), tensorArg(args[2])];
    const [y, m, r] = triple(run(kernelNames.layerNorm, { x: xx, gamma: g, beta: b }, { epsilon }));
    saveArg(args[3])([xx, g, m, r]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        run(kernelNames.layerNormGrad, {
          x: tensorArg(saved[0]),
          dy,
          gamma: tensorArg(saved[1]),
          mean: tensorArg(saved[2]),
          rstd: tensorArg(saved[3]),
        }),
    };
  });
  return op(x, gamma, beta);
}
