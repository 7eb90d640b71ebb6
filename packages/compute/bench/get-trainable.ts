import * as tf from '@tensorflow/tfjs-core';
import { ops } from '../src/index.js';
import { attentionFromQkv, geluErfNative } from '../src/kernels/native-attention.js';
import type { HostBatch, Trainable, TrainableFactory } from '../src/train/trainable.js';

/**
 * The GET-shaped region transformer of shared/notes/transformer-training-facts.md, written
 * with TF.js ops and chromflow's fused LayerNorm, the same model as `bench/get_twin.py`
 * (parameter counts and loss/gradients at equal weights are checked by the bench):
 * [B, 200, 283] → Linear(283→D) → CLS token prepended → L pre-norm blocks (LayerNorm →
 * multi-head self-attention with one fused QKV projection → residual; LayerNorm →
 * D→4D erf-GELU → 4D→D → residual) → LayerNorm → Linear(D→2) + Softplus on the region
 * tokens → Poisson NLL (log_input = false). Linear layers run on [B·T, D] rows so each is
 * one GEMM forward and two backward; attention and erf-GELU are chromflow's fused ops
 * (native kernels where the addon is built, TF.js composites elsewhere).
 */
export interface GetBenchConfig {
  d: number;
  layers: number;
  heads: number;
}

export const getShapes = {
  'get-small': { d: 128, layers: 4, heads: 4, batch: 16 },
  'get-medium': { d: 256, layers: 6, heads: 8, batch: 8 },
  'get-published': { d: 768, layers: 12, heads: 12, batch: 2 },
} as const;
export type GetShape = keyof typeof getShapes;

export const regions = 200;
export const features = 283;
export const outputs = 2;

interface Block {
  ln1g: tf.Variable;
  ln1b: tf.Variable;
  qkvW: tf.Variable;
  qkvB: tf.Variable;
  outW: tf.Variable;
  outB: tf.Variable;
  ln2g: tf.Variable;
  ln2b: tf.Variable;
  fc1W: tf.Variable;
  fc1B: tf.Variable;
  fc2W: tf.Variable;
  fc2B: tf.Variable;
}

let instances = 0;

