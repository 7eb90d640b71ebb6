import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

/** Deterministic inputs (mulberry32 + Box–Muller), independent of the backend. */
export function normals(n: number, seed: number, shift = 0): Float32Array {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(uniform(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform()) + shift;
  }
  return out;
}

export interface Evaluated {
  values: Float32Array[];
  grads: Float32Array[];
}

/**
 * Runs `f` on `backend` with the given inputs and returns its outputs and the
 * gradients of Σ outputs·weights (fixed pseudo-random weights) w.r.t. every input.
 */
export async function evaluate(
  backend: 'cpu' | 'wasm',
  inputs: { data: Float32Array; shape: number[] }[],
  f: (...xs: tf.Tensor[]) => tf.Tensor[],
  /** How many leading outputs enter the gradient (default: all). */
  differentiable?: number,
): Promise<Evaluated> {
  await tf.setBackend(backend);
  await tf.ready();
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.data, i.shape, 'float32'));
    const values = f(...xs).map((t) => t.dataSync() as Float32Array);
    const loss = (...ys: tf.Tensor[]): tf.Scalar => {
      const outs = f(...ys).slice(0, differentiable);
      let total: tf.Scalar = tf.scalar(0);
      outs.forEach((o, k) => {
        const w = tf.tensor(normals(o.size, 1000 + k), o.shape, 'float32');
        total = tf.add(total, tf.sum(tf.mul(o, w)));
      });
      return total;
    };
    const grads = tf
      .grads(loss)(xs)
      .map((g) => g.dataSync() as Float32Array);
    return {
      values: values.map((v) => Float32Array.from(v)),
      grads: grads.map((g) => Float32Array.from(g)),
    };
  });
}

/** Largest absolute difference divided by the largest magnitude of the expected array. */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (Number.isNaN(a) !== Number.isNaN(e)) return Number.POSITIVE_INFINITY;
    diff = Math.max(diff, Math.abs(a - e));
    scale = Math.max(scale, Math.abs(e));
  }
  return diff / scale;
}
