import * as tf from '@tensorflow/tfjs-core';
import { ops, type HostBatch, type Trainable, type TrainableFactory } from '@chromflow/compute';

/**
 * The benchmark CNNs, built from `src/ops`, with the same shapes as
 * `bench/xchrom_twin.py` (parameter counts are asserted equal by the bench):
 * - `note`: the CNN of shared/notes/tfjs-wasm-training.md (post-activation
 *   Conv+BN+MaxPool+GELU, stem 64 k17 pool 3, six k5 blocks 72…128,
 *   Conv1d(32, k1), Dense(32), logits = peak embedding × a learned [32, cells] matrix);
 * - `small` / `published`: XChrom's pre-activation tower and cell branch
 *   (dropout omitted: it costs nothing measurable and the twin's is the same op count).
 * Sigmoid cross-entropy on [B, cells] targets.
 */
export interface BenchCnnConfig {
  arch: 'note' | 'small' | 'published';
  cells: number;
}

const archs = {
  published: { stem: 288, tower: [288, 323, 363, 407, 456, 512], bottleneck: 256, pre: true },
  small: { stem: 64, tower: [64, 74, 84, 97, 111, 128], bottleneck: 32, pre: true },
  note: { stem: 64, tower: [72, 81, 90, 101, 114, 128], bottleneck: 32, pre: false },
} as const;

export const seqLength = 1344;

interface Layer {
  w: tf.Variable;
  gamma: tf.Variable;
  beta: tf.Variable;
  mean: tf.Variable;
  variance: tf.Variable;
  pool: number;
}

let instances = 0;