export const makeGetBench: TrainableFactory = (config, seed) => {
  const c = config as GetBenchConfig;
  const { d, heads } = c;
  const p = `getbench${instances++}`;
  let s = seed;
  const normal = (shape: number[], std: number): tf.Tensor =>
    tf.randomNormal(shape, 0, std, 'float32', s++);
  const v = (t: tf.Tensor, name: string): tf.Variable => tf.variable(t, true, `${p}/${name}`);
  const embedW = v(normal([features, d], 0.02), 'embed/w');
  const embedB = v(tf.zeros([d]), 'embed/b');
  const cls = v(normal([d], 0.02), 'cls');
  const blocks: Block[] = Array.from({ length: c.layers }, (_, i) => ({
    ln1g: v(tf.ones([d]), `b${i}/ln1/g`),
    ln1b: v(tf.zeros([d]), `b${i}/ln1/b`),
    qkvW: v(normal([d, 3 * d], 0.02), `b${i}/qkv/w`),
    qkvB: v(tf.zeros([3 * d]), `b${i}/qkv/b`),
    outW: v(normal([d, d], 0.02), `b${i}/out/w`),
    outB: v(tf.zeros([d]), `b${i}/out/b`),
    ln2g: v(tf.ones([d]), `b${i}/ln2/g`),
    ln2b: v(tf.zeros([d]), `b${i}/ln2/b`),
    fc1W: v(normal([d, 4 * d], 0.02), `b${i}/fc1/w`),
    fc1B: v(tf.zeros([4 * d]), `b${i}/fc1/b`),
    fc2W: v(normal([4 * d, d], 0.02), `b${i}/fc2/w`),
    fc2B: v(tf.zeros([d]), `b${i}/fc2/b`),
  }));
  const normG = v(tf.ones([d]), 'norm/g');
  const normB = v(tf.zeros([d]), 'norm/b');
  const headW = v(normal([d, outputs], 0.02), 'head/w');
  const headB = v(tf.zeros([outputs]), 'head/b');
  // Same order as get_twin.py's ordered_parameters.
  const trainable = [
    embedW,
    embedB,
    cls,
    ...blocks.flatMap((b) => [
      b.ln1g,
      b.ln1b,
      b.qkvW,
      b.qkvB,
      b.outW,
      b.outB,
      b.ln2g,
      b.ln2b,
      b.fc1W,
      b.fc1B,
      b.fc2W,
      b.fc2B,
    ]),
    normG,
    normB,
    headW,
    headB,
  ];

  const linear = (x2d: tf.Tensor, w: tf.Variable, b: tf.Variable): tf.Tensor =>
    tf.fused.matMul({ a: x2d, b: w, bias: b });
  const norm = (x: tf.Tensor, g: tf.Variable, b: tf.Variable): tf.Tensor =>
    ops.layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);

  /** Softplus outputs [n, regions, 2]. */
  const forward = (x: Float32Array, n: number): tf.Tensor => {
    const t = regions + 1;
    const rows = n * t;
    const e = tf.reshape(linear(tf.tensor2d(x, [n * regions, features]), embedW, embedB), [
      n,
      regions,
      d,
    ]);
    const clsRows = tf.broadcastTo(tf.reshape(cls, [1, 1, d]), [n, 1, d]);
    let h: tf.Tensor = tf.reshape(tf.concat([clsRows, e], 1), [rows, d]);
    for (const b of blocks) {
      const qkv = tf.reshape(linear(norm(h, b.ln1g, b.ln1b), b.qkvW, b.qkvB), [n, t, 3 * d]);
      const merged = tf.reshape(attentionFromQkv(qkv as tf.Tensor3D, heads), [rows, d]);
      h = tf.add(h, linear(merged, b.outW, b.outB));
      const ff = linear(
        geluErfNative(linear(norm(h, b.ln2g, b.ln2b), b.fc1W, b.fc1B)),
        b.fc2W,
        b.fc2B,
      );
      h = tf.add(h, ff);
    }
    const regionsOnly = tf.reshape(tf.slice(tf.reshape(h, [n, t, d]), [0, 1, 0], [n, regions, d]), [
      n * regions,
      d,
    ]);
    const out = linear(norm(regionsOnly, normG, normB), headW, headB);
    return tf.reshape(tf.softplus(out), [n, regions, outputs]);
  };

  const count = (b: HostBatch): number => b['n'] as number;
  const model: Trainable & { parameterCount(): number } = {
    trainableVariables: () => trainable,
    stateVariables: () => [],
    batchSize: count,
    trainingLoss(batch) {
      return tf.tidy(() => {
        const n = count(batch);
        const pred = forward(batch['x'] as Float32Array, n);
        const y = tf.tensor3d(batch['y'] as Float32Array, [n, regions, outputs]);
        // PyTorch PoissonNLLLoss(log_input=False): mean(pred − y·log(pred + 1e-8)).
        return tf.mean<tf.Scalar>(tf.sub(pred, tf.mul(y, tf.log(tf.add(pred, 1e-8)))));
      });
    },
    splitBatch(batch, parts) {
      const n = count(batch);
      const x = batch['x'] as Float32Array;
      const y = batch['y'] as Float32Array;
      const xs = regions * features;
      const ys = regions * outputs;
      return Array.from({ length: parts }, (_, i) => {
        const lo = Math.floor((i * n) / parts);
        const hi = Math.floor(((i + 1) * n) / parts);
        return { n: hi - lo, x: x.slice(lo * xs, hi * xs), y: y.slice(lo * ys, hi * ys) };
      });
    },
    predictBatch: (b) => tf.tidy(() => forward(b['x'] as Float32Array, count(b))),
    parameterCount: () => trainable.reduce((sum, x) => sum + x.size, 0),
  };
  return model;
};

/** A random batch: features uniform in [0, 1), targets small counts. */
export function getBatch(n: number, seed: number): HostBatch {
  let st = seed >>> 0;
  const next = (): number => {
    st = (Math.imul(st, 1664525) + 1013904223) >>> 0;
    return st / 4294967296;
  };
  const x = new Float32Array(n * regions * features);
  for (let i = 0; i < x.length; i++) x[i] = next();
  const y = new Float32Array(n * regions * outputs);
  for (let i = 0; i < y.length; i++) y[i] = Math.floor(next() * 5);
  return { n, x, y };
}
