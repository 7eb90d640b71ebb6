import * as tf from '@tensorflow/tfjs-core';
import { makeClasterBatch, type ClasterArrays } from './batches.js';
import { clasterBatchTensors, type ClasterModel } from './model.js';

export interface ClasterLocality {
  /** Per gene (order of `idx`): share of |gradient × input| within ±`halfWidthBins` landscape bins of the TSS. */
  shares: Float64Array;
  /** Mean of `shares`. */
  meanShare: number;
  /** Share of the summed |gradient × input| of all genes per distance class: bins [edges[i−1], edges[i]) from the TSS. */
  byDistance: { edges: number[]; share: number[] };
}

/**
 * Where a trained model looks: gradient × input (attribution's
 * `computeGradientTimesInput` pattern, on the landscape) of each gene's
 * predicted total within ±`geneHalfWidth` output bins of the TSS, |·| summed
 * over tracks, summarised by distance from the TSS. CLASTER reports that
 * predictions mostly use ±10 kbp (100 bins of 100 bp).
 */
export function clasterLocality(
  model: ClasterModel,
  a: ClasterArrays,
  idx: Int32Array,
  o: { halfWidthBins?: number; geneHalfWidth?: number; edges?: number[]; batchSize?: number } = {},
): ClasterLocality {
  const hw = o.halfWidthBins ?? 100;
  const ghw = o.geneHalfWidth ?? 10;
  // the network's window: the samples' bins or a centred crop of them
  const nb = model.config.bins;
  const edges =
    o.edges ??
    [1, 10, 50, 100, 500, 1000, 2500, nb].filter((e, i, l) => e <= nb || i === l.length - 1);
  const bs = o.batchSize ?? 8;
  const c = (nb - 1) / 2;
  const oc = (model.config.outputs - 1) / 2;
  const pick = tf.tidy(() => {
    const m = new Float32Array(model.config.outputs);
    for (let i = Math.max(0, oc - ghw); i <= Math.min(model.config.outputs - 1, oc + ghw); i++)
      m[i] = 1;
    return tf.tensor1d(m);
  });
  const shares = new Float64Array(idx.length);
  const classes = new Float64Array(edges.length);
  for (let lo = 0; lo < idx.length; lo += bs) {
    const part = idx.subarray(lo, Math.min(idx.length, lo + bs));
    const batch = makeClasterBatch(a, model.config, part);
    const perBin = tf.tidy(() => {
      const t = clasterBatchTensors(model, batch, false);
      const x = t.inputs.landscape;
      const f = (l: tf.Tensor): tf.Tensor =>
        tf.sum(tf.mul(model.forward({ ...t.inputs, landscape: l as tf.Tensor3D }), pick));
      const g = tf.grad(f)(x);
      return tf.sum(tf.abs(tf.mul(g, x)), 1); // [b, bins]
    });
    const v = perBin.dataSync();
    perBin.dispose();
    for (let e = 0; e < part.length; e++) {
      let near = 0;
      let all = 0;
      for (let i = 0; i < nb; i++) {
        const s = v[e * nb + i]!;
        const d = Math.abs(i - c);
        all += s;
        if (d <= hw) near += s;
        let k = 0;
        while (k < edges.length - 1 && d >= edges[k]!) k++;
        classes[k]! += s;
      }
      shares[lo + e] = all > 0 ? near / all : NaN;
    }
  }
  pick.dispose();
  const total = classes.reduce((s, x) => s + x, 0);
  const finite = [...shares].filter(Number.isFinite);
  return {
    shares,
    meanShare: finite.length ? finite.reduce((s, x) => s + x, 0) / finite.length : NaN,
    byDistance: { edges, share: [...classes].map((x) => (total > 0 ? x / total : NaN)) },
  };
}
