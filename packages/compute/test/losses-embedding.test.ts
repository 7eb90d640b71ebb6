import type * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { CLIP_INITIAL_LOG_SCALE, clipLoss, createLogitScale } from '../src/losses/contrastive.js';
import { tripletMarginLoss } from '../src/losses/triplet-margin.js';
import { VariableList } from '../src/layers/named-variables.js';
import { checkCases, host, type LayerCase } from './twins/check-case.js';

const as2 = (t: tf.Tensor): tf.Tensor2D => t as tf.Tensor2D;

/** ‖x − y + eps‖₂ of row r (torch's pairwise_distance). */
function distance(x: Float64Array, y: Float64Array, r: number, e: number, eps: number): number {
  let s = 0;
  for (let j = 0; j < e; j++) s += (x[r * e + j]! - y[r * e + j]! + eps) ** 2;
  return Math.sqrt(s);
}

const triplet: LayerCase[] = (
  [
    [6, 4, 1],
    [1, 9, 1],
    [5, 3, 0.3],
  ] as [number, number, number][]
).map(([n, e, margin], k) => ({
  label: `triplet margin ${margin} N${n} E${e}`,
  inputs: {
    anchor: host([n, e], 10 + k),
    positive: host([n, e], 20 + k),
    negative: host([n, e], 30 + k),
  },
  tf: ({ anchor, positive, negative }) =>
    tripletMarginLoss(as2(anchor!), as2(positive!), as2(negative!), margin),
  ref: ({ anchor, positive, negative }) => {
    let s = 0;
    for (let r = 0; r < n; r++) {
      s += Math.max(
        distance(anchor!, positive!, r, e, 1e-6) -
          distance(anchor!, negative!, r, e, 1e-6) +
          margin,
        0,
      );
    }
    return Float64Array.of(s / n);
  },
  torch: { op: 'triplet', attrs: { margin } },
}));

function clip64(a: Float64Array, b: Float64Array, t: number, n: number, e: number): number {
  const unit = (x: Float64Array) => {
    const out = new Float64Array(x.length);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = 0; j < e; j++) s += x[r * e + j]! ** 2;
      const norm = Math.max(Math.sqrt(s), 1e-12);
      for (let j = 0; j < e; j++) out[r * e + j] = x[r * e + j]! / norm;
    }
    return out;
  };
  const [ua, ub] = [unit(a), unit(b)];
  const logit = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < e; k++) s += ua[i * e + k]! * ub[j * e + k]!;
    return Math.exp(t) * s;
  };
  let rows = 0;
  let cols = 0;
  for (let i = 0; i < n; i++) {
    let zr = 0;
    let zc = 0;
    for (let j = 0; j < n; j++) {
      zr += Math.exp(logit(i, j));
      zc += Math.exp(logit(j, i));
    }
    rows += Math.log(zr) - logit(i, i);
    cols += Math.log(zc) - logit(i, i);
  }
  return (rows / n + cols / n) / 2;
}

const clip: LayerCase[] = (
  [
    [5, 3, CLIP_INITIAL_LOG_SCALE],
    [8, 16, 1.2],
    [1, 4, CLIP_INITIAL_LOG_SCALE],
    [3, 7, 0],
  ] as [number, number, number][]
).map(([n, e, t], k) => ({
  label: `CLIP loss N${n} E${e} t=${t.toFixed(4)}`,
  inputs: {
    a: host([n, e], 40 + k),
    b: host([n, e], 50 + k),
    logScale: { data: Float32Array.of(t), shape: [] },
  },
  tf: ({ a, b, logScale }) => clipLoss(as2(a!), as2(b!), logScale as tf.Scalar),
  ref: ({ a, b, logScale }) => Float64Array.of(clip64(a!, b!, logScale![0]!, n, e)),
  torch: { op: 'clip' },
}));

describe('triplet margin loss equals F.triplet_margin_loss(p=2, eps=1e-6)', () =>
  checkCases(triplet));
describe('symmetric contrastive (CLIP) loss with a learnable temperature', () => {
  checkCases(clip);
  it('starts the log-scale at ln(1/0.07) = 2.6592 as a trainable scalar', () => {
    const vars = new VariableList();
    const t = createLogitScale(vars);
    expect(t.dataSync()[0]).toBeCloseTo(2.65926, 5);
    expect(vars.trainableVariables()).toEqual([t]);
    vars.dispose();
  });
});
