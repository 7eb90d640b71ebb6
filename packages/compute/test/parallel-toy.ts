import * as tf from '@tensorflow/tfjs-core';
import { ops } from '../src/index.js';
import type { HostBatch, Trainable, TrainableFactory } from '../src/train/trainable.js';

/**
 * A small Trainable for the engine tests: one-hot-like input [B, L, 4] →
 * conv1d(k5, 'same') → (batch norm) → GELU → max-pool(2) → flatten → dense →
 * sigmoid cross-entropy against [B, T] targets. Deterministic from the seed.
 */
export interface ToyConfig {
  length: number;
  filters: number;
  targets: number;
  batchNorm: boolean;
}

export const toyConfig: ToyConfig = { length: 24, filters: 6, targets: 3, batchNorm: true };

let instances = 0;

export const makeToyTrainable: TrainableFactory = (config, seed) => {
  const c = config as ToyConfig;
  const p = `toy${instances++}`;
  const conv = tf.variable(
    tf.randomNormal([5, 4, c.filters], 0, 0.3, 'float32', seed),
    true,
    `${p}/conv`,
  );
  const gamma = tf.variable(tf.ones([c.filters]), true, `${p}/bn_gamma`);
  const beta = tf.variable(tf.zeros([c.filters]), true, `${p}/bn_beta`);
  const flat = (c.length / 2) * c.filters;
  const dense = tf.variable(
    tf.randomNormal([flat, c.targets], 0, 0.2, 'float32', seed + 1),
    true,
    `${p}/dense`,
  );
  const bias = tf.variable(tf.zeros([c.targets]), true, `${p}/bias`);
  const movingMean = tf.variable(tf.zeros([c.filters]), false, `${p}/moving_mean`);
  const movingVar = tf.variable(tf.ones([c.filters]), false, `${p}/moving_var`);
  const trainable = c.batchNorm ? [conv, gamma, beta, dense, bias] : [conv, dense, bias];
  const n = (b: HostBatch): number => b['n'] as number;
  const model: Trainable = {
    trainableVariables: () => trainable,
    stateVariables: () => (c.batchNorm ? [movingMean, movingVar] : []),
    batchSize: n,
    trainingLoss(batch) {
      return tf.tidy(() => {
        const x = tf.tensor3d(batch['x'] as Float32Array, [n(batch), c.length, 4]);
        const y = tf.tensor2d(batch['y'] as Float32Array, [n(batch), c.targets]);
        let h: tf.Tensor = ops.conv1d(x, conv as tf.Tensor3D, 'same');
        if (c.batchNorm) {
          const r = ops.batchNormTrain(h, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-3);
          movingMean.assign(tf.add(tf.mul(movingMean, 0.9), tf.mul(r.mean, 0.1)));
          movingVar.assign(tf.add(tf.mul(movingVar, 0.9), tf.mul(r.variance, 0.1)));
          h = r.y;
        }
        h = ops.maxPool1d(ops.geluSigmoid(h) as tf.Tensor3D, 2);
        const logits = tf.add(tf.matMul(tf.reshape(h, [n(batch), flat]), dense), bias);
        // Sigmoid cross-entropy: max(z, 0) − z·y + log(1 + e^−|z|).
        const bce = tf.add(
          tf.sub(tf.relu(logits), tf.mul(logits, y)),
          tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
        );
        return tf.mean(bce);
      });
    },
    predictBatch(batch) {
      return tf.tidy(() => {
        const x = tf.tensor3d(batch['x'] as Float32Array, [n(batch), c.length, 4]);
        let h: tf.Tensor = ops.conv1d(x, conv as tf.Tensor3D, 'same');
        if (c.batchNorm) {
          h = ops.batchNormInfer(
            h,
            movingMean as tf.Tensor1D,
            movingVar as tf.Tensor1D,
            gamma as tf.Tensor1D,
            beta as tf.Tensor1D,
            1e-3,
          );
        }
        h = ops.maxPool1d(ops.geluSigmoid(h) as tf.Tensor3D, 2);
        return tf.sigmoid(tf.add(tf.matMul(tf.reshape(h, [n(batch), flat]), dense), bias));
      });
    },
    splitBatch(batch, parts) {
      const total = n(batch);
      const x = batch['x'] as Float32Array;
      const y = batch['y'] as Float32Array;
      const out: HostBatch[] = [];
      for (let i = 0; i < parts; i++) {
        const a = Math.floor((i * total) / parts);
        const b = Math.floor(((i + 1) * total) / parts);
        out.push({
          n: b - a,
          x: x.slice(a * c.length * 4, b * c.length * 4),
          y: y.slice(a * c.targets, b * c.targets),
        });
      }
      return out;
    },
  };
  return model;
};

/** A deterministic batch for the toy model. */
export function toyBatch(config: ToyConfig, n: number, seed: number): HostBatch {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const x = new Float32Array(n * config.length * 4);
  for (let i = 0; i < n * config.length; i++) x[i * 4 + Math.floor(next() * 4)] = 1;
  const y = new Float32Array(n * config.targets);
  for (let i = 0; i < y.length; i++) y[i] = next() < 0.3 ? 1 : 0;
  return { n, x, y };
}