export const makeBenchCnn: TrainableFactory = (config, seed) => {
  const c = config as BenchCnnConfig;
  const a = archs[c.arch];
  const p = `bench${instances++}`;
  let s = seed;
  const normal = (shape: number[], std: number): tf.Tensor =>
    tf.randomNormal(shape, 0, std, 'float32', s++);
  const variable = (t: tf.Tensor, name: string, trainable = true): tf.Variable =>
    tf.variable(t, trainable, `${p}/${name}`);
  const layers: Layer[] = [];
  const convLayer = (cin: number, cout: number, k: number, pool: number, name: string): Layer => ({
    w: variable(normal([k, cin, cout], Math.sqrt(2 / (k * cin))), `${name}/w`),
    gamma: variable(tf.ones([cout]), `${name}/gamma`),
    beta: variable(tf.zeros([cout]), `${name}/beta`),
    mean: variable(tf.zeros([cout]), `${name}/mean`, false),
    variance: variable(tf.ones([cout]), `${name}/variance`, false),
    pool,
  });
  layers.push(convLayer(4, a.stem, 17, 3, 'stem'));
  let cin: number = a.stem;
  a.tower.forEach((cout, i) => {
    layers.push(convLayer(cin, cout, 5, 2, `tower${i}`));
    cin = cout;
  });
  let length = Math.floor(seqLength / 3);
  for (let i = 0; i < a.tower.length; i++) length = Math.floor(length / 2);
  const flat = length * a.bottleneck;
  const bottleneck = convLayer(cin, a.bottleneck, 1, 1, 'bottleneck');
  const dense = variable(normal([flat, 32], Math.sqrt(2 / (flat + 32))), 'dense/w');
  const denseBias = variable(tf.zeros([32]), 'dense/b');
  const denseBn = convLayer(1, 32, 1, 1, 'dense_bn');
  // Cell side: note = learned matrix; XChrom = fixed inputs → LayerNorm → Dense(64, ReLU) → Dense(32), depth Dense(1).
  const cellMatrix = variable(normal([32, c.cells], Math.sqrt(2 / (32 + c.cells))), 'cells');
  const cellInputs = normal([c.cells, 32], 1);
  const cellDepth = normal([c.cells, 1], 1);
  const lnGamma = variable(tf.ones([32]), 'ln/gamma');
  const lnBeta = variable(tf.zeros([32]), 'ln/beta');
  const cellHidden = variable(normal([32, 64], Math.sqrt(2 / 96)), 'cell_hidden/w');
  const cellHiddenB = variable(tf.zeros([64]), 'cell_hidden/b');
  const cellOut = variable(normal([64, 32], Math.sqrt(2 / 96)), 'cell_out/w');
  const cellOutB = variable(tf.zeros([32]), 'cell_out/b');
  const depthW = variable(normal([1, 1], 1), 'depth/w');
  const depthB = variable(tf.zeros([1]), 'depth/b');

  const bnVars = (l: Layer): tf.Variable[] => [l.gamma, l.beta];
  const trainable: tf.Variable[] = [
    ...layers.flatMap((l) => [l.w, ...bnVars(l)]),
    bottleneck.w,
    ...(a.pre ? bnVars(bottleneck) : []),
    dense,
    ...(a.pre ? bnVars(denseBn) : [denseBias]),
    ...(a.pre
      ? [lnGamma, lnBeta, cellHidden, cellHiddenB, cellOut, cellOutB, depthW, depthB]
      : [cellMatrix]),
  ];
  const bnLayers = [...layers, ...(a.pre ? [bottleneck, denseBn] : [])];
  const state = bnLayers.flatMap((l) => [l.mean, l.variance]);

  const norm = (h: tf.Tensor, l: Layer, training: boolean): tf.Tensor => {
    if (!training)
      return ops.batchNormInfer(
        h,
        l.mean as tf.Tensor1D,
        l.variance as tf.Tensor1D,
        l.gamma as tf.Tensor1D,
        l.beta as tf.Tensor1D,
        1e-3,
      );
    const r = ops.batchNormTrain(h, l.gamma as tf.Tensor1D, l.beta as tf.Tensor1D, 1e-3);
    l.mean.assign(tf.add(tf.mul(l.mean, 0.9), tf.mul(r.mean, 0.1)));
    l.variance.assign(tf.add(tf.mul(l.variance, 0.9), tf.mul(r.variance, 0.1)));
    return r.y;
  };
  const block = (h: tf.Tensor, l: Layer, training: boolean): tf.Tensor => {
    if (a.pre) {
      const y = norm(
        ops.conv1d(ops.geluSigmoid(h) as tf.Tensor3D, l.w as tf.Tensor3D, 'same'),
        l,
        training,
      );
      return l.pool > 1 ? ops.maxPool1d(y as tf.Tensor3D, l.pool) : y;
    }
    let y = norm(ops.conv1d(h as tf.Tensor3D, l.w as tf.Tensor3D, 'same'), l, training);
    if (l.pool > 1) y = ops.maxPool1d(y as tf.Tensor3D, l.pool);
    return ops.geluSigmoid(y);
  };

  /** Logits [B, cells] of a batch of base codes. */
  const logits = (codes: Uint8Array, n: number, training: boolean): tf.Tensor => {
    const x = tf.cast(tf.oneHot(tf.tensor2d(codes, [n, seqLength], 'int32'), 4), 'float32');
    let h: tf.Tensor = x;
    for (const l of layers) h = block(h, l, training);
    let peak: tf.Tensor;
    if (a.pre) {
      h = ops.geluSigmoid(
        norm(
          ops.conv1d(ops.geluSigmoid(h) as tf.Tensor3D, bottleneck.w as tf.Tensor3D, 'same'),
          bottleneck,
          training,
        ),
      );
      const e = tf.matMul(tf.reshape(h, [n, flat]), dense);
      peak = ops.geluSigmoid(norm(e, denseBn, training));
      const z = ops.layerNorm(cellInputs, lnGamma as tf.Tensor1D, lnBeta as tf.Tensor1D, 1e-3);
      const cell = tf.add(
        tf.matMul(tf.relu(tf.add(tf.matMul(z, cellHidden), cellHiddenB)), cellOut),
        cellOutB,
      );
      const depth = tf.reshape(tf.add(tf.matMul(cellDepth, depthW), depthB), [1, c.cells]);
      return tf.clipByValue(tf.add(tf.matMul(peak, cell, false, true), depth), -15, 15);
    }
    h = ops.conv1d(h as tf.Tensor3D, bottleneck.w as tf.Tensor3D, 'same');
    peak = tf.add(tf.matMul(tf.reshape(h, [n, flat]), dense), denseBias);
    return tf.matMul(peak, cellMatrix);
  };

  const n = (b: HostBatch): number => b['n'] as number;
  const model: Trainable & {
    predict(codes: Uint8Array, n: number): tf.Tensor;
    parameterCount(): number;
  } = {
    trainableVariables: () => trainable,
    stateVariables: () => state,
    batchSize: n,
    trainingLoss(batch) {
      return tf.tidy(() => {
        const z = logits(batch['codes'] as Uint8Array, n(batch), true);
        const y = tf.tensor2d(batch['y'] as Float32Array, [n(batch), c.cells]);
        const bce = tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
        return tf.mean(bce);
      });
    },
    splitBatch(batch, parts) {
      const total = n(batch);
      const codes = batch['codes'] as Uint8Array;
      const y = batch['y'] as Float32Array;
      return Array.from({ length: parts }, (_, i) => {
        const lo = Math.floor((i * total) / parts);
        const hi = Math.floor(((i + 1) * total) / parts);
        return {
          n: hi - lo,
          codes: codes.slice(lo * seqLength, hi * seqLength),
          y: y.slice(lo * c.cells, hi * c.cells),
        };
      });
    },
    predict: (codes, count) => tf.tidy(() => tf.sigmoid(logits(codes, count, false))),
    predictBatch: (b) => tf.tidy(() => tf.sigmoid(logits(b['codes'] as Uint8Array, n(b), false))),
    parameterCount: () => trainable.reduce((s, v) => s + v.size, 0),
  };
  return model;
};

/** A random batch (codes uniform over ACGT, 20 % positive targets). */
export function benchBatch(n: number, cells: number, seed: number): HostBatch {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const codes = new Uint8Array(n * seqLength);
  for (let i = 0; i < codes.length; i++) codes[i] = Math.floor(next() * 4);
  const y = new Float32Array(n * cells);
  for (let i = 0; i < y.length; i++) y[i] = next() < 0.2 ? 1 : 0;
  return { n, codes, y };
}
