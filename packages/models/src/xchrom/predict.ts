import * as tf from '@tensorflow/tfjs-core';
import type { XChromModel } from './model.js';
import { oneHotFromCodes } from './model.js';

/** Peak embeddings [n · E] of base codes [n · L] in inference mode, computed in batches. */
export async function computePeakEmbeddings(
  model: XChromModel,
  codes: Uint8Array,
  batchPeaks = 64,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const L = model.config.seqLength;
  const E = model.config.embeddingDim;
  const n = codes.length / L;
  const out = new Float32Array(n * E);
  for (let lo = 0; lo < n; lo += batchPeaks) {
    signal?.throwIfAborted();
    const hi = Math.min(n, lo + batchPeaks);
    const emb = tf.tidy(() =>
      model.peakEmbedding(oneHotFromCodes(codes.subarray(lo * L, hi * L), hi - lo, L), false),
    );
    out.set(await emb.data(), lo * E);
    emb.dispose();
  }
  return out;
}

/** Cell embeddings [C · E] of RNA embeddings [C · D] in inference mode (no noise). */
export async function computeCellEmbeddings(
  model: XChromModel,
  cellInputs: Float32Array,
): Promise<Float32Array> {
  const D = model.config.cellInputDim;
  const t = tf.tidy(() => model.cellEmbedding(tf.tensor2d(cellInputs, [cellInputs.length / D, D])));
  const out = (await t.data()) as Float32Array;
  t.dispose();
  return out;
}

/** Logits [P · C] (row-major peaks × cells) from precomputed peak and cell embeddings and depth. */
export async function computeLogits(
  model: XChromModel,
  peakEmb: Float32Array,
  cellEmb: Float32Array,
  depth: Float32Array,
): Promise<Float32Array> {
  const E = model.config.embeddingDim;
  const z = tf.tidy(() =>
    model.logits(
      tf.tensor2d(peakEmb, [peakEmb.length / E, E]),
      tf.tensor2d(cellEmb, [cellEmb.length / E, E]),
      tf.tensor1d(depth),
    ),
  );
  const out = (await z.data()) as Float32Array;
  z.dispose();
  return out;
}

/** σ(z) elementwise into a new array. */
export function probabilitiesFromLogits(z: Float32Array): Float32Array {
  const p = new Float32Array(z.length);
  for (let i = 0; i < z.length; i++) p[i] = 1 / (1 + Math.exp(-(z[i] as number)));
  return p;
}

/** Mean binary cross-entropy of logits against 0/1 labels (the training loss, inference mode). */
export function meanBceFromLogits(z: Float32Array, labels: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < z.length; i++) {
    const x = z[i] as number;
    s += Math.max(x, 0) - x * (labels[i] as number) + Math.log1p(Math.exp(-Math.abs(x)));
  }
  return s / z.length;
}

/**
 * Probabilities [P · C] that each of `codes`' sequences is accessible in each
 * cell given only the cells' RNA embedding and depth covariate: this covers
 * new cells (cross-cell) and new sequences (cross-peak) alike.
 */
export async function predictXChrom(
  model: XChromModel,
  codes: Uint8Array,
  cellInputs: Float32Array,
  depth: Float32Array,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const peakEmb = await computePeakEmbeddings(model, codes, 64, signal);
  const cellEmb = await computeCellEmbeddings(model, cellInputs);
  return probabilitiesFromLogits(await computeLogits(model, peakEmb, cellEmb, depth));
}
